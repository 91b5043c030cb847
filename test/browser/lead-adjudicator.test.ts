/** The adjudicator resolves a dispute, and the lead imports cases, as a new user would. */
import { describe, expect, it } from 'vitest';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';

// Browser tests need Debian's chromium (.ci/run installs it); without it they cannot run at all.
describe.skipIf(!hasChromium)('adjudicator and lead in the browser', () => {
  const ctx = useServerAndBrowser();

  it('the adjudicator must give a rationale, then the decision is recorded and the case leaves the queue', async () => {
    const page = await ctx.browser.newPage();
    await signInAs(page, ctx.srv.url, 'adjudicator@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await page.goto(`${ctx.srv.url}/projects/chest-pneumothorax/adjudicate`);
    const rows = page.locator('tbody tr');
    const before = await rows.count();
    expect(before).toBeGreaterThan(0);
    await rows.first().getByRole('button').click();
    await page.waitForURL(/\/adjudicate\/[0-9a-f-]{36}$/);
    await page.getByRole('heading', { name: 'Reader B' }).waitFor();
    expect(await page.getByRole('heading', { name: /^Reader [AB]$/ }).count()).toBe(2);
    await page.getByLabel('Reader A').check();
    await page.getByRole('button', { name: 'Record decision' }).click();
    await page.locator('#rationale-err').getByText('A rationale is required').waitFor();
    await page.getByLabel('Reader A').check();
    await page.getByLabel('Rationale (required)').fill('Pleural line visible at the right apex.');
    await page.getByRole('button', { name: 'Record decision' }).click();
    await page.getByText('Decision recorded with your rationale.').waitFor();
    await page.waitForURL(/\/adjudicate$/);
    expect(await page.locator('tbody tr').count()).toBe(before - 1);
    await page.close();
  });

  it('the lead previews a manifest, sees each bad row named, fixes it and imports', async () => {
    const page = await ctx.browser.newPage();
    await signInAs(page, ctx.srv.url, 'lead@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await page.goto(`${ctx.srv.url}/projects/chest-pneumothorax/cases/import`);
    const header = 'case_id,patient_id,study_date,modality,body_part,split,images';
    const good = 'NEW-1,NP-1,2026-02-01,CR,CHEST,,/demo-images/chest-pneumothorax-001.png';
    await page.getByLabel('…or paste it here').fill(`${header}\n${good}\nNEW-2,NP-2,2026-13-45,CR,CHEST,,/x.png\n`);
    await page.getByRole('button', { name: 'Check and preview' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/line 3/i);
    expect(await alert.textContent()).toMatch(/study_date/);
    await page.getByLabel('…or paste it here').fill(`${header}\n${good}\nNEW-2,NP-2,2026-02-03,CR,CHEST,,/demo-images/chest-pneumothorax-002.png\n`);
    await page.getByRole('button', { name: 'Check and preview' }).click();
    await page.getByRole('button', { name: 'Import 2 cases' }).click();
    await page.waitForURL(/\/cases/);
    await page
      .getByText(/2 cases imported|Imported 2/i)
      .first()
      .waitFor();
    await page.close();
  });
});
