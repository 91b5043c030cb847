/**
 * The Cornerstone3D viewer in headless Chromium: known pixel values on the canvas after a
 * window/level drag and after invert, the mammography protocol's four labelled viewports, a CT
 * stack scrolled by the wheel without moving the page, under a CSP like production's, and no
 * image for the signed-out or for a reader the case is not assigned to. Screenshots of the chest,
 * mammography and CT cases go to test-results/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';
import { writePart10, SOP_CLASS } from '../../imaging/part10.ts';

const SHOTS = path.resolve(import.meta.dirname, '../../test-results');
// The production policy (helmet): wasm codecs need 'wasm-unsafe-eval', the decode worker worker-src.
const CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self'";

/** A 12-bit image whose left half stores 1000 and right half 3000, windowed 2000/4000 in its header. */
function patternDicom(uidTail: string): Buffer {
  const rows = 256,
    columns = 256;
  const px = new Uint16Array(rows * columns);
  for (let y = 0; y < rows; y++) for (let x = 0; x < columns; x++) px[y * columns + x] = x < columns / 2 ? 1000 : 3000;
  const base = `1.2.826.0.1.3680043.10.1234.77.${uidTail}`;
  return writePart10(
    {
      SOPClassUID: SOP_CLASS.DX,
      SOPInstanceUID: `${base}.1.1`,
      StudyInstanceUID: base,
      SeriesInstanceUID: `${base}.1`,
      Modality: 'DX',
      ViewPosition: 'PA',
      WindowCenter: 2000,
      WindowWidth: 4000,
    },
    { rows, columns, pixels: px, bitsStored: 12 },
  );
}

async function openNextCase(page: Page, base: string, slug: string) {
  await page.goto(`${base}/projects/${slug}/read`);
  await page.getByRole('button', { name: 'Start the next case' }).click();
  await page.waitForURL(/\/read\/[0-9a-f-]{36}$/);
  await page.locator('section.viewer[data-ready="true"]').waitFor({ timeout: 60_000 });
  return page.url().split('/read/')[1];
}

/**
 * The grey value Chromium shows at a page point (screenshot of one pixel, decoded in the page).
 * Decoded as an image, not fetched: the app's CSP (connect-src 'self') rightly refuses a fetch of a
 * data: URL, while img-src allows data:.
 */
async function greyAt(page: Page, x: number, y: number): Promise<number> {
  const png = await page.screenshot({ clip: { x: Math.round(x), y: Math.round(y), width: 1, height: 1 } });
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = new OffscreenCanvas(1, 1);
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    return Math.round((d[0] + d[1] + d[2]) / 3);
  }, png.toString('base64'));
}

async function readout(page: Page, viewport: string) {
  const el = page.locator(`.tv-cell[data-viewport="${viewport}"] .tv-readout`);
  const d = await el.evaluate((e) => ({
    lower: (e as HTMLElement).dataset.lower,
    upper: (e as HTMLElement).dataset.upper,
    invert: (e as HTMLElement).dataset.invert,
    text: e.textContent,
  }));
  return { lower: Number(d.lower), upper: Number(d.upper), invert: d.invert === 'true', text: d.text ?? '' };
}

const expected = (v: number, r: { lower: number; upper: number; invert: boolean }) => {
  const g = Math.min(255, Math.max(0, ((v - r.lower) / (r.upper - r.lower)) * 255));
  return r.invert ? 255 - g : g;
};

