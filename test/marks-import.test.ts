/**
 * Import of marks from other tools on the lead's page /projects/:slug/marks/import: a file posted
 * is checked by a `marks.check` job and previewed per case (unknown cases and images named by their
 * JSON path or SR item, nothing stored), then a `marks.import` job stores every lesion or none.
 * Export → import round trips: COCO (formats/coco.ts) and the case's DICOM SR as the marks.dcm
 * export writes it (formats/dicom-sr.ts), placed on web and DICOM images of the case. The
 * case's DICOM images are named by their view (marks-images.server.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, inArray } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { buildProject, type Fixture } from './fixtures/workflow.ts';
import { testPasswordHash } from './fixtures/base.ts';
import { BASE, invoke, sessionCookie } from './fixtures/app.ts';
import { mammographyDefinition } from '../seed/demo-projects.ts';
import { auditLog, cases, importedMarks, projects, users } from '../db/schema.ts';
import { runNextJob } from '../jobs/runner.ts';
import { lesionsToCoco } from '../formats/coco.ts';
import { lesionsToSr, uidForUrl } from '../formats/dicom-sr.ts';
import { SOP_CLASS, uid, writePart10 } from '../imaging/part10.ts';
import type { Lesion } from '../workflows/marks.ts';
import { caseImportedMarks, type MarksImportResult } from '../app/models/marks-import.server.ts';
import { caseImageIndex, viewNames } from '../app/models/marks-images.server.ts';
import * as page from '../app/routes/projects.$slug.marks.import.tsx';
import * as viewsRoute from '../app/routes/projects.$slug.cases.$caseId.image-views.tsx';
import { IMPORTED_COLOUR, imageLabel, imageNames, importedLayer } from '../app/components/marks-viewer.ts';

let t: TestDb;
let f: Fixture;
let slug: string;
let cookie: string;
let refs: string[];
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'h20-marks-'));
const study = uid(20, 1);
const lcc = uid(20, 1, 1, 1);
const web = (i: number) => `https://img.example/case${i}.png`;
const dicomRef = '/demo-images/h20/lcc.dcm';

beforeAll(async () => {
  process.env.TRUTHLINE_DATA_DIR = dataDir;
  // One DICOM view of the first case: L CC, 4 × 4 pixels.
  fs.mkdirSync(path.join(dataDir, 'demo-images', 'h20'), { recursive: true });
  fs.writeFileSync(
    path.join(dataDir, 'demo-images', 'h20', 'lcc.dcm'),
    writePart10(
      {
        SOPClassUID: SOP_CLASS.MG,
        SOPInstanceUID: lcc,
        StudyInstanceUID: study,
        SeriesInstanceUID: uid(20, 1, 1),
        Modality: 'MG',
        ImageLaterality: 'L',
        ViewPosition: 'CC',
        SeriesDescription: 'L CC tomo',
      },
      { rows: 4, columns: 4, pixels: new Uint16Array(16), bitsStored: 12 },
    ),
  );
  t = await createTestDb();
  f = await buildProject(t.db, { definition: mammographyDefinition, cases: 3 });
  [{ slug }] = await t.db.select({ slug: projects.slug }).from(projects).where(eq(projects.id, f.projectId));
  await t.db
    .update(users)
    .set({ passwordHash: await testPasswordHash() })
    .where(eq(users.id, f.lead));
  const [lead] = await t.db.select().from(users).where(eq(users.id, f.lead));
  cookie = await sessionCookie(lead.email);
  for (const [i, id] of f.caseIds.entries())
    await t.db
      .update(cases)
      .set({ images: i === 0 ? [web(0), dicomRef] : [web(i)], studyInstanceUid: i === 0 ? study : null })
      .where(eq(cases.id, id));
  const byId = new Map((await t.db.select({ id: cases.id, e: cases.externalId }).from(cases).where(inArray(cases.id, f.caseIds))).map((r) => [r.id, r.e!]));
  refs = f.caseIds.map((id) => byId.get(id)!);
}, 120_000);
afterAll(async () => {
  await t?.dispose();
  delete process.env.TRUTHLINE_DATA_DIR;
});

async function post(fields: Record<string, string>, file?: { name: string; bytes: Uint8Array | string }) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.set(k, v);
  if (file) fd.set('file', new File([file.bytes as BlobPart], file.name));
  const req = new Request(`${BASE}/projects/${slug}/marks/import`, { method: 'POST', body: fd, headers: { Cookie: cookie, 'x-truthline-client-ip': '127.0.0.1' } });
  return invoke(page.action as never, req, { slug });
}

async function runAndLoad(res: Response) {
  expect(res.status).toBe(302);
  const loc = res.headers.get('Location')!;
  expect(loc).toMatch(new RegExp(`^/projects/${slug}/marks/import\\?job=[0-9a-f-]{36}$`));
  await runNextJob({ db: t.db });
  const r = await invoke(page.loader as never, new Request(`${BASE}${loc}`, { headers: { Cookie: cookie } }), { slug });
  expect(r.status).toBe(200);
  const data = (await r.json()) as { job: { id: string; kind: string; status: string; result: MarksImportResult }; sources: { source: string; cases: number; lesions: number }[] };
  return data;
}
const stored = async () => t.db.select().from(importedMarks).where(eq(importedMarks.projectId, f.projectId));

const box = (id: string, url: string, x: number): Lesion => ({
  id,
  kind: 'box',
  image: { url },
  points: [
    [x, 10],
    [x + 20, 30],
  ],
  answers: { birads: '4' },
});
const outline = (id: string, url: string): Lesion => ({
  id,
  kind: 'polygon',
  image: { url },
  points: [
    [1, 1],
    [30, 2],
    [12, 25.5],
  ],
  answers: { birads: '3' },
});

describe('marks import page', () => {
  it('a COCO file with an unknown image and an unknown case: the check fails naming each by its JSON path; nothing is stored', async () => {
    const coco = lesionsToCoco(
      [
        { url: web(0), width: 64, height: 64 },
        { url: 'https://img.example/elsewhere.png', width: 64, height: 64 },
      ],
      [box('a1', web(0), 5), box('a2', 'https://img.example/elsewhere.png', 5)],
      'type',
    );
    const doc = { ...coco, images: [...coco.images, { id: 3, file_name: web(1), width: 64, height: 64, case_id: 'NOT-A-CASE' }] };
    doc.annotations.push({ ...doc.annotations[0]!, id: 3, image_id: 3, attributes: { lesion_id: 'a3', kind: 'box' } });
    const { job } = await runAndLoad(await post({ intent: 'preview', source: 'CAD 2.1', sourceKind: 'model' }, { name: 'cad.json', bytes: JSON.stringify(doc) }));
    expect(job.kind).toBe('marks.check');
    expect(job.status).toBe('failed');
    expect(job.result.problems.map((p) => p.text)).toEqual([
      '$.annotations[1].bbox: image https://img.example/elsewhere.png is not an image of any case of this project (file_name must be the image as the case manifest names it)',
      '$.annotations[2].bbox: case_id NOT-A-CASE is not a case of this project',
    ]);
    expect(await stored()).toEqual([]);
  });

  it('an image two cases share is placed only with the case_id the image names', async () => {
    const extra = await f.addCase();
    await t.db
      .update(cases)
      .set({ images: [web(1)] })
      .where(eq(cases.id, extra));
    const [{ e: extraRef }] = await t.db.select({ e: cases.externalId }).from(cases).where(eq(cases.id, extra));
    const coco = lesionsToCoco([{ url: web(1), width: 64, height: 64 }], [box('d1', web(1), 5)], 'type');
    const a = await runAndLoad(await post({ intent: 'preview', source: 'S', sourceKind: 'model' }, { name: 'x.json', bytes: JSON.stringify(coco) }));
    expect(a.job.result.problems.map((p) => p.text)).toEqual([
      `$.annotations[0].bbox: image ${web(1)} belongs to 2 cases (${[refs[1]!, extraRef!].sort().join(', ')}); add case_id to the image`,
    ]);
    const named = { ...coco, images: [{ ...coco.images[0]!, case_id: extraRef }] };
    const b = await runAndLoad(await post({ intent: 'preview', source: 'S', sourceKind: 'model' }, { name: 'x.json', bytes: JSON.stringify(named) }));
    expect(b.job.result).toMatchObject({ problemCount: 0, cases: [{ caseId: extraRef, lesions: 1 }] });
    await t.db.update(cases).set({ images: [] }).where(eq(cases.id, extra));
  });

  it('a bare file name (as other tools write it) names the case image whose reference ends with it', async () => {
    const doc = {
      images: [
        { id: 1, file_name: 'case2.png' },
        { id: 2, file_name: 'nowhere.png' },
      ],
      annotations: [
        { id: 1, image_id: 1, bbox: [1, 2, 3, 4] },
        { id: 2, image_id: 2, bbox: [1, 2, 3, 4] },
      ],
    };
    const a = await runAndLoad(await post({ intent: 'preview', source: 'S', sourceKind: 'model' }, { name: 'x.json', bytes: JSON.stringify(doc) }));
    expect(a.job.result.problems.map((p) => p.text)).toEqual([
      '$.annotations[1].bbox: image nowhere.png is not an image of any case of this project (file_name must be the image as the case manifest names it)',
    ]);
    expect(a.job.result.cases).toEqual([{ caseId: refs[2], lesions: 1, kinds: { box: 1 }, images: 1 }]);
    const b = await runAndLoad(
      await post({ intent: 'preview', source: 'S', sourceKind: 'model' }, { name: 'x.json', bytes: JSON.stringify({ ...doc, annotations: doc.annotations.slice(0, 1) }) }),
    );
    expect(b.job.result.problemCount).toBe(0);
    await runAndLoad(await post({ intent: 'import', check: b.job.id }));
    const got = await caseImportedMarks({ projectId: f.projectId, caseId: f.caseIds[2]!, db: t.db });
    expect(got.find((g) => g.source === 'S')!.lesions.map((l) => l.image)).toEqual([{ url: web(2) }]);
    await t.db.delete(importedMarks).where(eq(importedMarks.source, 'S'));
  });

  it('a malformed file is refused at the check with its path', async () => {
    const { job } = await runAndLoad(
      await post(
        { intent: 'preview', source: 'CAD 2.1', sourceKind: 'model' },
        { name: 'cad.json', bytes: JSON.stringify({ images: [{ id: 1, file_name: web(0) }], annotations: [{ image_id: 1, bbox: [0, 0, -1, 2] }] }) },
      ),
    );
    expect(job.status).toBe('failed');
    expect(job.result.problems).toEqual([{ where: '$.annotations[0].bbox', text: '$.annotations[0].bbox: a box needs a positive width and height, found -1 × 2' }]);
  });

  it('the form names a missing source and file', async () => {
    const r = await post({ intent: 'preview', source: ' ', sourceKind: 'model' });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { errors: Record<string, string[]> }).errors.source).toEqual(['name the source (e.g. the model and its version)']);
    const r2 = await post({ intent: 'preview', source: 'x', sourceKind: 'model' });
    expect(((await r2.json()) as { errors: Record<string, string[]> }).errors.file).toEqual(['Choose a COCO JSON or DICOM SR file']);
    const r3 = await post({ intent: 'import', check: '00000000-0000-0000-0000-000000000000' });
    expect(((await r3.json()) as { errors: Record<string, string[]> }).errors.file[0]).toMatch(/Check the file first/);
  });

  it('COCO export → upload → preview per case → import: the same boxes and outlines, stored all at once', async () => {
    const lesions = [box('b1', web(0), 5), outline('b2', web(0)), box('b3', web(2), 40)];
    const coco = lesionsToCoco(
      [0, 1, 2].map((i) => ({ url: web(i), width: 64, height: 64 })),
      lesions,
      'type',
    );
    const check = await runAndLoad(await post({ intent: 'preview', source: 'CAD 2.1', sourceKind: 'model' }, { name: 'cad.json', bytes: JSON.stringify(coco) }));
    expect(check.job.status).toBe('succeeded');
    expect(check.job.result).toMatchObject({ format: 'coco', total: 3, caseCount: 2, problemCount: 0 });
    expect(check.job.result.cases).toEqual(
      [
        { caseId: refs[0], lesions: 2, kinds: { box: 1, polygon: 1 }, images: 1 },
        { caseId: refs[2], lesions: 1, kinds: { box: 1 }, images: 1 },
      ].sort((a, b) => a.caseId!.localeCompare(b.caseId!)),
    );
    expect(await stored()).toEqual([]);

    const done = await runAndLoad(await post({ intent: 'import', check: check.job.id }));
    expect(done.job.kind).toBe('marks.import');
    expect(done.job.status).toBe('succeeded');
    expect(done.job.result.stored).toBe(3);
    expect(done.sources).toMatchObject([{ source: 'CAD 2.1', cases: 2, lesions: 3 }]);
    const got = await caseImportedMarks({ projectId: f.projectId, caseId: f.caseIds[0]!, db: t.db });
    expect(got).toEqual([
      { source: 'CAD 2.1', sourceKind: 'model', format: 'coco', lesions: [lesions[0], lesions[1]].map((l) => ({ ...l, answers: { birads: l.answers.birads } })) },
    ]);
    const audits = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.projectId, f.projectId), eq(auditLog.action, 'marks.import')));
    expect(audits.map((a) => a.details).filter((d) => (d as { source: string }).source === 'CAD 2.1')).toEqual([
      expect.objectContaining({ source: 'CAD 2.1', lesions: 3, cases: 2, format: 'coco', sourceKind: 'model' }),
    ]);

    // The same source again replaces its marks for the cases in the file, and only those.
    const again = lesionsToCoco([{ url: web(2), width: 64, height: 64 }], [box('c1', web(2), 1), box('c2', web(2), 30)], 'type');
    const c2 = await runAndLoad(await post({ intent: 'preview', source: 'CAD 2.1', sourceKind: 'model' }, { name: 'cad.json', bytes: JSON.stringify(again) }));
    await runAndLoad(await post({ intent: 'import', check: c2.job.id }));
    const rows = await stored();
    expect(rows.map((r) => [r.caseId, (r.lesions as Lesion[]).map((l) => l.id)]).sort()).toEqual(
      [
        [f.caseIds[0], ['b1', 'b2']],
        [f.caseIds[2], ['c1', 'c2']],
      ].sort(),
    );
  });

  it('DICOM SR export → upload → import: the same lesions on the case of its study, web and DICOM images alike', async () => {
    const lesions: Lesion[] = [
      { ...box('L1', web(0), 3), source: { marks: ['r1:m1', 'r2:m1'], action: 'agreed' } },
      {
        id: 'L2',
        kind: 'ellipse',
        image: { sopInstanceUid: lcc },
        points: [
          [0.5, 0.25],
          [3, 3.125],
        ],
        answers: { birads: '4' },
        spacing: [0.07, 0.07],
      },
      { id: 'L3', kind: 'point', image: { sopInstanceUid: lcc }, points: [[2, 2]], answers: {} },
    ];
    const sr = lesionsToSr({ studyInstanceUid: study, patientId: 'P1', studyDate: '2024-01-01', seriesInstanceUid: '2.25.7', sopInstanceUid: '2.25.8' }, lesions);
    const check = await runAndLoad(await post({ intent: 'preview', source: 'Prior reading 2023', sourceKind: 'reference' }, { name: 'lesions.dcm', bytes: new Uint8Array(sr) }));
    expect(check.job.status).toBe('succeeded');
    expect(check.job.result).toMatchObject({ format: 'sr', total: 3, caseCount: 1, cases: [{ caseId: refs[0], lesions: 3, kinds: { box: 1, ellipse: 1, point: 1 }, images: 2 }] });
    const done = await runAndLoad(await post({ intent: 'import', check: check.job.id }));
    expect(done.job.status).toBe('succeeded');
    const got = await caseImportedMarks({ projectId: f.projectId, caseId: f.caseIds[0]!, sourceKind: 'reference', db: t.db });
    expect(got).toEqual([{ source: 'Prior reading 2023', sourceKind: 'reference', format: 'sr', lesions }]);
  });

  it('an SR of another study, or on an image not in the case, is refused naming the study or the content item', async () => {
    const other = lesionsToSr({ studyInstanceUid: '1.2.3.999', patientId: 'P', studyDate: '2024-01-01', seriesInstanceUid: '2.25.9', sopInstanceUid: '2.25.10' }, [
      box('x', web(0), 1),
    ]);
    const a = await runAndLoad(await post({ intent: 'preview', source: 'S', sourceKind: 'reference' }, { name: 'x.dcm', bytes: new Uint8Array(other) }));
    expect(a.job.result.problems.map((p) => p.text)).toEqual(['(0020,000D) StudyInstanceUID: no case of this project has study 1.2.3.999']);
    const wrongImage = lesionsToSr({ studyInstanceUid: study, patientId: 'P', studyDate: '2024-01-01', seriesInstanceUid: '2.25.9', sopInstanceUid: '2.25.11' }, [
      { id: 'x', kind: 'point', image: { sopInstanceUid: '1.2.3.4.5' }, points: [[1, 1]], answers: {} },
    ]);
    const b = await runAndLoad(await post({ intent: 'preview', source: 'S', sourceKind: 'reference' }, { name: 'x.dcm', bytes: new Uint8Array(wrongImage) }));
    expect(b.job.status).toBe('failed');
    expect(b.job.result.problems[0]!.text).toMatch(
      new RegExp(`^ContentSequence\\[\\d+\\]\\.ContentSequence\\[0\\]: image 1\\.2\\.3\\.4\\.5 is not one of case ${refs[0]}'s images$`),
    );
  });

  it("a case's DICOM images are named by their view, web images by their reference", () => {
    const ix = caseImageIndex({ images: [web(0), dicomRef, 'dicomweb:studies/1.2.3/series/4.5'] });
    expect(ix.entries.map((e) => [e.sopInstanceUid, e.view])).toEqual([
      [uidForUrl(web(0)), null],
      [lcc, 'L CC'],
      [undefined, null],
    ]);
    expect(ix.open).toBe(true);
    expect(viewNames({ index: ix })).toEqual({ [lcc]: 'L CC' });
  });

  it('the marks list names a DICOM image by its view, served to whoever may see the case', async () => {
    const r = await invoke(viewsRoute.loader as never, new Request(`${BASE}/projects/${slug}/cases/${f.caseIds[0]}/image-views`, { headers: { Cookie: cookie } }), {
      slug,
      caseId: f.caseIds[0]!,
    });
    expect(r.status).toBe(200);
    const { views } = (await r.json()) as { views: Record<string, string> };
    expect(views).toEqual({ [lcc]: 'L CC' });
    const names = imageNames([web(0), dicomRef], `/projects/${slug}/cases/${f.caseIds[0]}`);
    expect(imageLabel({ sopInstanceUid: lcc }, names, views)).toBe('L CC');
    expect(imageLabel({ sopInstanceUid: lcc, frame: 2 }, names, views)).toBe('L CC frame 2');
    // Until the answer comes (or for a view the header does not name): the UID's end, as before.
    expect(imageLabel({ sopInstanceUid: lcc }, names, {})).toBe(`image …${lcc.slice(-6)}`);
    expect(imageLabel({ url: web(0) }, names, views)).toBe('image 1');
    const missing = await invoke(viewsRoute.loader as never, new Request(`${BASE}/projects/${slug}/cases/nope/image-views`, { headers: { Cookie: cookie } }), {
      slug,
      caseId: 'nope',
    });
    expect(missing.status).toBe(404);
  });

  it("an imported source becomes a locked viewer layer: its own colour, each mark labelled with the source and the model's score", async () => {
    const names = imageNames([web(0), dicomRef], `/projects/${slug}/cases/${f.caseIds[0]}`);
    const [model] = await caseImportedMarks({ projectId: f.projectId, caseId: f.caseIds[0]!, sourceKind: 'model', db: t.db });
    const layer = importedLayer({ source: model!.source, lesions: [{ ...model!.lesions[0]!, answers: { score: 0.87 } }, model!.lesions[1]!], names });
    expect(layer).toEqual({
      key: 'imported:CAD 2.1',
      colour: IMPORTED_COLOUR,
      label: 'CAD 2.1',
      marks: [
        { id: 'imported-b1', kind: 'box', image: { url: web(0) }, points: model!.lesions[0]!.points, label: 'CAD 2.1 0.87' },
        { id: 'imported-b2', kind: 'polygon', image: { url: web(0) }, points: model!.lesions[1]!.points, label: 'CAD 2.1' },
      ],
    });
  });
});
