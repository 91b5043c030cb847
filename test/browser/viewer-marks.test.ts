/**
 * The viewer bundle on its own (no app): a static page mounts it on a generated DICOM (pixel
 * spacing 0.7 mm, so world and image coordinates differ) and a generated PNG. Marks are drawn
 * with the real mouse and keys P/B/E/G; their image coordinates are checked against the page
 * geometry (a square image fitted into a square viewport: image px = canvas px × 256 / size),
 * replayed into a fresh mount and read back unchanged, and seen on screen in their colours.
 * Linked zoom and prefetch are checked here too.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { hasChromium, launch } from './harness.ts';
import { writePart10, SOP_CLASS } from '../../imaging/part10.ts';
import type { Mark } from '../../viewer/marks-types.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SIZE = 512; // viewport height in CSS px (wider than tall, so the image's left and right edges show); the images are 256 × 256
const SOP = (k: number) => `1.2.826.0.1.3680043.10.1234.91.${k}.1.1`;

function dicom(k: number): Buffer {
  const px = new Uint16Array(256 * 256);
  for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) px[y * 256 + x] = 200 + ((x >> 5) + (y >> 5)) * 40;
  const base = `1.2.826.0.1.3680043.10.1234.91.${k}`;
  return writePart10(
    {
      SOPClassUID: SOP_CLASS.DX,
      SOPInstanceUID: SOP(k),
      StudyInstanceUID: base,
      SeriesInstanceUID: `${base}.1`,
      Modality: 'DX',
      PixelSpacing: [0.7, 0.7],
      WindowCenter: 500,
      WindowWidth: 1000,
    },
    { rows: 256, columns: 256, pixels: px, bitsStored: 12 },
  );
}

/** A 256×256 greyscale PNG (gradient), written by hand: zlib + CRC, no image library. */
function png(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(256, 0);
  ihdr.writeUInt32BE(256, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc(257 * 256);
  for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) raw[y * 257 + 1 + x] = (x + y) >> 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const PAGE = `<!doctype html><html><head><style>
body { margin: 0; background: #222; }
#v { position: absolute; left: 40px; top: 30px; width: ${SIZE + 160}px; height: ${SIZE}px; }
#w { position: absolute; left: 40px; top: 30px; width: ${SIZE * 2}px; height: ${SIZE}px; }
.tv-grid { display: grid; width: 100%; height: 100%; } .tv-cell { position: relative; min-height: 0; } .tv-vp { position: absolute; inset: 0; }
.tv-label, .tv-readout, .tv-position { display: none; }
</style></head><body><div id="v"></div><div id="w" hidden></div><script type="module">
const viewer = await import('/viewer/viewer.js');
window.viewer = viewer;
window.ready = true;
</script></body></html>`;

describe.skipIf(!hasChromium)('viewer marks, linked zoom and prefetch (the bundle alone)', () => {
  let server: http.Server;
  let base: string;
  let browser: Browser;
  let buildDir: string;
  const hits: string[] = [];

  beforeAll(async () => {
    buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'h14v-viewer-'));
    const b = spawnSync(process.execPath, ['scripts/build-viewer.mjs'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TRUTHLINE_BUILD_DIR: buildDir } });
    if (b.status !== 0) throw new Error(`viewer build failed: ${b.stderr}`);
    const files: Record<string, [Buffer, string]> = {
      '/': [Buffer.from(PAGE), 'text/html'],
      '/a.dcm': [dicom(1), 'application/dicom'],
      '/b.dcm': [dicom(2), 'application/dicom'],
      '/c.dcm': [dicom(3), 'application/dicom'],
      '/d.dcm': [dicom(4), 'application/dicom'],
      '/g.png': [png(), 'image/png'],
    };
    server = http.createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      hits.push(url);
      const f = files[url];
      if (f) {
        res.writeHead(200, { 'Content-Type': f[1], 'Cache-Control': 'no-store' });
        return res.end(f[0]);
      }
      const p = path.join(buildDir, 'public', path.normalize(url));
      if (url.startsWith('/viewer/') && fs.existsSync(p)) {
        const type = p.endsWith('.js') ? 'text/javascript' : p.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream';
        res.writeHead(200, { 'Content-Type': type });
        return res.end(fs.readFileSync(p));
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    browser = await launch();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (buildDir) fs.rmSync(buildDir, { recursive: true, force: true });
  });

  async function open(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1200, height: 640 } });
    page.on('pageerror', (e) => console.error('page error', e));
    await page.goto(base);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    return page;
  }

  /** Mounts into #v with marks; onChange / onSelect calls are kept on window. */
  async function mountMarks(page: Page, images: unknown[], marks: Mark[], layers: unknown[] = []) {
    await page.evaluate(
      async ({ images, marks, layers }) => {
        const w = window as unknown as Record<string, unknown> & { viewer: { mount: (...a: unknown[]) => Promise<{ destroy(): void }> }; handle?: { destroy(): void } };
        w.handle?.destroy();
        w.changes = [];
        w.selected = [];
        w.handle = await w.viewer.mount(document.getElementById('v'), images, undefined, {
          marks: {
            editable: true,
            marks,
            layers,
            onChange: (m: unknown) => (w.changes as unknown[]).push(m),
            onSelect: (id: unknown) => (w.selected as unknown[]).push(id),
          },
        });
      },
      { images, marks, layers },
    );
  }
  const changes = (page: Page) => page.evaluate(() => (window as unknown as { changes: Mark[][] }).changes);
  const last = async (page: Page) => (await changes(page)).at(-1) ?? [];

  /**
   * Where the 256×256 image is on the page, measured from a screenshot (its first and last
   * non-black columns through the middle), not from the viewer: an independent check. Only the
   * left and right edges are measured: fitted to the height, the top and bottom rows are cut by
   * half a pixel (Cornerstone fits pixel centres), and pixels are square.
   */
  async function imageRect(page: Page) {
    const b = (await page.locator('#v .tv-vp').boundingBox())!;
    const shot = await page.screenshot({ clip: b });
    const e = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = new OffscreenCanvas(img.width, img.height);
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, img.width, img.height).data;
      const lit = (x: number, y: number) => d[(y * img.width + x) * 4] > 12;
      const my = img.height >> 1;
      const mx = img.width >> 1;
      let l = 0;
      while (l < img.width && !lit(l, my)) l++;
      let r = img.width - 1;
      while (r > 0 && !lit(r, my)) r--;
      void mx;
      return { l, r: r + 1 };
    }, shot.toString('base64'));
    const w = e.r - e.l;
    return { x: b.x + e.l, y: b.y + b.height / 2 - w / 2, w, h: w };
  }
  /** The page point of image coordinates (x, y) in #v, and page px per image px. */
  async function pagePoint(page: Page, x: number, y: number) {
    const r = await imageRect(page);
    return { x: r.x + (x * r.w) / 256, y: r.y + (y * r.h) / 256, scale: r.w / 256 };
  }
  async function rgbAt(page: Page, x: number, y: number) {
    const shot = await page.screenshot({ clip: { x: Math.round(x) - 1, y: Math.round(y) - 1, width: 3, height: 3 } });
    return page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = new OffscreenCanvas(3, 3);
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, 3, 3).data;
      const px: number[][] = [];
      for (let i = 0; i < d.length; i += 4) px.push([d[i], d[i + 1], d[i + 2]]);
      return px;
    }, shot.toString('base64'));
  }
  const has = (px: number[][], f: (p: number[]) => boolean) => px.some(f);
  const yellow = (p: number[]) => p[0] > 200 && p[1] > 170 && p[2] < 80;
  const magenta = (p: number[]) => p[0] > 200 && p[1] < 80 && p[2] > 200;

  it('draws point, box, ellipse and polygon with the mouse in image pixel coordinates; Delete, Escape; replays them exactly', async () => {
    const page = await open();
    await mountMarks(page, [{ kind: 'dicom', url: '/a.dcm' }], []);
    const rect = await imageRect(page);
    const s = rect.w / 256;
    // Fitted to the viewport's height (to a pixel or two: the half pixels cut at top and bottom).
    expect(Math.abs(rect.w - SIZE)).toBeLessThanOrEqual(3);
    const at = (x: number, y: number) => pagePoint(page, x, y);
    // Image coordinates from the measured geometry alone; an edge found to a screen pixel is half an image pixel here.
    const imageOf = async (px: number, py: number) => [((px - rect.x) * 256) / rect.w, ((py - rect.y) * 256) / rect.h];
    const near = (got: number[], want: number[]) => {
      expect(Math.abs(got[0] - want[0])).toBeLessThanOrEqual(1 / s + 0.01);
      expect(Math.abs(got[1] - want[1])).toBeLessThanOrEqual(1 / s + 0.01);
    };

    // Box: B, drag corner to corner.
    await page.keyboard.press('b');
    const b1 = await at(40, 50);
    const b2 = await at(120, 100);
    await page.mouse.move(Math.round(b1.x), Math.round(b1.y));
    await page.mouse.down();
    await page.mouse.move(Math.round(b2.x), Math.round(b2.y), { steps: 8 });
    await page.mouse.up();
    await expect.poll(async () => (await last(page)).length).toBe(1);
    const box = (await last(page))[0];
    expect(box.kind).toBe('box');
    expect(box.image).toEqual({ sopInstanceUid: SOP(1) });
    near(box.points[0], await imageOf(Math.round(b1.x), Math.round(b1.y)));
    near(box.points[1], await imageOf(Math.round(b2.x), Math.round(b2.y)));

    // Point: P, click.
    await page.keyboard.press('p');
    const p1 = await at(200, 60);
    await page.mouse.click(Math.round(p1.x), Math.round(p1.y));
    await expect.poll(async () => (await last(page)).length).toBe(2);
    const point = (await last(page))[1];
    expect(point.kind).toBe('point');
    near(point.points[0], await imageOf(Math.round(p1.x), Math.round(p1.y)));

    // Ellipse: E, drag from the centre; the mark is its bounding box.
    await page.keyboard.press('e');
    const c = await at(180, 180);
    await page.mouse.move(Math.round(c.x), Math.round(c.y));
    await page.mouse.down();
    await page.mouse.move(Math.round(c.x) + 40, Math.round(c.y) + 24, { steps: 8 });
    await page.mouse.up();
    await expect.poll(async () => (await last(page)).length).toBe(3);
    const ell = (await last(page))[2];
    expect(ell.kind).toBe('ellipse');
    const ce = await imageOf(Math.round(c.x), Math.round(c.y));
    near(ell.points[0], [ce[0] - 40 / s, ce[1] - 24 / s]);
    near(ell.points[1], [ce[0] + 40 / s, ce[1] + 24 / s]);

    // Polygon: G, click four vertices, close on the first.
    await page.keyboard.press('g');
    const verts = [await at(40, 160), await at(100, 150), await at(110, 220), await at(50, 230)].map((v) => ({ x: Math.round(v.x), y: Math.round(v.y) }));
    for (const v of verts) {
      await page.mouse.click(v.x, v.y);
      await page.waitForTimeout(80);
    }
    await page.mouse.click(verts[0].x, verts[0].y);
    await expect.poll(async () => (await last(page)).length).toBe(4);
    const poly = (await last(page))[3];
    expect(poly.kind).toBe('polygon');
    expect(poly.points).toHaveLength(4);
    for (const [i, v] of verts.entries()) near(poly.points[i], await imageOf(v.x, v.y));

    // Escape ends the tool: the left button pans again, and a click on the box's corner selects it.
    await page.keyboard.press('Escape');
    expect(await page.locator('#v .tv-vp').first().getAttribute('data-mark-tool')).toBe('');
    await page.screenshot({ path: '/tmp/h14v-marks-drawn.png' });
    const drawn = await last(page);
    await page.mouse.click(Math.round(b2.x), Math.round(b2.y));
    await expect.poll(() => page.evaluate(() => (window as unknown as { selected: unknown[] }).selected.at(-1))).toBe(box.id);
    await page.keyboard.press('Delete');
    await expect.poll(async () => (await last(page)).map((m) => m.kind)).toEqual(['point', 'ellipse', 'polygon']);

    // Replay: a fresh mount given the drawn marks reads them back unchanged and shows them where they were.
    await mountMarks(page, [{ kind: 'dicom', url: '/a.dcm' }], drawn, [
      {
        key: 'reader-b',
        colour: 'rgb(255, 0, 255)',
        marks: [
          {
            id: 'x',
            kind: 'box',
            image: { sopInstanceUid: SOP(1) },
            points: [
              [150, 20],
              [230, 90],
            ],
          },
        ],
      },
    ]);
    await page.waitForTimeout(300);
    expect((await changes(page)).length).toBe(0); // replaying is not a change
    const edge = await at(box.points[0][0], (box.points[0][1] + box.points[1][1]) / 2); // left edge of the replayed box
    expect(has(await rgbAt(page, edge.x, edge.y), yellow)).toBe(true);
    const layerEdge = await at(150, 55);
    expect(has(await rgbAt(page, layerEdge.x, layerEdge.y), magenta)).toBe(true);
    await page.screenshot({ path: '/tmp/h14v-marks-replayed.png' });
    // Moving nothing and deleting one: the others come back exactly as given. The layer stays (read-only).
    await page.evaluate((id) => (window as unknown as { handle: { selectMark(id: string): void } }).handle.selectMark(id), drawn[0].id);
    await page.keyboard.press('Delete');
    await expect.poll(async () => (await last(page)).map((m) => m.id)).toEqual(drawn.slice(1).map((m) => m.id));
    expect(await last(page)).toEqual(drawn.slice(1));
    expect(has(await rgbAt(page, layerEdge.x, layerEdge.y), magenta)).toBe(true);
    await page.close();
  });

  it('marks a PNG by its URL; a mark on an image not in the case is not placed', async () => {
    const page = await open();
    await mountMarks(page, [{ kind: 'web', url: '/g.png' }], [{ id: 'gone', kind: 'point', image: { sopInstanceUid: '1.2.3' }, points: [[5, 5]] }]);
    await page.keyboard.press('p');
    const p = await pagePoint(page, 64, 32);
    await page.mouse.click(Math.round(p.x), Math.round(p.y));
    await expect.poll(async () => (await last(page)).length).toBe(1);
    const m = (await last(page))[0];
    expect(m.image).toEqual({ url: '/g.png' });
    expect(Math.abs(m.points[0][0] - 64)).toBeLessThanOrEqual(1 / p.scale + 0.01);
    expect(Math.abs(m.points[0][1] - 32)).toBeLessThanOrEqual(1 / p.scale + 0.01);
    await page.close();
  });

  it('links zoom and pan across viewports, mirrored between back-to-back views; can be unlinked', async () => {
    const page = await open();
    await page.evaluate(async () => {
      const w = window as unknown as Record<string, unknown> & { viewer: { mount: (...a: unknown[]) => Promise<unknown> } };
      document.getElementById('v')!.hidden = true;
      document.getElementById('w')!.hidden = false;
      const protocol = {
        name: 'two',
        rows: 1,
        columns: 2,
        viewports: [
          { label: 'R', align: 'right' },
          { label: 'L', align: 'left' },
        ],
      };
      w.handle = await w.viewer.mount(
        document.getElementById('w'),
        [
          { kind: 'dicom', url: '/a.dcm' },
          { kind: 'dicom', url: '/b.dcm' },
        ],
        protocol,
      );
    });
    const zoom = (label: string) => page.locator(`#w .tv-cell[data-viewport="${label}"]`).getAttribute('data-zoom').then(Number);
    expect(await page.locator('#w').getAttribute('data-linked')).toBe('true');
    expect([await zoom('R'), await zoom('L')]).toEqual([1, 1]);
    const r = (await page.locator('#w .tv-cell[data-viewport="R"]').boundingBox())!;
    await page.mouse.move(r.x + r.width * 0.75, r.y + r.height / 2);
    await page.mouse.wheel(0, -100);
    await page.mouse.wheel(0, -100);
    await expect.poll(() => zoom('R')).toBeGreaterThan(1.2);
    expect(await zoom('L')).toBeCloseTo(await zoom('R'), 3);
    // A drag in R pans L too (mirrored: back to back); L's pixels change though only R was touched.
    const shotBefore = await page.screenshot({ clip: { x: r.x + r.width, y: r.y, width: r.width, height: r.height } });
    await page.mouse.move(r.x + r.width / 2, r.y + r.height / 2);
    await page.mouse.down();
    await page.mouse.move(r.x + r.width / 2 + 60, r.y + r.height / 2, { steps: 6 });
    await page.mouse.up();
    const shotAfter = await page.screenshot({ clip: { x: r.x + r.width, y: r.y, width: r.width, height: r.height } });
    expect(shotAfter.equals(shotBefore)).toBe(false);
    await page.screenshot({ path: '/tmp/h14v-linked.png' });
    // Unlinked: zooming R leaves L alone.
    await page.evaluate(() => (window as unknown as { handle: { setLinked(b: boolean): void } }).handle.setLinked(false));
    const lBefore = await zoom('L');
    await page.mouse.move(r.x + r.width / 2, r.y + r.height / 2);
    await page.mouse.wheel(0, -100);
    await expect.poll(() => zoom('R')).toBeGreaterThan(lBefore + 0.05);
    expect(await zoom('L')).toBe(lBefore);
    await page.close();
  });

  it('prefetch() caches a case before it is shown: mounting it then fetches nothing', async () => {
    const page = await open();
    hits.length = 0;
    const got = await page.evaluate(() =>
      (window as unknown as { viewer: { prefetch(i: unknown[]): Promise<unknown> } }).viewer.prefetch([
        { kind: 'dicom', url: '/c.dcm' },
        { kind: 'dicom', url: '/d.dcm' },
      ]),
    );
    expect(got).toEqual({ loaded: 2, failed: 0 });
    expect(hits.filter((h) => h.endsWith('.dcm')).sort()).toEqual(['/c.dcm', '/d.dcm']);
    hits.length = 0;
    await page.evaluate(async () => {
      const w = window as unknown as Record<string, unknown> & { viewer: { mount: (...a: unknown[]) => Promise<unknown> } };
      w.handle = await w.viewer.mount(document.getElementById('v'), [
        { kind: 'dicom', url: '/c.dcm' },
        { kind: 'dicom', url: '/d.dcm' },
      ]);
    });
    expect(await page.locator('#v .tv-cell').count()).toBe(1);
    expect(hits.filter((h) => h.endsWith('.dcm'))).toEqual([]);
    await page.close();
  });
});