describe.skipIf(!hasChromium)('Cornerstone3D viewer', () => {
  const ctx = useServerAndBrowser();

  it('renders known stored values through the header window, a right-drag window/level and invert', async () => {
    // Every demo chest PA becomes the known pattern, so whichever case comes next shows it.
    const dir = path.join(ctx.srv.dataDir, 'demo-images');
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('-1-PA.dcm'))) fs.writeFileSync(path.join(dir, f), patternDicom(f.replace(/\D/g, '').slice(0, 20)));
    const page = await ctx.browser.newPage({ viewport: { width: 1366, height: 768 } });
    await signInAs(page, ctx.srv.url, 'reader1@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await openNextCase(page, ctx.srv.url, 'chest-pneumothorax');
    const box = (await page.locator('.tv-cell[data-viewport="PA"]').boundingBox())!;
    const cx = box.x + box.width / 2,
      cy = box.y + box.height / 2;
    const sample = async () => ({ left: await greyAt(page, cx - 25, cy), right: await greyAt(page, cx + 25, cy) });

    let r = await readout(page, 'PA');
    expect(r.text).toBe('W 4000 L 2000');
    let s = await sample();
    expect(Math.abs(s.left - expected(1000, r))).toBeLessThanOrEqual(3);
    expect(Math.abs(s.right - expected(3000, r))).toBeLessThanOrEqual(3);
    expect(s.left).toBeGreaterThan(50);
    expect(s.right).toBeLessThan(205);

    // Right-drag: narrower and brighter; the readout names the new window and the canvas follows it.
    await page.mouse.move(cx, cy);
    await page.mouse.down({ button: 'right' });
    await page.mouse.move(cx - 60, cy - 40, { steps: 6 });
    await page.mouse.up({ button: 'right' });
    const after = await readout(page, 'PA');
    expect(after.text).not.toBe(r.text);
    r = after;
    s = await sample();
    expect(Math.abs(s.left - expected(1000, r))).toBeLessThanOrEqual(3);
    expect(Math.abs(s.right - expected(3000, r))).toBeLessThanOrEqual(3);

    await page.keyboard.press('i');
    const inv = await readout(page, 'PA');
    expect(inv.invert).toBe(true);
    const s2 = await sample();
    expect(Math.abs(s2.left - (255 - s.left))).toBeLessThanOrEqual(3);
    expect(Math.abs(s2.right - (255 - s.right))).toBeLessThanOrEqual(3);

    // 0 resets window and inversion; a shortcut typed into a text field does nothing.
    await page.keyboard.press('0');
    expect((await readout(page, 'PA')).text).toBe('W 4000 L 2000');
    await page.getByLabel('Comment (optional)').click();
    await page.keyboard.type('i');
    expect((await readout(page, 'PA')).invert).toBe(false);
    await page.close();
  });

  it('hangs a mammogram R-CC | L-CC over R-MLO | L-MLO, labelled from the header; the wheel zooms, the page stays', async () => {
    const page = await ctx.browser.newPage({ viewport: { width: 1366, height: 768 } });
    await signInAs(page, ctx.srv.url, 'reader1@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await openNextCase(page, ctx.srv.url, 'mammo-birads');
    const cells = await page.locator('.tv-cell').evaluateAll((els) =>
      els.map((e) => {
        const b = e.getBoundingClientRect();
        const d = (e as HTMLElement).dataset;
        return { label: e.querySelector('.tv-label')?.textContent, lat: d.laterality, view: d.view, x: b.x, y: b.y };
      }),
    );
    expect(cells.map((c) => [c.label, c.lat, c.view])).toEqual([
      ['R CC', 'R', 'CC'],
      ['L CC', 'L', 'CC'],
      ['R MLO', 'R', 'MLO'],
      ['L MLO', 'L', 'MLO'],
    ]);
    const [rcc, lcc, rmlo, lmlo] = cells;
    expect(rcc.x).toBeLessThan(lcc.x);
    expect(rcc.y).toBe(lcc.y);
    expect(rmlo.y).toBeGreaterThan(rcc.y);
    expect(rmlo.x).toBe(rcc.x);
    expect(lmlo.x).toBe(lcc.x);
    await page.screenshot({ path: path.join(SHOTS, 'viewer-mammography.png') });

    const box = (await page.locator('.tv-cell[data-viewport="R CC"]').boundingBox())!;
    const scrollBefore = await page.evaluate(() => window.scrollY);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -300);
    await page.mouse.wheel(0, 300);
    await page.mouse.wheel(0, -300);
    expect(await page.evaluate(() => window.scrollY)).toBe(scrollBefore);
    await page.close();
  });

  it('scrolls a CT stack with the wheel under a production-like CSP; chest PA | lateral side by side', async () => {
    const context = await ctx.browser.newContext({ viewport: { width: 1366, height: 768 } });
    await context.addInitScript(() => {
      (window as unknown as { cspViolations: string[] }).cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => (window as unknown as { cspViolations: string[] }).cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    await context.route('**/*', async (route) => {
      if (route.request().resourceType() !== 'document') return route.continue();
      const res = await route.fetch();
      await route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': CSP } });
    });
    const page = await context.newPage();
    await signInAs(page, ctx.srv.url, 'reader2@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await openNextCase(page, ctx.srv.url, 'chest-ct-nodule');
    const position = page.locator('.tv-cell[data-viewport="Axial"] .tv-position');
    expect(await position.textContent()).toBe('1 / 20');
    expect((await readout(page, 'Axial')).text).toBe('W 1500 L -600');
    const box = (await page.locator('.tv-cell[data-viewport="Axial"]').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < 11; i++) await page.mouse.wheel(0, 100);
    await expect.poll(() => position.textContent()).toBe('12 / 20');
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    await page.keyboard.press('w'); // first CT preset: lung
    await page.keyboard.press('w'); // mediastinum
    expect((await readout(page, 'Axial')).text).toBe('W 350 L 50');
    await page.screenshot({ path: path.join(SHOTS, 'viewer-ct.png') });

    await openNextCase(page, ctx.srv.url, 'chest-pneumothorax');
    const pa = (await page.locator('.tv-cell[data-viewport="PA"]').boundingBox())!;
    const lat = (await page.locator('.tv-cell[data-viewport="Lateral"]').boundingBox())!;
    expect(pa.x).toBeLessThan(lat.x);
    expect(await page.locator('.tv-cell[data-viewport="Lateral"]').getAttribute('data-view')).toBe('LL');
    // Form and Submit stay on screen beside the images at 1366×768.
    const submit = (await page.getByRole('button', { name: 'Submit and next case' }).boundingBox())!;
    expect(submit.y + submit.height).toBeLessThanOrEqual(768);
    expect(submit.x).toBeGreaterThan(lat.x + lat.width);
    await page.screenshot({ path: path.join(SHOTS, 'viewer-chest.png') });
    // Nothing the viewer needs is blocked: no worker, wasm, image or fetch violation. A bundled
    // dependency probes `eval` (a feature test that falls back); the viewer worked above regardless.
    const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
    expect(violations.filter((v) => !/^script-src eval\b/.test(v))).toEqual([]);
    await context.close();
  });

  it('serves no image to the signed-out, nor to a reader the case is not assigned to', async () => {
    const lead = await ctx.browser.newContext();
    const lp = await lead.newPage();
    await signInAs(lp, ctx.srv.url, 'lead@example.org');
    await lp.waitForURL(`${ctx.srv.url}/`);
    await lp.goto(`${ctx.srv.url}/projects/chest-pneumothorax/cases`);
    const ids = [...new Set((await lp.content()).match(/\/projects\/chest-pneumothorax\/cases\/([0-9a-f-]{36})/g) ?? [])].map((s) => s.split('/').pop()!);
    expect(ids.length).toBeGreaterThan(3);

    const reader = await ctx.browser.newContext();
    const rp = await reader.newPage();
    await signInAs(rp, ctx.srv.url, 'reader4@example.org');
    await rp.waitForURL(`${ctx.srv.url}/`);
    const mine = await openNextCase(rp, ctx.srv.url, 'chest-pneumothorax');
    const url = (id: string) => `${ctx.srv.url}/projects/chest-pneumothorax/cases/${id}/images/0`;

    expect((await reader.request.get(url(mine))).status()).toBe(200);
    // A reader sees the images of the cases they hold (the current one and one reserved next,
    // which may be prefetched) and of those they have read (the demo's reader4 has read some);
    // any other case of the project is refused as if it did not exist.
    const others = await Promise.all(
      ids
        .filter((id) => id !== mine)
        .map(async (id) => {
          const r = await reader.request.get(url(id));
          return { id, status: r.status(), type: r.headers()['content-type'] };
        }),
    );
    const refusedAll = others.filter((o) => o.status !== 200);
    expect(refusedAll.length).toBeGreaterThan(0);
    for (const o of refusedAll) {
      expect(o.status).toBe(404);
      expect(o.type).not.toBe('application/dicom');
    }
    const other = refusedAll[0].id;
    const asLead = await lead.request.get(url(other));
    expect(asLead.status()).toBe(200);
    expect(asLead.headers()['content-type']).toBe('application/dicom');

    const anonymous = await ctx.browser.newContext();
    const anon = await anonymous.request.get(url(mine), { maxRedirects: 0 });
    expect([302, 401]).toContain(anon.status());
    expect((await anonymous.request.get(`${ctx.srv.url}/demo-images/chest-pneumothorax-001-1-PA.dcm`)).headers()['content-type']).not.toBe('application/dicom');
    await Promise.all([lead.close(), reader.close(), anonymous.close()]);
  });

  it('prefetches the reserved next case while the reader works: opening it fetches no image again', async () => {
    const page = await ctx.browser.newPage({ viewport: { width: 1366, height: 768 } });
    const imageRequests: { at: number; url: string }[] = [];
    const finished: string[] = [];
    const isImage = (u: string) => /\/cases\/[0-9a-f-]{36}\/(images|dicomweb)\//.test(u);
    page.on('request', (r) => {
      if (isImage(r.url())) imageRequests.push({ at: Date.now(), url: r.url() });
    });
    // A prefetch still in flight when the reader submits is aborted by the navigation: wait for it to land.
    page.on('requestfinished', (r) => {
      if (isImage(r.url())) finished.push(r.url());
    });
    await signInAs(page, ctx.srv.url, 'reader3@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    const current = await openNextCase(page, ctx.srv.url, 'chest-pneumothorax');
    const caseOf = (u: string) => /\/cases\/([0-9a-f-]{36})\//.exec(u)![1];
    await expect.poll(() => imageRequests.filter((r) => caseOf(r.url) !== current).length, { timeout: 20_000 }).toBeGreaterThan(0);
    const next = caseOf(imageRequests.find((r) => caseOf(r.url) !== current)!.url);
    await expect.poll(() => imageRequests.filter((r) => caseOf(r.url) === next).length).toBe(2); // chest PA + lateral
    await expect.poll(() => finished.filter((u) => caseOf(u) === next).length, { timeout: 20_000 }).toBe(2);
    // Answer with the keyboard and submit: the reserved case opens, from the viewer's cache.
    const before = imageRequests.length;
    await page.keyboard.press('1');
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/read/${next}$`), { timeout: 30_000 });
    await page.locator('section.viewer[data-ready="true"]').waitFor({ timeout: 60_000 });
    // The viewer section stays across the client-side navigation (data-ready may still describe the
    // case just left): wait for the new case's two viewports rather than read the count once.
    await expect.poll(() => page.locator('.tv-cell').count(), { timeout: 30_000 }).toBe(2);
    expect(imageRequests.slice(before).filter((r) => caseOf(r.url) === next)).toEqual([]);
    await page.screenshot({ path: '/tmp/h14v-prefetched-next.png' });
    await page.close();
  });
});
