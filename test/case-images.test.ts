/**
 * Case images are served only through the case's path, to people who may see the case; the
 * demo's DICOM round-trips through dcmjs with the header the hanging protocols use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { classify, invoke, makeWorld, request } from './fixtures/app.ts';
import { cases } from '../db/schema.ts';
import { loader } from '../app/routes/projects.$slug.cases.$caseId.images.$index.tsx';
import { parseImageRef, viewerImages } from '../imaging/refs.ts';
import { hang } from '../imaging/hang.ts';
import { hangingProtocolSchema } from '../imaging/hanging-protocol.ts';
import { MAMMO_PROTOCOL } from '../imaging/demo-seed.ts';
import { mammoStudy } from '../imaging/demo-images.ts';
import { readAttributes } from '../imaging/part10.ts';

describe('image references', () => {
  it('parses demo files, external images and DICOMweb objects, and refuses paths out of the data dir', () => {
    expect(parseImageRef('/demo-images/a-001-1-PA.dcm')).toEqual({ kind: 'local', path: 'a-001-1-PA.dcm', format: 'dicom' });
    expect(parseImageRef('/demo-images/x.png')).toEqual({ kind: 'local', path: 'x.png', format: 'web' });
    expect(parseImageRef('/demo-images/../pglite/x.png')).toBeNull();
    expect(parseImageRef('https://example.org/a.jpg')).toEqual({ kind: 'external', url: 'https://example.org/a.jpg' });
    expect(parseImageRef('dicomweb:studies/1.2.3/series/4.5/instances/6.7')).toEqual({ kind: 'dicomweb', study: '1.2.3', series: '4.5', instance: '6.7' });
    expect(parseImageRef('dicomweb:studies/1.2.x')).toBeNull();
    expect(viewerImages(['/demo-images/a.dcm', 'https://h/b.png', 'dicomweb:studies/1.2'], '/projects/p/cases/c')).toEqual([
      { kind: 'dicom', url: '/projects/p/cases/c/images/0' },
      { kind: 'web', url: 'https://h/b.png' },
      { kind: 'dicomweb', base: '/projects/p/cases/c/dicomweb', study: '1.2', series: undefined, instance: undefined },
    ]);
  });
});

describe('hanging protocols', () => {
  it('hangs a four-view mammogram R-CC | L-CC over R-MLO | L-MLO whatever the manifest order', () => {
    const views = [
      { Modality: 'MG', ImageLaterality: 'L', ViewPosition: 'MLO' },
      { Modality: 'MG', ImageLaterality: 'R', ViewPosition: 'CC' },
      { Modality: 'MG', ImageLaterality: 'R', ViewPosition: 'MLO' },
      { Modality: 'MG', ImageLaterality: 'L', ViewPosition: 'CC' },
    ];
    const cells = hang(MAMMO_PROTOCOL, views);
    expect(cells.map((c) => [c.label, c.images, c.align])).toEqual([
      ['R CC', [1], 'right'],
      ['L CC', [3], 'left'],
      ['R MLO', [2], 'right'],
      ['L MLO', [0], 'left'],
    ]);
  });

  it('puts images that match no rule into empty viewports, and everything in one stack without a protocol', () => {
    const cells = hang(MAMMO_PROTOCOL, [{ Modality: 'MG', ImageLaterality: 'R', ViewPosition: 'CC' }, { Modality: 'MG' }]);
    expect(cells.map((c) => c.images)).toEqual([[0], [1], [], []]);
    expect(hang(undefined, [{}, {}, {}])).toEqual([{ label: '', stack: true, align: 'center', images: [0, 1, 2] }]);
  });

  it('refuses a protocol with more viewports than cells, naming the field', () => {
    const r = hangingProtocolSchema.safeParse({ name: 'x', rows: 1, columns: 1, viewports: [{ label: 'a' }, { label: 'b' }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(['viewports']);
  });

  it('writes mammograms whose header carries laterality and view (read back with dcmjs)', () => {
    const objs = mammoStudy({ studyUid: '1.2.826.0.1.3680043.10.1234.9.1', studyDate: '2025-02-03', accession: 'A', patientId: 'P', seed: 1 }, null);
    const heads = objs.map((o) => readAttributes(o.bytes));
    expect(heads.map((h) => `${h.ImageLaterality} ${h.ViewPosition}`)).toEqual(['R CC', 'L CC', 'R MLO', 'L MLO']);
    expect(heads[0]).toMatchObject({ Modality: 'MG', BitsStored: 12, Rows: 400, Columns: 320, StudyDate: '20250203' });
  });
});

describe('the case image route', () => {
  let t: TestDb;
  let w: Awaited<ReturnType<typeof makeWorld>>;
  let dataDir: string;
  const before = process.env.TRUTHLINE_DATA_DIR;
  beforeAll(async () => {
    t = await createTestDb();
    w = await makeWorld(t.db);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'truthline-images-'));
    process.env.TRUTHLINE_DATA_DIR = dataDir;
    fs.mkdirSync(path.join(dataDir, 'demo-images'));
    fs.writeFileSync(
      path.join(dataDir, 'demo-images', 'one.dcm'),
      mammoStudy({ studyUid: '1.2.3', studyDate: '2025-01-01', accession: 'A', patientId: 'P', seed: 2 }, null)[0].bytes,
    );
    await t.db
      .update(cases)
      .set({ images: ['/demo-images/one.dcm', '/demo-images/missing.png'] })
      .where(eq(cases.id, w.kase.id));
  }, 120_000);
  afterAll(async () => {
    process.env.TRUTHLINE_DATA_DIR = before;
    fs.rmSync(dataDir, { recursive: true, force: true });
    await t?.dispose();
  });
  const get = (cookie: string | null, index = '0', caseId = w.kase.id) =>
    invoke(loader as never, request(`/projects/${w.project.slug}/cases/${caseId}/images/${index}`, { cookie }), { slug: w.project.slug, caseId, index });

  it('serves the DICOM file to the lead, with its type and a private cache', async () => {
    const r = await get(w.cookies.lead);
    expect(r.status).toBe(200);
    expect(r.headers.get('Content-Type')).toBe('application/dicom');
    expect(r.headers.get('Cache-Control')).toContain('private');
    const bytes = Buffer.from(await r.arrayBuffer());
    expect(bytes.subarray(128, 132).toString('latin1')).toBe('DICM');
  });

  it('asks the signed-out to sign in; a reader without the case, an outsider and a malformed id get 404', async () => {
    expect(classify(await get(null))).toBe('login');
    expect(classify(await get(w.cookies.reader))).toBe('notfound');
    expect(classify(await get(w.cookies.otherLead))).toBe('notfound');
    expect(classify(await get(w.cookies.admin))).toBe('notfound');
    expect(classify(await get(w.cookies.lead, '1'))).toBe('notfound');
    expect(classify(await get(w.cookies.lead, '99'))).toBe('notfound');
    expect(classify(await get(w.cookies.lead, '-1'))).toBe('notfound');
    expect(classify(await get(w.cookies.lead, '0', 'not-a-uuid'))).toBe('notfound');
  });
});
