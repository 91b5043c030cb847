/**
 * Marks end to end in the browser: two readers mark the same mammogram with points and
 * boxes using the keys and the mouse, the case machine matches the marks and disputes two lesions,
 * the adjudicator sees the overlay and decides per lesion, and the lead downloads the case's DICOM
 * SR, whose lesions are the adjudicated ones.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';

type Box = { x: number; y: number; width: number; height: number };
const at = (b: Box, fx: number, fy: number) => [b.x + b.width * fx, b.y + b.height * fy] as const;

async function drawPoint(page: Page, b: Box, fx: number, fy: number) {
  await page.keyboard.press('p');
  await page.mouse.click(...at(b, fx, fy));
}
async function drawBox(page: Page, b: Box, f0: [number, number], f1: [number, number]) {
  await page.keyboard.press('b');
  await page.mouse.move(...at(b, ...f0));
  await page.mouse.down();
  await page.mouse.move(...at(b, ...f1), { steps: 6 });
  await page.mouse.up();
}
async function answer(page: Page, mark: string, labels: string[]) {
  for (const l of labels) await page.locator(`[data-mark-row="${mark}"]`).getByLabel(l, { exact: true }).click();
}

describe.skipIf(!hasChromium)('marks in the browser', () => {
  const ctx = useServerAndBrowser();
  let caseUrl = '';

  let current: Page | null = null;
  async function read(email: string, draw: (page: Page, b: Box) => Promise<void>) {
    const page = await ctx.browser.newPage();
    await page.setViewportSize({ width: 1400, height: 2000 });
    current = page;
    await signInAs(page, ctx.srv.url, email);
    await page.waitForURL(`${ctx.srv.url}/`);
    await page.goto(`${ctx.srv.url}/projects/mammo-marks/read`);
    await page.getByRole('button', { name: 'Start the next case' }).click();
    await page.waitForURL(/\/read\/[0-9a-f-]{36}$/);
    const url = page.url();
    if (caseUrl) expect(url.split('/').pop()).toBe(caseUrl.split('/').pop());
    caseUrl = url;
    // The marks stage has its SVG once the image has loaded (natural size known).
    await page.locator('.marks-stage svg').first().waitFor();
    await page.locator('.marks-stage').first().scrollIntoViewIfNeeded();
    const b = (await page.locator('.marks-stage').first().boundingBox())!;
    await page.keyboard.press('1'); // recall: yes
    await draw(page, b);
    await page.getByRole('button', { name: 'Submit and stop' }).click();
    await page.getByText('Read saved.').waitFor();
    return page;
  }

  it('two readers mark, the machine disputes by location, the adjudicator decides per lesion, the SR holds the truth', async () => {
    try {
      await story();
    } catch (e) {
      await current?.screenshot({ path: '/tmp/h20b-failure.png', fullPage: true }).catch(() => {});
      throw e;
    }
  }, 600_000);

  async function story() {
    const p1 = await read('reader1@example.org', async (page, b) => {
      await drawPoint(page, b, 0.4, 0.4);
      await answer(page, 'm1', ['Mass', 'BI-RADS 4']);
      await drawBox(page, b, [0.55, 0.6], [0.75, 0.75]);
      await answer(page, 'm2', ['Calcifications', 'BI-RADS 3']);
      expect(await page.locator('.marks-list li').count()).toBe(2);
    });
    // The saved read replays its marks in the summary ("Submit and stop" went back to the queue).
    await p1.goto(caseUrl);
    await p1.locator('.marks-summary').waitFor();
    expect(await p1.locator('.marks-summary li').count()).toBe(2);
    await p1.close();

    const p2 = await read('reader2@example.org', async (page, b) => {
      await drawPoint(page, b, 0.41, 0.405);
      await answer(page, 'm1', ['Mass', 'BI-RADS 4']);
      // A stray point, removed with Delete while selected.
      await drawPoint(page, b, 0.1, 0.9);
      expect(await page.locator('.marks-list li').count()).toBe(2);
      await page.keyboard.press('Escape');
      await page.keyboard.press('Delete');
      expect(await page.locator('.marks-list li').count()).toBe(1);
      await drawBox(page, b, [0.56, 0.61], [0.75, 0.76]);
      await answer(page, 'm3', ['Calcifications', 'BI-RADS 4']);
      await drawPoint(page, b, 0.2, 0.2);
      await answer(page, 'm4', ['Mass', 'BI-RADS 2']);
      // Marks are selectable from the list.
      await page.getByRole('button', { name: /^Mark 1:/ }).click();
      expect(await page.locator('[data-mark-row="m1"]').getAttribute('class')).toBe('selected');
    });
    await p2.close();

    const adj = await ctx.browser.newPage();
    current = adj;
    await adj.setViewportSize({ width: 1400, height: 1800 });
    await signInAs(adj, ctx.srv.url, 'adjudicator@example.org');
    await adj.waitForURL(`${ctx.srv.url}/`);
    await adj.goto(`${ctx.srv.url}/projects/mammo-marks/adjudicate`);
    await adj.locator('tbody tr').first().getByRole('button').click();
    await adj.waitForURL(/\/adjudicate\/[0-9a-f-]{36}$/);
    await adj.locator('.marks-adjudication .marks-stage svg').first().waitFor();
    // The machine's disputes: L2 answered across BI-RADS 3|4, L3 marked by one reader only.
    const disputes = await adj.getByRole('region', { name: 'Dispute' }).textContent();
    expect(disputes).toMatch(/L2: box .* marked by 2 of 2 readers, answered differently \(BI-RADS: 3 vs 4\)/);
    expect(disputes).toMatch(/L3: point .* marked by 1 of 2 readers/);
    expect(disputes).not.toMatch(/L1/);
    // Overlay: every reader's marks, one colour per masked reader.
    // (reader B's point at the top left lands on the second view, so count across every image)
    expect(await adj.locator('.marks-adjudication .marks-stage [data-mark]').count()).toBe(5);
    await adj.locator('.marks-adjudication').screenshot({ path: '/tmp/h20b-adjudicator-overlay.png' });

    await adj.locator('[data-lesion="L2"]').getByLabel('Merge the marks').click();
    await adj.locator('[data-lesion="L2"]').getByLabel('BI-RADS 4', { exact: true }).click();
    await adj.locator('[data-lesion="L2"]').getByLabel('Why, on L2').fill('Fine pleomorphic calcifications');
    await adj.locator('[data-lesion="L3"]').getByLabel('Reject: not a lesion').click();
    await adj.getByLabel('Enter the value for the disputed items').click();
    await adj.getByLabel('Rationale (required)').fill('L3 is a vessel crossing.');
    await adj.getByRole('button', { name: 'Record decision' }).click();
    await adj.getByText('Decision recorded with your rationale.').waitFor();
    await adj.close();

    const lead = await ctx.browser.newPage();
    await signInAs(lead, ctx.srv.url, 'lead@example.org');
    await lead.waitForURL(`${ctx.srv.url}/`);
    const caseId = caseUrl.split('/').pop()!;
    const res = await lead.request.get(`${ctx.srv.url}/projects/mammo-marks/cases/${caseId}/marks.dcm`);
    expect(res.status()).toBe(200);
    const file = `/tmp/h20b-browser-${caseId}.dcm`;
    fs.writeFileSync(file, await res.body());
    const dump = execFileSync('dsrdump', [file], { encoding: 'utf8' });
    expect(dump).toContain('Imaging Measurement Report');
    expect((dump.match(/Tracking Identifier/g) ?? []).length).toBe(2);
    expect(dump).toContain('Fine pleomorphic calcifications');
    await lead.close();
  }
});
