/**
 * Marks end to end in the browser: two readers mark the same four-view DICOM mammogram with points
 * and boxes in the Cornerstone viewer using the keys and the real mouse; the marks are stored in
 * image pixels on the view's SOP Instance UID; the case machine matches them and disputes two
 * lesions; the adjudicator sees every reader's marks overlaid in the viewer and decides per lesion;
 * the lead downloads the case's DICOM SR, which dsrdump reads and which imports back to exactly
 * the lesions the adjudicator recorded.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';
import { srToLesions } from '../../formats/dicom-sr.ts';
import type { Lesion } from '../../workflows/marks.ts';

type Box = { x: number; y: number; width: number; height: number };
// The demo mammograms are 320 × 400 pixels; the protocol pushes R views to the right edge, L to the left.
const W = 320;
const H = 400;
const at = (b: Box, fx: number, fy: number) => [Math.round(b.x + b.width * fx), Math.round(b.y + b.height * fy)] as const;

/** Where a view's image is on the page: fitted into its viewport and pushed to the protocol's edge. */
async function imageBox(page: Page, view: 'R CC' | 'L CC'): Promise<Box> {
  const c = (await page.locator(`.tv-cell[data-viewport="${view}"] .tv-vp`).boundingBox())!;
  const s = Math.min(c.width / W, c.height / H);
  const [w, h] = [W * s, H * s];
  return { x: view.startsWith('R') ? c.x + c.width - w : c.x, y: c.y + (c.height - h) / 2, width: w, height: h };
}
/** The key toggles its tool: pressed only when another tool (or none) is on. */
async function tool(page: Page, key: 'p' | 'b', kind: 'point' | 'box') {
  if ((await page.locator('.tv-vp').first().getAttribute('data-mark-tool')) !== kind) await page.keyboard.press(key);
  await expect.poll(() => page.locator('.tv-vp').first().getAttribute('data-mark-tool')).toBe(kind);
}
async function drawPoint(page: Page, b: Box, fx: number, fy: number) {
  await tool(page, 'p', 'point');
  await page.mouse.click(...at(b, fx, fy));
}
async function drawBox(page: Page, b: Box, f0: [number, number], f1: [number, number]) {
  await tool(page, 'b', 'box');
  await page.mouse.move(...at(b, ...f0));
  await page.mouse.down();
  await page.mouse.move(...at(b, ...f1), { steps: 6 });
  await page.mouse.up();
}
async function answer(page: Page, mark: number, labels: string[]) {
  for (const l of labels) await page.locator(`[data-mark-row="${mark}"]`).getByLabel(l, { exact: true }).click();
}
const lesionsIn = async (page: Page): Promise<Lesion[]> => JSON.parse(await page.locator('input[name="marks:lesions"]').inputValue());
const rows = (page: Page) => page.locator('.marks-list li');

