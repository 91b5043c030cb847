/**
 * The lead filters the Agreement page of the demo reader study by arm: the arm is chosen in the
 * page's own form, the figures shown are that arm's (computed by the background refresh), and the
 * page has no axe-core violation.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function axe(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const violations = await page.evaluate(
    async () =>
      (
        await (window as unknown as { axe: { run(c: Document, o: object): Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe.run(document, {
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
        })
      ).violations,
  );
  return violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Reloads until the background refresh has stored the figures the page asks for. */
async function figures(page: Page, text: RegExp) {
  for (let i = 0; i < 60; i++) {
    if (await page.getByText(text).count()) return;
    await page.waitForTimeout(500);
    await page.reload();
  }
  throw new Error(`no figures matching ${text}`);
}

describe.skipIf(!hasChromium)('agreement per arm', () => {
  const ctx = useServerAndBrowser();

  it('the lead picks an arm and sees that arm’s figures', async () => {
    const page = await ctx.browser.newPage({ viewport: { width: 1366, height: 900 } });
    await signInAs(page, ctx.srv.url, 'lead@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await page.goto(`${ctx.srv.url}/projects/reader-study-ai/agreement`);
    await figures(page, /^Version 1, all arms/);
    const arm = page.getByLabel('Arm', { exact: true });
    expect(await arm.locator('option').allTextContents()).toEqual(['All arms', 'Unaided', 'Aided by AI']);
    await arm.selectOption({ label: 'Aided by AI' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/[?&]arm=aided/);
    await figures(page, /^Version 1, arm Aided by AI/);
    expect(await arm.inputValue()).toBe('aided');
    // Each arm holds one copy of every clinical case: the arm's count is half the pooled one.
    const count = async () => Number((await page.getByText(/^Version 1, /).textContent())!.match(/: (\d+) case/)![1]);
    const aided = await count();
    await page.goto(`${ctx.srv.url}/projects/reader-study-ai/agreement`);
    await figures(page, /^Version 1, all arms/);
    expect(await count()).toBe(2 * aided);
    expect(aided).toBeGreaterThan(0);
    await page.goto(`${ctx.srv.url}/projects/reader-study-ai/agreement?arm=aided`);
    await figures(page, /^Version 1, arm Aided by AI/);
    expect(await axe(page)).toEqual([]);
    await page.screenshot({ path: '/tmp/h15-agreement.png', fullPage: true });
    await page.close();
  }, 180_000);
});
