/**
 * The lead tests report rules on a pasted report, saves them as a version, runs them over the
 * demo's imported pathology reports, reviews the sample (a click to accept, keys to correct) and
 * only then records the labels as evidence.
 */
import { describe, expect, it } from 'vitest';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';

const RULES = JSON.stringify(
  {
    name: 'pathology',
    version: 1,
    findings: [
      { finding: 'carcinoma', phrases: ['carcinoma'] },
      { finding: 'mass', phrases: ['mass'] },
    ],
  },
  null,
  2,
);

// Set SCREENSHOT_DIR to keep pictures of the two pages.
const shots = process.env.SCREENSHOT_DIR;

describe.skipIf(!hasChromium)('report rules in the browser', () => {
  const ctx = useServerAndBrowser();

  it('tester, save, run as a job, review the sample, then record', async () => {
    const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signInAs(page, ctx.srv.url, 'lead@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await page.goto(`${ctx.srv.url}/projects/mammo-birads/reports`);

    await page.getByLabel('Rules (JSON)').fill(RULES);
    await page.getByLabel('Report to test').fill('FINDINGS: No mass.\nIMPRESSION: Possible carcinoma.');
    await page.getByRole('button', { name: 'Test the rules' }).click();
    const result = page.getByRole('table', { name: 'Status of each finding in the report' });
    await result.waitFor();
    const rowText = async (finding: string) => (await result.getByRole('row').filter({ hasText: finding }).first().innerText()).replace(/\s+/g, ' ');
    expect(await rowText('carcinoma')).toMatch(/carcinoma uncertain carcinoma possible \(uncertain, truthline\)/);
    expect(await rowText('mass')).toMatch(/mass negated mass no \(negated, gennegex\)/);

    await page.getByRole('button', { name: 'Save as version 1' }).click();
    await page.getByText('Saved the rules "pathology" as version 1.').waitFor();
    // The editor now starts from the saved version.
    expect(await page.getByLabel('Rules (JSON)').inputValue()).toMatch(/"name": "pathology"/);
    if (shots) await page.screenshot({ path: `${shots}/report-rules.png`, fullPage: true });

    const sample = page.getByLabel('Review sample per status');
    await sample.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('1');
    await page.getByRole('button', { name: 'Run over the imported reports' }).click();
    await page.waitForURL(/\/reports\/runs\/[0-9a-f-]{36}$/);
    // The job runs in the background; the page shows the sample when it ends.
    await page.getByRole('heading', { name: /^Sample \(0 of 2 reviewed\)$/ }).waitFor({ timeout: 60_000 });
    const record = page.getByRole('button', { name: 'Record the labels as evidence' });
    expect(await record.isDisabled()).toBe(true);

    // The demo's pathology reports say "Invasive ductal carcinoma": carcinoma present, mass not mentioned.
    await page.getByRole('button', { name: /^Accept present for carcinoma in / }).click();
    await page.getByRole('heading', { name: /^Sample \(1 of 2 reviewed\)$/ }).waitFor();
    const correct = page.getByRole('combobox', { name: /^Correct mass in .* to$/ });
    await correct.focus();
    await page.keyboard.press('ArrowDown'); // present → negated
    expect(await correct.inputValue()).toBe('negated');
    await page.getByRole('button', { name: /^Correct mass in / }).click();
    await page.getByRole('heading', { name: /^Sample \(2 of 2 reviewed\)$/ }).waitFor();
    const agreement = page.getByRole('table', { name: 'Sample agreement per status' });
    expect((await agreement.getByRole('row').filter({ hasText: 'not_mentioned' }).innerText()).replace(/\s+/g, ' ')).toMatch(/0 of 1 \(0%\)/);
    expect(
      (
        await agreement
          .getByRole('row')
          .filter({ hasText: /^present/ })
          .innerText()
      ).replace(/\s+/g, ' '),
    ).toMatch(/1 of 1 \(100%\)/);
    if (shots) await page.screenshot({ path: `${shots}/report-review.png`, fullPage: true });

    expect(await record.isDisabled()).toBe(false);
    await record.click();
    const done = page.getByText(/label(s)? recorded as evidence/);
    await done.waitFor({ timeout: 60_000 });
    // Every present label of the run, plus the one sampled label corrected to negated.
    const m = /(\d+) labels? recorded as evidence/.exec(await done.innerText());
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(2);
    // The review is closed once recorded.
    expect(await page.getByRole('button', { name: /^Accept / }).count()).toBe(0);
    if (shots) await page.screenshot({ path: `${shots}/report-recorded.png`, fullPage: true });
    // The rules page lists the run with the version that made it.
    await page.getByRole('link', { name: '← Report rules' }).click();
    const runs = page.getByRole('table', { name: 'Runs' });
    await runs.waitFor();
    expect((await runs.getByRole('row').nth(1).innerText()).replace(/\s+/g, ' ')).toMatch(/pathology@1 succeeded \d+ \d+ Review/);
    if (shots) await page.screenshot({ path: `${shots}/report-rules-runs.png`, fullPage: true });
    await page.close();
  });
});
