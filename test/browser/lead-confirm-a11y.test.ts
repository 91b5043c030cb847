/**
 * The administrator's confirmation step for deactivate and reset password (without script: the
 * server asks), and axe-core on two lead pages: the case page (its definition lists) and the
 * definition editor's reader-form preview with a number question.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
type Violation = { id: string; help: string; nodes: { target: string[] }[] };

/** axe-core on the elements `selector` matches: the violations, named with their elements. */
async function axe(page: Page, selector: string): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const violations = await page.evaluate(
    async ([sel, tags]) =>
      (
        await (window as unknown as { axe: { run(c: object, o: object): Promise<{ violations: unknown[] }> } }).axe.run(
          { include: [...document.querySelectorAll(sel as string)].map((e) => [e]) },
          { runOnly: { type: 'tag', values: tags } },
        )
      ).violations,
    [selector, TAGS] as const,
  );
  return (violations as Violation[]).map((v) => `${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe.skipIf(!hasChromium)('confirmations and accessibility on the lead’s and administrator’s pages', () => {
  const ctx = useServerAndBrowser();

  it('without script, Deactivate and Reset password ask first; Cancel changes nothing; the confirmed press acts', async () => {
    const page = await (await ctx.browser.newContext({ javaScriptEnabled: false })).newPage();
    await signInAs(page, ctx.srv.url, 'admin@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await page.goto(`${ctx.srv.url}/admin/users`);
    const row = page.locator('tbody tr', { hasText: 'reader2@example.org' });
    await row.getByRole('button', { name: 'Reset password' }).click();
    await page.getByRole('heading', { name: 'Reset this password?' }).waitFor();
    expect(await page.getByTestId('one-time-password').count()).toBe(0);
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL(`${ctx.srv.url}/admin/users`);
    expect(await page.getByTestId('confirm-step').count()).toBe(0);

    await row.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('heading', { name: 'Deactivate this account?' }).waitFor();
    expect(await page.getByTestId('confirm-step').innerText()).toContain('reader2@example.org');
    expect(await row.locator('.badge', { hasText: 'active' }).innerText()).toBe('active');
    await page.screenshot({ path: '/tmp/h17-confirm.png', fullPage: false });
    await page.getByRole('button', { name: 'Yes, deactivate reader2@example.org' }).click();
    await page.getByText('Account deactivated and signed out.').waitFor();
    expect(await row.locator('.badge', { hasText: 'deactivated' }).count()).toBe(1);
    await row.getByRole('button', { name: 'Reactivate' }).click();
    await page.getByText('Account reactivated.').waitFor();
    expect(await row.locator('.badge', { hasText: 'deactivated' }).count()).toBe(0);
  });

  it('with script, the confirmation step takes the keyboard', async () => {
    const page = await (await ctx.browser.newContext()).newPage();
    await signInAs(page, ctx.srv.url, 'admin@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await page.goto(`${ctx.srv.url}/admin/users`);
    await page.waitForFunction(() => Boolean((window as unknown as { __remixRouter?: unknown }).__remixRouter));
    await page.locator('tbody tr', { hasText: 'reader2@example.org' }).getByRole('button', { name: 'Reset password' }).click();
    await page.getByRole('heading', { name: 'Reset this password?' }).waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'confirm-h');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Yes, reset the password reader2@example.org');
  });

  it('the case page’s definition lists and the editor preview’s number inputs pass axe-core', async () => {
    const page = await (await ctx.browser.newContext({ bypassCSP: true })).newPage();
    await signInAs(page, ctx.srv.url, 'lead@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await page.goto(`${ctx.srv.url}/projects/chest-pneumothorax/cases`);
    // Loaded as a document: a client navigation moves the URL before the new page is rendered.
    await page.goto(new URL((await page.locator('tbody tr a[href*="/cases/"]').first().getAttribute('href'))!, ctx.srv.url).toString());
    await page.getByRole('heading', { name: 'Workflow' }).waitFor();
    expect(await page.locator('dl.facts').count()).toBeGreaterThan(1);
    expect(await page.locator('dl.facts dt', { hasText: 'site' }).count()).toBe(1);
    expect(await axe(page, 'dl.facts')).toEqual([]);
    expect(await axe(page, 'main')).toEqual([]);

    await page.goto(`${ctx.srv.url}/projects/chest-pneumothorax/setup`);
    await page.waitForFunction(() => Boolean((window as unknown as { __remixRouter?: unknown }).__remixRouter));
    await page
      .getByRole('group', { name: /^Add a question/ })
      .first()
      .getByRole('button', { name: 'Number' })
      .click();
    // The new question takes the keyboard (its question text first) once the server's answer is rendered.
    await page.waitForFunction(() => (document.activeElement as HTMLInputElement | null)?.labels?.[0]?.textContent?.includes('Question') ?? false);
    await page.keyboard.type('Largest rim (mm)');
    await page.getByRole('button', { name: 'Check', exact: true }).first().click();
    await page.locator('.preview-form input[type=number]').first().waitFor({ timeout: 20_000 });
    await page.waitForLoadState('networkidle');
    await page.locator('.preview-form input[type=number]').first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: '/tmp/h17-setup-preview.png' });
    expect(await axe(page, '.preview-form')).toEqual([]);
    expect(await axe(page, 'main')).toEqual([]);
  });
});
