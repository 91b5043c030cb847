/**
 * The structured definition editor in the browser, as a lead uses it: start from the blank
 * template, add an ordered scale by clicking, type its question and answers, meet the checker's
 * message for an answer left without a label, fix it, save — and see the new question in the
 * preview of what readers will see. The page passes axe-core, and no script it loads carries
 * zod (the editor's checks run on the server).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SLUG = 'chest-pneumothorax';

async function axe(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const violations = (await page.evaluate(
    async () =>
      (
        await (window as unknown as { axe: { run(c: Document, o: object): Promise<{ violations: unknown[] }> } }).axe.run(document, {
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
        })
      ).violations,
  )) as { id: string; nodes: { target: string[] }[] }[];
  return violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe.skipIf(!hasChromium)('definition editor in the browser', () => {
  const ctx = useServerAndBrowser();

  it('builds a small form by clicking and typing, saves it, and shows it in the readers’ preview', async () => {
    const page = await (await ctx.browser.newContext({ viewport: { width: 1366, height: 768 }, bypassCSP: true })).newPage();
    await signInAs(page, ctx.srv.url, 'lead@example.org');
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));

    const scripts: { url: string; body: string }[] = [];
    page.on('response', async (r) => {
      if (r.request().resourceType() === 'script') scripts.push({ url: r.url(), body: await r.text().catch(() => '') });
    });
    await page.goto(`${ctx.srv.url}/projects/${SLUG}/setup`);
    await page.getByRole('heading', { name: 'Definition editor' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(scripts.length).toBeGreaterThan(0);
    // zod's error code names are in every build of it: none of the page's scripts may carry them.
    expect(scripts.filter((s) => s.body.includes('invalid_type')).map((s) => s.url)).toEqual([]);
    expect(await axe(page)).toEqual([]);

    await page.getByRole('button', { name: 'Start from the blank template' }).click();
    await page.getByText('The blank template is loaded.').waitFor();

    // An ordered scale: the new question's first input has the keyboard.
    await page.getByRole('group', { name: 'Add a question' }).getByRole('button', { name: 'Ordered scale (e.g. BI-RADS)' }).click();
    const question = page.getByRole('group', { name: /^Question 2/ });
    await question.waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('e-readerForm-fields-1-label');
    await page.keyboard.type('Suspicion of a lung nodule');
    const key = question.getByLabel('Key (in exports)');
    await key.click();
    await key.press('Control+a');
    await page.keyboard.type('nodule_suspicion');
    const scale = question.getByRole('group', { name: 'Scale, lowest first' });
    await scale.getByLabel('Label (shown)').first().click();
    await page.keyboard.type('Low');
    await scale.getByLabel('Label (shown)').nth(1).click();
    await page.keyboard.type('High');
    await scale.getByRole('button', { name: 'Add an answer' }).click();
    // The page is drawn again from the server's answer: find the scale anew.
    const scale2 = page.getByRole('group', { name: /^Question 2/ }).getByRole('group', { name: 'Scale, lowest first' });
    await expect.poll(() => scale2.getByLabel('Value (stored)').count()).toBe(3);
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('e-readerForm-fields-1-options-2-value');
    await page.keyboard.type('3');

    // Checked on the server: the third answer has no label yet.
    await page.getByRole('button', { name: 'Check' }).first().click();
    const problems = page.getByRole('alert');
    await problems.waitFor();
    expect(await problems.textContent()).toContain('Reader form › question 2 “Suspicion of a lung nodule” › answer 3 › label: this is required');
    expect(await axe(page)).toEqual([]);
    await problems.getByRole('link', { name: /answer 3/ }).click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('e-readerForm-fields-1-options-2-label');
    const third = page.locator('#e-readerForm-fields-1-options-2-label');
    expect(await third.getAttribute('aria-invalid')).toBe('true');
    await third.click();
    await page.keyboard.type('Very high');

    await page.getByLabel('Note (what changed and why)').click();
    await page.keyboard.type('Nodule suspicion scale');
    await page.screenshot({ path: '/tmp/h17e-editor-filled.png' });
    await page
      .getByRole('button', { name: /^Save as version/ })
      .first()
      .click();
    await page.getByText(/Version \d+ saved/).waitFor();
    const preview = page.getByRole('complementary', { name: 'What readers will see' });
    await expect.poll(() => preview.textContent()).toContain('Suspicion of a lung nodule');
    const text = (await preview.textContent()) ?? '';
    expect(text).toContain('Very high');
    expect(text).toContain('Finding present?');
    // The saved version is what the editor shows again, from the database.
    await page.reload();
    expect(
      await page
        .getByRole('group', { name: /^Question 2/ })
        .getByLabel('Key (in exports)')
        .inputValue(),
    ).toBe('nodule_suspicion');
    expect(await axe(page)).toEqual([]);
  }, 240_000);
});