describe.skipIf(!hasChromium)('marks in the browser', () => {
  const ctx = useServerAndBrowser();
  let caseUrl = '';

  let current: Page | null = null;
  async function read(email: string, draw: (page: Page, r: Box, l: Box) => Promise<void>) {
    const page = await ctx.browser.newPage();
    await page.setViewportSize({ width: 1400, height: 1000 });
    current = page;
    await signInAs(page, ctx.srv.url, email);
    await page.waitForURL(`${ctx.srv.url}/`);
    await page.goto(`${ctx.srv.url}/projects/mammo-marks/read`);
    await page.getByRole('button', { name: 'Start the next case' }).click();
    await page.waitForURL(/\/read\/[0-9a-f-]{36}$/);
    const url = page.url();
    if (caseUrl) expect(url.split('/').pop()).toBe(caseUrl.split('/').pop());
    caseUrl = url;
    await page.locator('.viewer[data-ready="true"]').waitFor({ timeout: 120_000 });
    await page.keyboard.press('1'); // recall: yes
    await draw(page, await imageBox(page, 'R CC'), await imageBox(page, 'L CC'));
    await page.screenshot({ path: `/tmp/h20-reader-${email.split('@')[0]}.png` });
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
    let drawnByA: Lesion[] = [];
    const p1 = await read('reader1@example.org', async (page, r) => {
      await drawPoint(page, r, 0.4, 0.4);
      await answer(page, 1, ['Mass', 'BI-RADS 4']);
      await drawBox(page, r, [0.55, 0.6], [0.75, 0.75]);
      await answer(page, 2, ['Calcifications', 'BI-RADS 3']);
      await expect.poll(() => rows(page).count()).toBe(2);
      // Stored in image pixels on the R CC view's SOP Instance UID, where the mouse put them.
      drawnByA = await lesionsIn(page);
      expect(drawnByA.map((l) => l.kind)).toEqual(['point', 'box']);
      expect(drawnByA[0]!.image.sopInstanceUid).toMatch(/^1\.2\.826\.0\.1\.3680043\.10\.1234\.9\.\d+\.1\.1$/);
      expect(drawnByA[1]!.image).toEqual(drawnByA[0]!.image);
      const near = (got: number[], want: number[]) => expect(Math.hypot(got[0]! - want[0]!, got[1]! - want[1]!)).toBeLessThan(2.5);
      near(drawnByA[0]!.points[0]!, [0.4 * W, 0.4 * H]);
      near(drawnByA[1]!.points[0]!, [0.55 * W, 0.6 * H]);
      near(drawnByA[1]!.points[1]!, [0.75 * W, 0.75 * H]);
    });
    // The saved read replays its marks: listed, and in the viewer exactly as stored.
    await p1.goto(caseUrl);
    await p1.locator('.marks-summary').waitFor();
    expect(await p1.locator('.marks-summary li').count()).toBe(2);
    await p1.locator('.viewer[data-ready="true"]').waitFor({ timeout: 120_000 });
    await p1.screenshot({ path: '/tmp/h20-reader-replay.png' });
    await p1.close();

    const p2 = await read('reader2@example.org', async (page, r, l) => {
      await drawPoint(page, r, 0.41, 0.405);
      await answer(page, 1, ['Mass', 'BI-RADS 4']);
      // A stray point, selected with the mouse once the tool is ended, and removed with Delete.
      await drawPoint(page, r, 0.1, 0.9);
      await expect.poll(() => rows(page).count()).toBe(2);
      await page.keyboard.press('Escape');
      await page.mouse.click(...at(r, 0.1, 0.9));
      await expect.poll(() => page.locator('[data-mark-row="2"]').getAttribute('class')).toBe('selected');
      await page.keyboard.press('Delete');
      await expect.poll(() => rows(page).count()).toBe(1);
      await drawBox(page, r, [0.56, 0.61], [0.75, 0.76]);
      await answer(page, 2, ['Calcifications', 'BI-RADS 4']);
      // A point on the other breast: its own view's SOP Instance UID.
      await drawPoint(page, l, 0.3, 0.3);
      await answer(page, 3, ['Mass', 'BI-RADS 2']);
      const mine = await lesionsIn(page);
      expect(mine.map((x) => x.id)).toEqual(['m1', 'm2', 'm3']);
      expect(mine[2]!.image.sopInstanceUid).not.toBe(mine[0]!.image.sopInstanceUid);
      // Marks are selectable from the list (and the viewer selects them too).
      await page.getByRole('button', { name: /^Mark 1:/ }).click();
      expect(await page.locator('[data-mark-row="1"]').getAttribute('class')).toBe('selected');
    });
    await p2.close();

    const adj = await ctx.browser.newPage();
    current = adj;
    await adj.setViewportSize({ width: 1400, height: 1000 });
    await signInAs(adj, ctx.srv.url, 'adjudicator@example.org');
    await adj.waitForURL(`${ctx.srv.url}/`);
    await adj.goto(`${ctx.srv.url}/projects/mammo-marks/adjudicate`);
    await adj.locator('tbody tr').first().getByRole('button').click();
    await adj.waitForURL(/\/adjudicate\/[0-9a-f-]{36}$/);
    await adj.locator('.viewer[data-ready="true"]').waitFor({ timeout: 120_000 });
    // The machine's disputes: L2 answered across BI-RADS 3|4, L3 marked by one reader only.
    const disputes = await adj.getByRole('region', { name: 'Dispute' }).textContent();
    expect(disputes).toMatch(/L2: box .* marked by 2 of 2 readers, answered differently \(BI-RADS: 3 vs 4\)/);
    expect(disputes).toMatch(/L3: point .* marked by 1 of 2 readers/);
    expect(disputes).not.toMatch(/L1/);
    // Overlay: every reader's five marks placed in the viewer (R CC and L CC), each lesion named once.
    const placed = await adj.locator('.tv-vp[data-layer-marks]').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.layerMarks)));
    expect(placed.reduce((a, b) => a + b, 0)).toBe(5);
    const names = await adj.locator('.tv-vp g[data-annotation-uid^="layer:"]').allTextContents();
    expect(
      names
        .map((t) => t.trim())
        .filter(Boolean)
        .sort(),
    ).toEqual(['L1', 'L2', 'L3']);
    // The matching column speaks the form's words, not JSON.
    const l2 = await adj.locator('[data-lesion="L2"]').textContent();
    expect(l2).toContain('Type: Calcifications, BI-RADS: BI-RADS 3');
    expect(l2).not.toContain('{');
    await adj.locator('.viewer').screenshot({ path: '/tmp/h20-adjudicator-overlay.png' });
    await adj.locator('.marks-adjudication').screenshot({ path: '/tmp/h20-adjudicator-table.png' });

    await adj.locator('[data-lesion="L2"]').getByLabel('Merge the marks').click();
    await adj.locator('[data-lesion="L2"]').getByLabel('BI-RADS 4', { exact: true }).click();
    await adj.locator('[data-lesion="L2"]').getByLabel('Why, on L2').fill('Fine pleomorphic calcifications');
    await adj.locator('[data-lesion="L3"]').getByLabel('Reject: not a lesion').click();
    await adj.getByLabel('Enter the value for the disputed items').click();
    await adj.getByLabel('Rationale (required)').fill('L3 is a vessel crossing.');
    const decided = await lesionsIn(adj);
    expect(decided.map((x) => x.id)).toEqual(['L1', 'L2']);
    await adj.getByRole('button', { name: 'Record decision' }).click();
    await adj.getByText('Decision recorded with your rationale.').waitFor();
    await adj.close();

    const lead = await ctx.browser.newPage();
    await signInAs(lead, ctx.srv.url, 'lead@example.org');
    await lead.waitForURL(`${ctx.srv.url}/`);
    const caseId = caseUrl.split('/').pop()!;
    const res = await lead.request.get(`${ctx.srv.url}/projects/mammo-marks/cases/${caseId}/marks.dcm`);
    expect(res.status()).toBe(200);
    const file = `/tmp/h20-browser-${caseId}.dcm`;
    const bytes = await res.body();
    fs.writeFileSync(file, bytes);
    const dump = execFileSync('dsrdump', [file], { encoding: 'utf8' });
    expect(dump).toContain('Imaging Measurement Report');
    expect((dump.match(/Tracking Identifier/g) ?? []).length).toBe(2);
    expect(dump).toContain('Fine pleomorphic calcifications');
    // Read back, the report is the adjudicated lesions: places, views, answers, provenance.
    expect(srToLesions(new Uint8Array(bytes))).toEqual(decided);
    await lead.close();
  }
});
