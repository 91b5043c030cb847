/**
 * Import from the PACS through the page's loader and action, against a real Orthanc
 * (scripts/orthanc.sh) loaded with generated studies: QIDO search with filters and pages, the
 * header check as a job (warnings per study), acknowledgement required, then the case import's
 * own check and import. Header rules are also checked on hand-made headers (no PACS needed), and
 * the page says plainly when no PACS is configured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { classify, invoke, makeWorld, request } from './fixtures/app.ts';
import { cases, patients } from '../db/schema.ts';
import { action, loader } from '../app/routes/projects.$slug.pacs.tsx';
import { mammoStudy } from '../imaging/demo-images.ts';
import { writePart10, SOP_CLASS } from '../imaging/part10.ts';
import { runNextJob } from '../jobs/runner.ts';
import { importCheckedManifest, type ManifestJobResult } from '../app/models/import.server.ts';
import { headerWarnings, type DicomJson } from '../app/models/pacs-headers.server.ts';
import { PACS_PAGE, pacsPseudonym, type PacsCheckResult } from '../app/models/pacs.server.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const hasOrthanc =
  spawnSync('sh', ['-c', 'command -v Orthanc && ls /usr/share/orthanc/plugins/libOrthancDicomWeb.so* /usr/lib/orthanc/plugins/libOrthancDicomWeb.so* 2>/dev/null | head -1'], {
    encoding: 'utf8',
  })
    .stdout.trim()
    .split('\n').length >= 2;

const UIDROOT = '1.2.826.0.1.3680043.10.1234.96';
const MAMMO = `${UIDROOT}.1`;
const BAD = `${UIDROOT}.2`;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** A small DX study: the "bad" one has burned-in text, contradicting laterality, no body part and no pixel spacing. */
function dx(study: string, { bad = false, date = '20240105', patient = 'PX-OK', accession = '' } = {}) {
  const px = new Uint16Array(16 * 16).fill(300);
  return writePart10(
    {
      SOPClassUID: SOP_CLASS.DX,
      SOPInstanceUID: `${study}.1.1`,
      StudyInstanceUID: study,
      SeriesInstanceUID: `${study}.1`,
      Modality: 'DX',
      StudyDate: date,
      PatientID: patient,
      AccessionNumber: accession,
      SeriesNumber: 1,
      InstanceNumber: 1,
      ...(bad ? { BurnedInAnnotation: 'YES', ImageLaterality: 'R', Laterality: 'L' } : { BodyPartExamined: 'CHEST', ImagerPixelSpacing: [0.2, 0.2], ViewPosition: 'PA' }),
    },
    { rows: 16, columns: 16, pixels: px, bitsStored: 12 },
  );
}

describe('PACS header warnings (hand-made headers)', () => {
  const v = (x: unknown) => ({ Value: [x] });
  const base: DicomJson = { '00080060': v('MG'), '00180015': v('BREAST'), '00280030': v(0.1), '7FE00010': {} };
  const series = (headers: DicomJson[], extra: Partial<{ hasPixels: boolean; transferSyntax: string | null; modality: string }> = {}) => ({
    uid: '1.2.3',
    modality: 'MG',
    instances: headers.length,
    headers,
    hasPixels: true,
    transferSyntax: '1.2.840.10008.1.2.1',
    ...extra,
  });
  it('flags each problem once, and a clean header not at all', () => {
    const clean = headerWarnings({ '00080061': v('MG') }, [series([{ ...base, '00200062': v('R'), '00185101': v('CC') }])]);
    expect(clean.warnings).toEqual([]);
    expect(clean.summary).toEqual({ modality: 'MG', bodyPart: 'BREAST', laterality: 'R', views: ['CC'], manufacturer: '' });

    const w = headerWarnings({ '00100010': v({ Alphabetic: 'DOE^JANE' }) }, [
      series([{ ...base, '00280030': undefined, '00091010': v('vendor'), '00280301': v('YES'), '00200062': v('R'), '00200060': v('L') }], {
        transferSyntax: '1.2.840.10008.1.2.4.100',
      }),
      series([{ '00080060': v('SR') }], { hasPixels: false, modality: 'SR' }),
      series([{ ...base, '00180015': v('CHEST') }]),
    ]).warnings.join('\n');
    for (const text of [
      /series 2 \(SR\) has no pixel data/,
      /Body part examined contradicts itself across series \(BREAST, CHEST\)/,
      /laterality contradicts itself/,
      /laterality is missing on a MG image/,
      /Burned In Annotation = YES/,
      /Identifying attributes are present \(patient name\)/,
      /Private tags are present/,
      /series 1 \(MG\): pixel spacing is missing/,
      /transfer syntax 1\.2\.840\.10008\.1\.2\.4\.100 is not one the viewer can decode/,
    ])
      expect(w).toMatch(text);
  });
});

