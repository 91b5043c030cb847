/**
 * Every transfer syntax the viewer promises, rendered under the app's real Content-Security-Policy
 * (the server's own headers, not a policy injected by the test): the same known pattern (left half
 * stored 1000, right half 3000, windowed 2000/4000; 64 | 192 windowed 128/256 for 8-bit JPEG
 * baseline) written as explicit VR little endian and transcoded with DCMTK (dcmconv, dcmcjpeg,
 * dcmcjpls, dcmcrle) or encoded with OpenJPEG (the codec package's encoder) for JPEG 2000, then
 * shown by the viewer and sampled on screen. The compressed ones decode in the loader's worker,
 * whose codecs need the Function constructor (embind): see lint-0002-viewer-codecs-eval.md.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import dcmjs from 'dcmjs';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';
import { writePart10, SOP_CLASS } from '../../imaging/part10.ts';

const hasDcmtk = ['dcmconv', 'dcmcjpeg', 'dcmcjpls', 'dcmcrle'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
const SIZE = 256;
const VIEWER_SRC = ['', 'viewer', 'viewer.js'].join('/');

function pattern(bits: 8 | 12): { px: Uint16Array; lo: number; hi: number; wc: number; ww: number } {
  const [lo, hi] = bits === 8 ? [64, 192] : [1000, 3000];
  const px = new Uint16Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) px[y * SIZE + x] = x < SIZE / 2 ? lo : hi;
  return { px, lo, hi, wc: bits === 8 ? 128 : 2000, ww: bits === 8 ? 256 : 4000 };
}

function explicitLe(bits: 8 | 12, tail: number): Buffer {
  const p = pattern(bits);
  const base = `1.2.826.0.1.3680043.10.1234.76.${tail}`;
  return writePart10(
    {
      SOPClassUID: SOP_CLASS.DX,
      SOPInstanceUID: `${base}.1.1`,
      StudyInstanceUID: base,
      SeriesInstanceUID: `${base}.1`,
      Modality: 'DX',
      ViewPosition: 'PA',
      WindowCenter: p.wc,
      WindowWidth: p.ww,
    },
    { rows: SIZE, columns: SIZE, pixels: p.px, bitsStored: bits },
  );
}

/** JPEG 2000 lossless with the OpenJPEG encoder the viewer's codec package ships. */
async function jpeg2000(source: Buffer): Promise<Buffer> {
  const require = createRequire(import.meta.url);
  const factory = require(path.resolve(import.meta.dirname, '../../node_modules/@cornerstonejs/codec-openjpeg/dist/openjpegwasm.js')) as () => Promise<{
    J2KEncoder: new () => {
      getDecodedBuffer(f: object): Uint8Array;
      setQuality(lossless: boolean, q: number): void;
      encode(): void;
      getEncodedBuffer(): Uint8Array;
    };
  }>;
  const enc = new (await factory()).J2KEncoder();
  const p = pattern(12);
  enc.getDecodedBuffer({ width: SIZE, height: SIZE, bitsPerSample: 16, componentCount: 1, isSigned: false, isUsingColorTransform: false }).set(new Uint8Array(p.px.buffer));
  enc.setQuality(true, 0);
  enc.encode();
  const codestream = enc.getEncodedBuffer().slice();
  const dict = dcmjs.data.DicomMessage.readFile(new Uint8Array(source).slice().buffer);
  dict.meta['00020010'].Value = ['1.2.840.10008.1.2.4.90'];
  dict.dict['7FE00010'] = { vr: 'OB', Value: [codestream.buffer] };
  return Buffer.from(dict.write());
}

