/**
 * Marks from other tools in the browser: a reader's mark on a DICOM view is listed by the view's
 * name (L CC), not its UID; the lead uploads a bad COCO file (every problem listed by JSON path,
 * nothing stored), then a DICOM SR of that case's study, sees the preview per case, and imports it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';
import { lesionsToSr } from '../../formats/dicom-sr.ts';
import { readAttributes } from '../../imaging/part10.ts';
import type { Lesion } from '../../workflows/marks.ts';

function dicomFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? dicomFiles(path.join(dir, e.name)) : e.name.endsWith('.dcm') ? [path.join(dir, e.name)] : []));
}

describe.skipIf(!hasChromium)('marks import in the browser', () => {
  const ctx = useServerAndBrowser();
  let current: Page | null = null;

  it('a mark is listed by its view; the lead checks a COCO file with problems, then previews and imports an SR', async () => {
    try {
      await story();
    } catch (e) {
      await current?.screenshot({ path: '/tmp/h20-import-failure.png', fullPage: true }).catch(() => {});
      throw e;
    }
  }, 600_000);

  async function story() {
    const reader = await ctx.browser.newPage();
    current = reader;
    await reader.setViewportSize({ width: 1400, height: 1000 });
    await signInAs(reader, ctx.srv.url, 'reader3@example.org');
    await reader.waitForURL(`${ctx.srv.url}/`);
    await reader.goto(`${ctx.srv.url}/projects/mammo-marks/read`);
    await reader.getByRole('button', { name: 'Start the next case' }).click();
    await reader.waitForURL(/\/read\/[0-9a-f-]{36}$/);
    await reader.locator('.viewer[data-ready="true"]').waitFor({ timeout: 120_000 });
    const cell = (await reader.locator('.tv-cell[data-viewport="L CC"] .tv-vp').boundingBox())!;
    await reader.keyboard.press('p');
    await expect.poll(() => reader.locator('.tv-vp').first().getAttribute('data-mark-tool')).toBe('point');
    await reader.mouse.click(Math.round(cell.x + cell.width * 0.2), Math.round(cell.y + cell.height * 0.5));
    await expect.poll(() => reader.locator('.marks-list li').count()).toBe(1);
    const row = reader.getByRole('button', { name: /^Mark 1:/ });
    await expect.poll(() => row.textContent()).toMatch(/^Mark 1: Point on L CC\b/);
    await reader.screenshot({ path: '/tmp/h20-marks-list-view.png' });
    const [drawn] = JSON.parse(await reader.locator('input[name="marks:lesions"]').inputValue()) as Lesion[];
    await reader.close();

    // The study and its L CC view, from the demo's DICOM files.
    const files = dicomFiles(path.join(ctx.srv.dataDir, 'demo-images')).map((f) => readAttributes(fs.readFileSync(f)));
    const view = files.find((a) => a.SOPInstanceUID === drawn!.image.sopInstanceUid)!;
    expect(view.ViewPosition).toBe('CC');
    const study = String(view.StudyInstanceUID);
    const rcc = files.find((a) => a.StudyInstanceUID === study && a.ImageLaterality === 'R' && a.ViewPosition === 'CC')!;

    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'h20-upload-'));
    const coco = path.join(tmp, 'cad.json');
    fs.writeFileSync(
      coco,
      JSON.stringify({
        images: [{ id: 1, file_name: 'https://img.example/not-in-any-case.png', width: 10, height: 10 }],
        annotations: [{ id: 1, image_id: 1, bbox: [1, 1, 4, 4], score: 0.8 }],
      }),
    );
    const lesions: Lesion[] = [
      {
        id: 'ai1',
        kind: 'box',
        image: { sopInstanceUid: String(rcc.SOPInstanceUID) },
        points: [
          [120, 150],
          [180, 210],
        ],
        answers: { score: '0.93' },
      },
      { id: 'ai2', kind: 'point', image: { sopInstanceUid: String(view.SOPInstanceUID) }, points: [[64, 200]], answers: { score: '0.41' } },
    ];
    const sr = path.join(tmp, 'cad.dcm');
    fs.writeFileSync(sr, lesionsToSr({ studyInstanceUid: study, patientId: 'X', studyDate: '2025-01-01', seriesInstanceUid: '2.25.5', sopInstanceUid: '2.25.6' }, lesions));

    const lead = await ctx.browser.newPage();
    current = lead;
    await lead.setViewportSize({ width: 1280, height: 1000 });
    await signInAs(lead, ctx.srv.url, 'lead@example.org');
    await lead.waitForURL(`${ctx.srv.url}/`);
    await lead.goto(`${ctx.srv.url}/projects/mammo-marks/cases`);
    await lead.getByRole('link', { name: 'Import marks' }).click();
    await lead.waitForURL(`${ctx.srv.url}/projects/mammo-marks/marks/import`);
    await lead.getByText('No marks imported yet.').waitFor();

    await lead.getByLabel('Marks file', { exact: true }).setInputFiles(coco);
    await lead.getByLabel('Source', { exact: true }).fill('CAD 2.1');
    await lead.getByLabel('AI model detections').check();
    await lead.getByRole('button', { name: 'Check and preview' }).click();
    const alert = lead.getByRole('alert');
    await alert.waitFor({ timeout: 60_000 });
    expect(await alert.locator('li').allTextContents()).toEqual([
      '$.annotations[0].bbox: image https://img.example/not-in-any-case.png is not an image of any case of this project (file_name must be the image as the case manifest names it)',
    ]);
    await lead.screenshot({ path: '/tmp/h20-marks-import-problems.png', fullPage: true });

    await lead.getByLabel('Marks file', { exact: true }).setInputFiles(sr);
    await lead.getByLabel('Source', { exact: true }).fill('CAD 2.1');
    await lead.getByRole('button', { name: 'Check and preview' }).click();
    await lead.getByText(/Every mark is placed: 2 lesions for 1 case/).waitFor({ timeout: 60_000 });
    const cells = await lead.locator('table:has(caption:text("Marks per case")) tbody tr td').allTextContents();
    expect(cells.slice(1)).toEqual(['2', '1 box, 1 point', '2']);
    await lead.screenshot({ path: '/tmp/h20-marks-import-preview.png', fullPage: true });
    await lead.getByRole('button', { name: 'Import 2 lesions' }).click();
    await lead.getByText('2 lesions of CAD 2.1 stored for 1 case.').waitFor({ timeout: 60_000 });
    const source = await lead.locator('table:has(caption:text("Imported sources")) tbody tr td').allTextContents();
    expect(source.slice(0, 4)).toEqual(['CAD 2.1', 'AI model detections', '1', '2']);
    await lead.screenshot({ path: '/tmp/h20-marks-import-done.png', fullPage: true });
    await lead.close();
  }
});
