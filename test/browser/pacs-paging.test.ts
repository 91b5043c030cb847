/**
 * PACS import in Chromium against a real Orthanc: studies picked on one result page are still
 * picked after moving to the next page and back, and the check reads the picks of every page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { hasChromium, launch, signInAs, startServer, type Running } from './harness.ts';
import { writePart10, SOP_CLASS } from '../../imaging/part10.ts';
import { PACS_PAGE } from '../../app/models/pacs.server.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const hasOrthanc =
  spawnSync('sh', ['-c', 'command -v Orthanc && ls /usr/share/orthanc/plugins/libOrthancDicomWeb.so* /usr/lib/orthanc/plugins/libOrthancDicomWeb.so* 2>/dev/null | head -1'], {
    encoding: 'utf8',
  })
    .stdout.trim()
    .split('\n').length >= 2;
const UIDROOT = '1.2.826.0.1.3680043.10.1234.95';
// Ports of their own (PORT_BASE..+2), away from other suites that run at the same time.
const PORT_BASE = Number(process.env.TRUTHLINE_TEST_PORT_BASE ?? 31143);

function dx(i: number) {
  const study = `${UIDROOT}.${i}`;
  return writePart10(
    {
      SOPClassUID: SOP_CLASS.DX,
      SOPInstanceUID: `${study}.1.1`,
      StudyInstanceUID: study,
      SeriesInstanceUID: `${study}.1`,
      Modality: 'DX',
      StudyDate: '20220202',
      PatientID: `PG-${i}`,
      AccessionNumber: `PG-${String(i).padStart(2, '0')}`,
      SeriesNumber: 1,
      InstanceNumber: 1,
      BodyPartExamined: 'CHEST',
      ImagerPixelSpacing: [0.2, 0.2],
      ViewPosition: 'PA',
    },
    { rows: 16, columns: 16, pixels: new Uint16Array(256).fill(300), bitsStored: 12 },
  );
}

describe.skipIf(!hasChromium || !hasOrthanc)('PACS picks across result pages (skipped without chromium or Debian orthanc + orthanc-dicomweb)', () => {
  let orthanc: ChildProcess;
  let dataDir: string;
  let srv: Running;
  let browser: Browser;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'truthline-pacs-paging-'));
    orthanc = spawn('bash', [path.join(ROOT, 'scripts/orthanc.sh')], {
      env: { ...process.env, TRUTHLINE_DATA_DIR: dataDir, ORTHANC_HTTP_PORT: String(PORT_BASE), ORTHANC_DICOM_PORT: String(PORT_BASE + 1) },
      stdio: 'ignore',
    });
    const base = `http://127.0.0.1:${PORT_BASE}`;
    for (let i = 0; i < 120; i++) {
      if (
        await fetch(`${base}/system`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 500));
    }
    for (let i = 0; i < PACS_PAGE + 3; i++) expect((await fetch(`${base}/instances`, { method: 'POST', body: new Uint8Array(dx(i)) })).ok).toBe(true);
    srv = await startServer({ env: { DICOMWEB_URL: `${base}/dicom-web`, PORT: String(PORT_BASE + 2) } });
    browser = await launch();
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
    orthanc?.kill('SIGTERM');
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps a pick made on page 1 through page 2 and back, and checks the picks of both pages', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await signInAs(page, srv.url, 'lead@example.org');
    await page.waitForURL(`${srv.url}/`);
    await page.goto(`${srv.url}/projects/chest-pneumothorax/pacs`);
    await page.getByLabel('Study date from').fill('2022-02-02');
    await page.getByLabel('to', { exact: true }).fill('2022-02-02');
    await page.getByRole('button', { name: 'Search the PACS' }).click();
    const boxes = page.getByRole('table', { name: 'Studies on the PACS' }).getByRole('checkbox');
    await expect.poll(() => boxes.count()).toBe(PACS_PAGE);
    const first = boxes.nth(2);
    const firstName = await first.getAttribute('aria-label');
    await first.check();

    await page.getByRole('button', { name: 'Next page →' }).click();
    await page.getByText('Page 2').waitFor();
    await expect.poll(() => boxes.count()).toBe(3);
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'picked on other pages' }).textContent()).toBe('1 study picked on other pages');
    const second = boxes.nth(1);
    const secondName = await second.getAttribute('aria-label');
    await second.check();
    await page.screenshot({ path: '/tmp/h14-pacs-page2.png', fullPage: true });

    await page.getByRole('button', { name: '← Previous page' }).click();
    await page.getByText('Page 1').waitFor();
    await expect.poll(() => page.getByRole('checkbox', { name: firstName! }).isChecked()).toBe(true);
    const checkedHere = await boxes.evaluateAll((els) => els.filter((e) => (e as HTMLInputElement).checked).length);
    expect(checkedHere).toBe(1);

    await page.getByRole('button', { name: 'Next page →' }).click();
    await page.getByText('Page 2').waitFor();
    await expect.poll(() => page.getByRole('checkbox', { name: secondName! }).isChecked()).toBe(true);

    // Back on page 1 and checking from there: the pick held from page 2 goes too.
    await page.getByRole('button', { name: '← Previous page' }).click();
    await page.getByText('Page 1').waitFor();
    await page.getByRole('button', { name: 'Check the picked studies' }).click();
    const checked = page.getByRole('table', { name: 'Checked studies' });
    await checked.waitFor({ timeout: 120_000 });
    await expect.poll(() => checked.locator('tbody tr').count()).toBe(2);
    await page.screenshot({ path: '/tmp/h14-pacs-paged-check.png', fullPage: true });
    await page.close();
  }, 300_000);
});