function transcode(tool: string, args: string[], source: Buffer): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-codec-'));
  try {
    fs.writeFileSync(path.join(dir, 'in.dcm'), source);
    const r = spawnSync(tool, [...args, 'in.dcm', 'out.dcm'], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')}: ${r.stderr}`);
    return fs.readFileSync(path.join(dir, 'out.dcm'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Grey values at the centres of the left and right halves of the mounted image, as Chromium shows them. */
async function sampleHalves(page: Page): Promise<{ left: number; right: number }> {
  const b = (await page.locator('#codec-stage .tv-cell').boundingBox())!;
  const grey = async (x: number, y: number) => {
    const png = await page.screenshot({ clip: { x: Math.round(x), y: Math.round(y), width: 1, height: 1 } });
    return page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = new OffscreenCanvas(1, 1).getContext('2d')!;
      c.drawImage(img, 0, 0);
      const d = c.getImageData(0, 0, 1, 1).data;
      return Math.round((d[0] + d[1] + d[2]) / 3);
    }, png.toString('base64'));
  };
  // The image is square and fitted into the cell: a quarter of the shorter side from the centre.
  const q = Math.min(b.width, b.height) / 4;
  return { left: await grey(b.x + b.width / 2 - q, b.y + b.height / 2), right: await grey(b.x + b.width / 2 + q, b.y + b.height / 2) };
}

describe.skipIf(!hasChromium || !hasDcmtk)('viewer codecs under the real CSP', () => {
  const ctx = useServerAndBrowser();

  it('renders the known pattern in explicit/implicit LE, JPEG baseline, JPEG lossless, JPEG-LS, JPEG 2000 and RLE', async () => {
    const e12 = explicitLe(12, 1);
    const e8 = explicitLe(8, 2);
    const syntaxes: { name: string; ts: string; bytes: Buffer; lossy?: boolean; bits: 8 | 12 }[] = [
      { name: 'explicit VR little endian', ts: '1.2.840.10008.1.2.1', bytes: e12, bits: 12 },
      { name: 'implicit VR little endian', ts: '1.2.840.10008.1.2', bytes: transcode('dcmconv', ['+ti'], e12), bits: 12 },
      { name: 'JPEG baseline', ts: '1.2.840.10008.1.2.4.50', bytes: transcode('dcmcjpeg', ['+eb'], e8), lossy: true, bits: 8 },
      { name: 'JPEG lossless', ts: '1.2.840.10008.1.2.4.70', bytes: transcode('dcmcjpeg', ['+e1'], e12), bits: 12 },
      { name: 'JPEG-LS lossless', ts: '1.2.840.10008.1.2.4.80', bytes: transcode('dcmcjpls', ['+el'], e12), bits: 12 },
      { name: 'JPEG 2000 lossless', ts: '1.2.840.10008.1.2.4.90', bytes: await jpeg2000(e12), bits: 12 },
      { name: 'RLE lossless', ts: '1.2.840.10008.1.2.5', bytes: transcode('dcmcrle', [], e12), bits: 12 },
    ];
    for (const s of syntaxes) expect(dcmjs.data.DicomMessage.readFile(new Uint8Array(s.bytes).slice().buffer).meta['00020010'].Value[0], s.name).toBe(s.ts);

    // One chest case per syntax: its PA image file is replaced; the lead may open any case of the project.
    const page = await ctx.browser.newPage({ viewport: { width: 1000, height: 700 } });
    await signInAs(page, ctx.srv.url, 'lead@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await page.goto(`${ctx.srv.url}/projects/chest-pneumothorax/cases`);
    const ids = [...new Set((await page.content()).match(/\/projects\/chest-pneumothorax\/cases\/[0-9a-f-]{36}/g) ?? [])].slice(0, syntaxes.length);
    expect(ids).toHaveLength(syntaxes.length);
    const urls: string[] = [];
    for (const [i, id] of ids.entries()) {
      const html = await (await page.request.get(`${ctx.srv.url}${id}`)).text();
      const file = /demo-images\/(chest-pneumothorax-\d+-1-PA\.dcm)/.exec(html)![1];
      fs.writeFileSync(path.join(ctx.srv.dataDir, 'demo-images', file), syntaxes[i].bytes);
      urls.push(`${id}/images/0`);
    }

    // An app page with the server's own headers; the worker script gets its own from the server too.
    const violations: string[] = [];
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const res = await page.goto(`${ctx.srv.url}/projects/chest-pneumothorax/cases`);
    expect(res!.headers()['content-security-policy']).toMatch(/script-src 'self' 'nonce-[^']+' 'wasm-unsafe-eval'(;|$)/);
    await page.evaluate(() => {
      document.addEventListener('securitypolicyviolation', (e) => ((window as unknown as { v: string[] }).v ??= []).push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}`));
      const el = document.createElement('div');
      el.id = 'codec-stage';
      el.style.cssText = 'position:fixed;left:0;top:0;width:400px;height:400px;display:flex;flex-direction:column;background:#000;z-index:99';
      document.body.appendChild(el);
    });
    // A string, so the test's own bundler leaves the page's import alone.
    await page.evaluate(`(async () => { window.viewer = await import(${JSON.stringify(VIEWER_SRC)}); })()`);
    const seen: Record<string, { left: number; right: number }> = {};
    for (const [i, s] of syntaxes.entries()) {
      const shown = await page.evaluate(async (url) => {
        const w = window as unknown as { viewer: { mount(el: HTMLElement, images: unknown[]): Promise<{ destroy(): void }> }; h?: { destroy(): void } };
        w.h?.destroy();
        const el = document.getElementById('codec-stage')!;
        w.h = await w.viewer.mount(el, [{ kind: 'dicom', url }]);
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        return { cells: el.querySelectorAll('.tv-cell').length, error: el.querySelector('.tv-error, .tv-empty')?.textContent ?? null };
      }, urls[i]);
      expect(shown, s.name).toEqual({ cells: 1, error: null });
      const p = pattern(s.bits);
      const want = (v: number) => Math.round(((v - (p.wc - p.ww / 2)) / p.ww) * 255);
      seen[s.name] = await sampleHalves(page);
      const tol = s.lossy ? 6 : 3;
      expect(Math.abs(seen[s.name].left - want(p.lo)), `${s.name} left ${seen[s.name].left}`).toBeLessThanOrEqual(tol);
      expect(Math.abs(seen[s.name].right - want(p.hi)), `${s.name} right ${seen[s.name].right}`).toBeLessThanOrEqual(tol);
    }
    violations.push(...(await page.evaluate(() => (window as unknown as { v?: string[] }).v ?? [])));
    // The page itself still refuses eval: only the decode worker's own policy allows it.
    expect(violations.filter((v) => !/^script-src eval\b/.test(v))).toEqual([]);
    expect(errors.filter((e) => /EvalError|unsafe-eval|Content Security Policy/i.test(e))).toEqual([]);
    await page.close();
  }, 600_000);
});
