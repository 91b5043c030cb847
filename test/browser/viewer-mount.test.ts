/**
 * Mounting a large study again and again through the read page: four 2048×2656 16-bit mammograms
 * per case. After every next-case navigation the viewer section says ready only once the new
 * case's four viewports are on screen (it used to still say ready for the case just left, with
 * its viewports already cleared), and a reader who moves between cases faster than they load ends
 * on a case with its four viewports drawn (a mount overtaken by a newer one used to clear the
 * newer one's viewports when it finished).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';
import { writePart10, SOP_CLASS } from '../../imaging/part10.ts';

const [W, H] = [2048, 2656];
const VIEWS = [
  ['R', 'CC'],
  ['L', 'CC'],
  ['R', 'MLO'],
  ['L', 'MLO'],
] as const;

/** One breast per frame: stored 1400 inside a half ellipse against the chest wall, 60 outside. */
function bigMammo(side: 'R' | 'L', view: 'CC' | 'MLO', i: number): Buffer {
  const px = new Uint16Array(W * H).fill(60);
  for (let y = 0; y < H; y++) {
    const ny = (y - H / 2) / (H * 0.45);
    for (let x = 0; x < W; x++) {
      const d = (side === 'L' ? x : W - 1 - x) / (W * 0.8);
      if (d * d + ny * ny < 1) px[y * W + x] = 1400;
    }
  }
  const base = '1.2.826.0.1.3680043.10.1234.98.1';
  return writePart10(
    {
      SOPClassUID: SOP_CLASS.MG,
      SOPInstanceUID: `${base}.1.${i + 1}`,
      StudyInstanceUID: base,
      SeriesInstanceUID: `${base}.1`,
      Modality: 'MG',
      BodyPartExamined: 'BREAST',
      ImageLaterality: side,
      Laterality: side,
      ViewPosition: view,
      ImagerPixelSpacing: [0.07, 0.07],
      WindowCenter: 1400,
      WindowWidth: 1600,
    },
    { rows: H, columns: W, pixels: px, bitsStored: 12 },
  );
}

/** Every mammography case of the demo gets the same four large frames (hard links: one copy on disk). */
function makeMammogramsLarge(dataDir: string) {
  const dir = path.join(dataDir, 'demo-images');
  const big = path.join(dataDir, 'big-mammo');
  fs.mkdirSync(big, { recursive: true });
  VIEWS.forEach(([side, view], i) => {
    const file = path.join(big, `${i + 1}-${side}${view}.dcm`);
    fs.writeFileSync(file, bigMammo(side, view, i));
    for (const name of fs.readdirSync(dir).filter((n) => n.startsWith('mammo-birads-') && n.endsWith(`-${i + 1}-${side}${view}.dcm`))) {
      fs.rmSync(path.join(dir, name));
      fs.linkSync(file, path.join(dir, name));
    }
  });
}

/** Mean grey of a page rectangle as Chromium shows it (a screenshot decoded in the page). */
async function meanGrey(page: Page, box: { x: number; y: number; width: number; height: number }): Promise<number> {
  const png = await page.screenshot({ clip: box });
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = new OffscreenCanvas(img.width, img.height);
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, img.width, img.height).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += (d[i] + d[i + 1] + d[i + 2]) / 3;
    return sum / (d.length / 4);
  }, png.toString('base64'));
}

/**
 * The moment the section says ready for the case in the address bar, the four viewports are there
 * and show a breast. (The address changes a moment before React renders the new case: the
 * section names the case it describes.)
 */
async function expectFourViewsAtReady(page: Page) {
  const caseUrl = `/projects/mammo-birads/cases/${page.url().split('/read/')[1]}`;
  await page.locator(`section.viewer[data-ready="true"][data-case="${caseUrl}"]`).waitFor({ timeout: 180_000 });
  // Read at once, in the same task as the attribute: no waiting for the viewports to turn up.
  const seen = await page.evaluate(() => {
    const s = document.querySelector<HTMLElement>('section.viewer');
    return { ready: s?.dataset.ready, case: s?.dataset.case, cells: [...document.querySelectorAll<HTMLElement>('.tv-cell')].map((c) => c.dataset.viewport) };
  });
  expect(seen).toEqual({ ready: 'true', case: caseUrl, cells: ['R CC', 'L CC', 'R MLO', 'L MLO'] });
  for (const cell of await page.locator('.tv-cell').all()) {
    const b = (await cell.boundingBox())!;
    // The breast (stored 1400, the window's centre) is mid grey; the background outside it black.
    expect(await meanGrey(page, { x: b.x + 4, y: b.y + b.height * 0.3, width: b.width - 8, height: b.height * 0.4 })).toBeGreaterThan(25);
  }
}

describe.skipIf(!hasChromium)('viewer mounts of a large study', () => {
  const ctx = useServerAndBrowser();

  it('shows the four views at every ready, across next-case navigations and moves faster than the images load', async () => {
    makeMammogramsLarge(ctx.srv.dataDir);
    const page = await ctx.browser.newPage({ viewport: { width: 1366, height: 768 } });
    await signInAs(page, ctx.srv.url, 'reader1@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await page.goto(`${ctx.srv.url}/projects/mammo-birads/read`);
    await page.getByRole('button', { name: 'Start the next case' }).click();
    await page.waitForURL(/\/read\/[0-9a-f-]{36}$/);

    // Next-case navigations: answer both breasts with the keyboard, Enter, the next case opens.
    const visited: string[] = [];
    for (let i = 0; i < 4; i++) {
      await expectFourViewsAtReady(page);
      visited.push(page.url());
      await page.keyboard.press('1');
      await page.keyboard.press('1');
      await page.keyboard.press('Enter');
      await page.waitForURL((u) => u.href !== visited[i] && /\/read\/[0-9a-f-]{36}$/.test(u.href), { timeout: 60_000 });
    }
    await expectFourViewsAtReady(page);

    // Back and forward through the cases read (client-side navigations), each before the case
    // on screen has finished loading: ten mounts overtaken by the next; the last one must stand.
    for (let i = 0; i < 10; i++) {
      if (i % 2 === 0) await page.goBack();
      else await page.goForward();
      await page.waitForTimeout(150 + (i % 3) * 250);
    }
    await expectFourViewsAtReady(page);
    // Still there once everything overtaken has finished loading.
    await page.waitForTimeout(5_000);
    expect(await page.locator('.tv-cell').count()).toBe(4);
    await page.close();
  }, 900_000);
});
