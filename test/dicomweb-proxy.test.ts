/**
 * DICOMweb through the app: per-case, per-request access, only studies the case references. Runs
 * against a real Orthanc (scripts/orthanc.sh) loaded with generated studies when Debian's
 * orthanc + orthanc-dicomweb are installed; the no-PACS path runs everywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { classify, invoke, makeWorld, request } from './fixtures/app.ts';
import { cases } from '../db/schema.ts';
import { loader } from '../app/routes/projects.$slug.cases.$caseId.dicomweb.$.tsx';
import { mammoStudy } from '../imaging/demo-images.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const hasOrthanc =
  spawnSync('sh', ['-c', 'command -v Orthanc && ls /usr/share/orthanc/plugins/libOrthancDicomWeb.so* /usr/lib/orthanc/plugins/libOrthancDicomWeb.so* 2>/dev/null | head -1'], {
    encoding: 'utf8',
  })
    .stdout.trim()
    .split('\n').length >= 2;
const STUDY = '1.2.826.0.1.3680043.10.1234.88.1';
const OTHER = '1.2.826.0.1.3680043.10.1234.88.2';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

describe('DICOMweb proxy', () => {
  let t: TestDb;
  let w: Awaited<ReturnType<typeof makeWorld>>;
  const saved = process.env.DICOMWEB_URL;
  beforeAll(async () => {
    t = await createTestDb();
    w = await makeWorld(t.db);
    await t.db
      .update(cases)
      .set({ images: [`dicomweb:studies/${STUDY}`] })
      .where(eq(cases.id, w.kase.id));
  }, 120_000);
  afterAll(async () => {
    process.env.DICOMWEB_URL = saved;
    await t?.dispose();
  });
  const get = (cookie: string | null, sub: string, accept = 'application/dicom+json') =>
    invoke(loader as never, request(`/projects/${w.project.slug}/cases/${w.kase.id}/dicomweb/${sub}`, { cookie, headers: { Accept: accept } }), {
      slug: w.project.slug,
      caseId: w.kase.id,
      '*': sub,
    });

  it('without a PACS: says so (503) to those who may see the case, and still refuses everyone else', async () => {
    delete process.env.DICOMWEB_URL;
    const r = await get(w.cookies.lead, `studies/${STUDY}/metadata`);
    expect(r.status).toBe(503);
    expect(await r.text()).toContain('DICOMWEB_URL');
    expect(classify(await get(null, `studies/${STUDY}/metadata`))).toBe('login');
    expect(classify(await get(w.cookies.reader, `studies/${STUDY}/metadata`))).toBe('notfound');
    expect(classify(await get(w.cookies.lead, `studies/${OTHER}/metadata`))).toBe('notfound');
    expect(classify(await get(w.cookies.lead, `studies/${STUDY}/rendered`))).toBe('notfound');
    expect(classify(await get(w.cookies.lead, `studies/${STUDY}/../../system`))).toBe('notfound');
  });

  describe.skipIf(!hasOrthanc)('against Orthanc (skipped: Debian orthanc + orthanc-dicomweb are not installed)', () => {
    let orthanc: ChildProcess;
    let dataDir: string;
    // biome-ignore lint/suspicious/noDuplicateTestHooks: this block starts its own Orthanc, beside the outer database setup
    beforeAll(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'truthline-orthanc-'));
      const port = await freePort();
      orthanc = spawn('bash', [path.join(ROOT, 'scripts/orthanc.sh')], {
        env: { ...process.env, TRUTHLINE_DATA_DIR: dataDir, ORTHANC_HTTP_PORT: String(port), ORTHANC_DICOM_PORT: String(await freePort()) },
        stdio: 'ignore',
      });
      const base = `http://127.0.0.1:${port}`;
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
      for (const uid of [STUDY, OTHER]) {
        for (const o of mammoStudy({ studyUid: uid, studyDate: '2025-03-04', accession: 'ACC', patientId: 'PX', seed: 3 }, 'left')) {
          const r = await fetch(`${base}/instances`, { method: 'POST', body: new Uint8Array(o.bytes) });
          expect(r.ok).toBe(true);
        }
      }
      process.env.DICOMWEB_URL = `${base}/dicom-web`;
    }, 120_000);
    // biome-ignore lint/suspicious/noDuplicateTestHooks: stops the Orthanc this block started
    afterAll(() => {
      orthanc?.kill('SIGTERM');
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('passes the study metadata and pixel frames of the case through to the lead', async () => {
      const meta = await get(w.cookies.lead, `studies/${STUDY}/metadata`);
      expect(meta.status).toBe(200);
      // A browser stops reading at Content-Length: it must not be the PACS's (gzipped) length.
      const body = await meta.clone().arrayBuffer();
      const length = meta.headers.get('Content-Length');
      if (length !== null) expect(Number(length)).toBe(body.byteLength);
      const instances = (await meta.json()) as Record<string, { Value?: unknown[] }>[];
      expect(instances.map((m) => `${m['00200062']?.Value?.[0]} ${m['00185101']?.Value?.[0]}`).sort()).toEqual(['L CC', 'L MLO', 'R CC', 'R MLO']);
      const one = instances[0];
      const sub = `studies/${STUDY}/series/${one['0020000E'].Value![0]}/instances/${one['00080018'].Value![0]}/frames/1`;
      const frame = await get(w.cookies.lead, sub, 'multipart/related; type="application/octet-stream"; transfer-syntax=*');
      expect(frame.status).toBe(200);
      expect(frame.headers.get('Content-Type')).toContain('multipart/related');
      expect((await frame.arrayBuffer()).byteLength).toBeGreaterThan(400 * 320 * 2);
    });

    it('refuses a frame to a reader the case is not assigned to, another study, and the signed-out', async () => {
      const sub = `studies/${STUDY}/metadata`;
      expect(classify(await get(w.cookies.reader, sub))).toBe('notfound');
      expect(classify(await get(w.cookies.otherLead, sub))).toBe('notfound');
      expect(classify(await get(null, sub))).toBe('login');
      expect(classify(await get(w.cookies.lead, `studies/${OTHER}/metadata`))).toBe('notfound');
    });
  });
});