describe('PACS import page', () => {
  let t: TestDb;
  let w: Awaited<ReturnType<typeof makeWorld>>;
  const saved = process.env.DICOMWEB_URL;
  beforeAll(async () => {
    t = await createTestDb();
    w = await makeWorld(t.db);
  }, 120_000);
  afterAll(async () => {
    process.env.DICOMWEB_URL = saved;
    await t?.dispose();
  });
  const get = (cookie: string | null, query = '') => invoke(loader as never, request(`/projects/${w.project.slug}/pacs${query}`, { cookie }), { slug: w.project.slug });
  const post = (cookie: string | null, fields: [string, string][]) => {
    const r = new Request(`http://localhost/projects/${w.project.slug}/pacs`, {
      method: 'POST',
      headers: { Cookie: cookie ?? '', 'Content-Type': 'application/x-www-form-urlencoded', 'x-truthline-client-ip': '127.0.0.1' },
      body: new URLSearchParams(fields),
    });
    return invoke(action as never, r, { slug: w.project.slug });
  };
  const runJobs = async () => {
    while (await runNextJob({ db: t.db })) {
      /* until the queue is empty */
    }
  };

  it('without a PACS: says so, and is for the lead only', async () => {
    delete process.env.DICOMWEB_URL;
    const r = await get(w.cookies.lead);
    expect(r.status).toBe(200);
    expect((await r.json()).configured).toBe(false);
    expect(classify(await get(w.cookies.reader))).toBe('forbidden');
    expect(classify(await get(null))).toBe('login');
    expect(classify(await get(w.cookies.otherLead))).toBe('notfound');
  });

  it('moving to another result page hands the picks back (deduplicated), refuses a bad UID, writes nothing', async () => {
    const ok = await post(w.cookies.lead, [
      ['intent', 'page'],
      ['study', '1.2.3'],
      ['study', '1.2.3'],
      ['study', '1.2.4'],
    ]);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, picks: ['1.2.3', '1.2.4'] });
    const bad = await post(w.cookies.lead, [
      ['intent', 'page'],
      ['study', '1.2.x'],
    ]);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/not a DICOM UID/);
    expect(classify(await post(w.cookies.reader, [['intent', 'page']]))).toBe('forbidden');
  });

  describe.skipIf(!hasOrthanc)('against Orthanc (skipped: Debian orthanc + orthanc-dicomweb are not installed)', () => {
    let orthanc: ChildProcess;
    let dataDir: string;
    // biome-ignore lint/suspicious/noDuplicateTestHooks: this block starts its own Orthanc, beside the outer database setup
    beforeAll(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'truthline-pacs-'));
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
      const put = async (bytes: Buffer) => expect((await fetch(`${base}/instances`, { method: 'POST', body: new Uint8Array(bytes) })).ok).toBe(true);
      for (const o of mammoStudy({ studyUid: MAMMO, studyDate: '2025-03-04', accession: 'ACC-MG', patientId: 'PX-MG', seed: 3 }, 'left')) await put(o.bytes);
      await put(dx(BAD, { bad: true, date: '20240210', patient: 'PX-BAD', accession: 'ACC-BAD' }));
      // Enough small studies for a second page.
      for (let i = 0; i < PACS_PAGE + 3; i++) await put(dx(`${UIDROOT}.10.${i}`, { date: '20230101', patient: `PX-${i}`, accession: `ACC-${i}` }));
      process.env.DICOMWEB_URL = `${base}/dicom-web`;
    }, 180_000);
    // biome-ignore lint/suspicious/noDuplicateTestHooks: stops the Orthanc this block started
    afterAll(() => {
      orthanc?.kill('SIGTERM');
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    type Page = {
      configured: boolean;
      results: { studies: { uid: string; imported: boolean; date: string; accession: string }[]; hasMore: boolean } | null;
      searchError: string | null;
    };
    const search = async (q: string) => (await (await get(w.cookies.lead, q)).json()) as Page;

    it('searches by modality, date range, accession and patient, a page at a time', async () => {
      expect((await search('?modality=MG')).results!.studies.map((s) => s.uid)).toEqual([MAMMO]);
      expect((await search('?from=2024-01-01&to=2024-12-31')).results!.studies.map((s) => s.uid)).toEqual([BAD]);
      expect((await search('?accession=ACC-BAD')).results!.studies.map((s) => s.accession)).toEqual(['ACC-BAD']);
      expect((await search('?patientId=PX-MG')).results!.studies.map((s) => s.uid)).toEqual([MAMMO]);
      const first = await search('?from=2023-01-01&to=2023-01-01');
      expect(first.results!.studies).toHaveLength(PACS_PAGE);
      expect(first.results!.hasMore).toBe(true);
      const second = await search('?from=2023-01-01&to=2023-01-01&page=1');
      expect(second.results!.studies).toHaveLength(3);
      expect(second.results!.hasMore).toBe(false);
      expect(new Set([...first.results!.studies, ...second.results!.studies].map((s) => s.uid)).size).toBe(PACS_PAGE + 3);
      // A malformed filter is a message, not a search and not a 500.
      const bad = await search('?from=March');
      expect(bad.results).toBeNull();
      expect(bad.searchError).toMatch(/YYYY-MM-DD/);
    });

    it('checks the picked studies in a job, insists on acknowledgement, then hands a manifest to the case import', async () => {
      expect((await post(w.cookies.lead, [['intent', 'check']])).status).toBe(400);
      expect(
        classify(
          await post(w.cookies.reader, [
            ['intent', 'check'],
            ['study', MAMMO],
          ]),
        ),
      ).toBe('forbidden');
      const started = await post(w.cookies.lead, [
        ['intent', 'check'],
        ['study', MAMMO],
        ['study', BAD],
      ]);
      expect(started.status).toBe(302);
      const jobId = new URL(started.headers.get('Location')!, 'http://x').searchParams.get('job')!;
      await runJobs();
      const page = (await (await get(w.cookies.lead, `?job=${jobId}`)).json()) as { job: { status: string; result: PacsCheckResult } };
      expect(page.job.status).toBe('succeeded');
      const [mg, bad] = page.job.result.studies;
      expect(mg).toMatchObject({ uid: MAMMO, date: '2025-03-04', modality: 'MG', bodyPart: 'BREAST', laterality: 'L R', manufacturer: 'Truthline synthetic' });
      expect(mg.views.sort()).toEqual(['CC', 'MLO']);
      expect(mg.imageSeries).toHaveLength(1);
      expect(mg.patient).toBe(pacsPseudonym(w.project.id, 'PX-MG'));
      // The demo writer names every patient, so even the clean study carries that one warning.
      expect(mg.warnings).toEqual([expect.stringMatching(/^Identifying attributes are present \(patient name\)/)]);
      const bw = bad.warnings.join('\n');
      for (const text of [/Burned In Annotation = YES/, /laterality contradicts itself/, /Body part examined \(0018,0015\) is missing/, /pixel spacing is missing/])
        expect(bw).toMatch(text);
      expect(bw).not.toMatch(/transfer syntax/); // stored explicit VR little endian, which the viewer decodes

      // One study acknowledged of two: refused, nothing started.
      const refused = await post(w.cookies.lead, [
        ['intent', 'manifest'],
        ['job', jobId],
        ['ack', MAMMO],
      ]);
      expect(refused.status).toBe(400);
      expect(JSON.stringify(await refused.json())).toMatch(/Acknowledge the header warnings of 1 study/);

      const go = await post(w.cookies.lead, [
        ['intent', 'manifest'],
        ['job', jobId],
        ['ack', MAMMO],
        ['ack', BAD],
        ['assign', 'on'],
        ['ratio', '70/10/20'],
      ]);
      expect(go.status).toBe(302);
      const loc = go.headers.get('Location')!;
      expect(loc).toMatch(new RegExp(`^/projects/${w.project.slug}/cases/import\\?job=`));
      const checkJob = new URL(loc, 'http://x').searchParams.get('job')!;
      await runJobs();
      const { getJob } = await import('../jobs/runner.ts');
      const check = (await getJob({ jobId: checkJob, db: t.db }))!;
      expect(check.status).toBe('succeeded');
      const preview = check.result as ManifestJobResult;
      expect(preview.total).toBe(2);
      expect(preview.problems).toEqual([]);

      const imp = await importCheckedManifest({ projectId: w.project.id, checkJobId: checkJob, actorId: w.users.lead.id });
      expect(imp).not.toBeNull();
      await runJobs();
      const rows = await t.db
        .select()
        .from(cases)
        .where(and(eq(cases.projectId, w.project.id), eq(cases.studyInstanceUid, MAMMO)));
      expect(rows).toHaveLength(1);
      expect(rows[0].images).toEqual([`dicomweb:studies/${MAMMO}/series/${MAMMO}.1`]);
      expect(rows[0].modality).toBe('MG');
      expect(rows[0].studyDate).toBe('2025-03-04');
      const [pt] = await t.db.select().from(patients).where(eq(patients.id, rows[0].patientId));
      expect(pt.pseudonym).toBe(pacsPseudonym(w.project.id, 'PX-MG'));
      expect(JSON.stringify(rows[0])).not.toContain('PX-MG');

      // Imported studies are marked in the search and cannot be picked again.
      const again = await search('?modality=MG');
      expect(again.results!.studies).toEqual([expect.objectContaining({ uid: MAMMO, imported: true })]);
    });
  });
});
