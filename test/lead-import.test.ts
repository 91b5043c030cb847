/** Case manifest import: preview validates every row, all or nothing, errors name row and field, splits per patient. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, inArray } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { makeProject, makeUser, addMember } from './fixtures/base.ts';
import { cases, caseWorkflows, patients, auditLog, workflowEvents } from '../db/schema.ts';
import { importManifest, ImportFailed, previewManifest, splitForPatient, formatError } from '../app/models/import.server.ts';

let t: TestDb;
let projectId: string;
let leadId: string;
beforeAll(async () => {
  t = await createTestDb();
  const lead = await makeUser(t.db);
  leadId = lead.id;
  const p = await makeProject(t.db, { owner: lead.id });
  projectId = p.id;
  await addMember(t.db, p.id, lead.id, 'lead');
});
afterAll(async () => t?.dispose());

const HEADER = 'case_id,patient_id,study_date,modality,body_part,split,images,site';

async function countCases() {
  return (await t.db.select({ id: cases.id }).from(cases).where(eq(cases.projectId, projectId))).length;
}

describe('case manifest import', () => {
  it('reports every bad row by line and field and imports nothing', async () => {
    const csv = [
      HEADER,
      'A1,P1,2025-01-10,CR,CHEST,train,/img/a1.png,Site A',
      'A2,P1,2025-02-30,CR,CHEST,test,/img/a2.png,Site A', // bad date; P1's split conflicts
      ',P2,2025-01-11,CR,CHEST,,,Site B', // empty case id
      'A1,P3,2025-01-12,CR,CHEST,holdout,ftp://x/y.gif,Site B', // duplicate id, bad split, bad image
      'A5,P4,2025-01-12,CR,CHEST',
    ].join('\n');
    const before = await countCases();
    const pv = await previewManifest({ projectId, text: csv });
    const msgs = pv.errors.map((e) => formatError(e, pv.rowWord));
    expect(msgs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^line 3, study_date: "2025-02-30" is not a date/),
        expect.stringMatching(/^line 3, split: patient "P1" is in train at line 2/),
        'line 4, case_id: is empty',
        expect.stringMatching(/^line 5, split: "holdout" is not one of/),
        expect.stringMatching(/^line 5, images: reference 1 "ftp:\/\/x\/y.gif"/),
        'line 6: 5 field(s), but the header has 8',
      ]),
    );
    await expect(importManifest({ projectId, text: csv, actorId: leadId })).rejects.toBeInstanceOf(ImportFailed);
    expect(await countCases()).toBe(before);
  });

  it('names the line of a malformed CSV (unterminated quote) and a missing column', async () => {
    const pv = await previewManifest({ projectId, text: `${HEADER}\nB1,P1,2025-01-10,CR,"CHEST,train,,x\n` });
    expect(pv.errors[0]).toMatchObject({ row: 2, message: 'unterminated quoted field' });
    const pv2 = await previewManifest({ projectId, text: 'case_id,study_date\nX,2025-01-01\n' });
    expect(formatError(pv2.errors[0])).toBe('line 1: missing column patient_id (header: case_id,study_date)');
  });

  it('imports a valid manifest in one go, starts every workflow, keeps metadata, assigns splits per patient', async () => {
    const rows = [HEADER];
    for (let i = 1; i <= 12; i++)
      rows.push(`C${i},Q${Math.ceil(i / 3)},2025-03-${String(i).padStart(2, '0')},MG,BREAST,,/img/c${i}-L.png;/img/c${i}-R.jpg,Site ${i % 2 ? 'A' : 'B'}`);
    const csv = rows.join('\r\n');
    const pv = await previewManifest({ projectId, text: csv, assignSplits: [70, 10, 20] });
    expect(pv.errors).toEqual([]);
    const r = await importManifest({ projectId, text: csv, actorId: leadId, assignSplits: [70, 10, 20] });
    expect(r.cases).toBe(12);
    expect(r.patients).toEqual({ total: 4, new: 4 });
    const rowsDb = await t.db
      .select({ c: cases, split: patients.split, pseudonym: patients.pseudonym })
      .from(cases)
      .innerJoin(patients, eq(patients.id, cases.patientId))
      .where(inArray(cases.id, r.caseIds));
    expect(rowsDb).toHaveLength(12);
    for (const x of rowsDb) {
      expect(x.split).toBe(splitForPatient(projectId, x.pseudonym, [70, 10, 20]));
      expect(x.c.images).toHaveLength(2);
      expect(x.c.projectVersion).toBe(1);
      expect((x.c.metadata as Record<string, string>).site).toMatch(/^Site [AB]$/);
    }
    // Every case of one patient is in one split.
    const byPatient = new Map<string, Set<string>>();
    for (const x of rowsDb) byPatient.set(x.pseudonym, (byPatient.get(x.pseudonym) ?? new Set()).add(x.split));
    for (const s of byPatient.values()) expect(s.size).toBe(1);
    const wfs = await t.db.select().from(caseWorkflows).where(inArray(caseWorkflows.caseId, r.caseIds));
    expect(wfs.map((w) => w.state)).toEqual(Array(12).fill('awaitingReads'));
    const starts = await t.db.select().from(workflowEvents).where(inArray(workflowEvents.caseId, r.caseIds));
    expect(starts).toHaveLength(12);
    const audit = await t.db.select().from(auditLog).where(eq(auditLog.action, 'cases.import'));
    expect(audit.at(-1)!.details).toMatchObject({ cases: 12 });
  });

  it('refuses case ids already imported and a split that contradicts a patient already in another split', async () => {
    const [q1] = await t.db.select().from(patients).where(eq(patients.pseudonym, 'Q1'));
    const other = q1.split === 'train' ? 'test' : 'train';
    const json = JSON.stringify([
      { case_id: 'C1', patient_id: 'Q9', study_date: '2025-04-01' },
      { case_id: 'D2', patient_id: 'Q1', study_date: '2025-04-01', split: other },
      { case_id: 'D3', patient_id: 'Q1', study_date: '2025-04-02', images: ['dicomweb:https://pacs.example.org/dicom-web/studies/1.2.3/series/4.5'], metadata: { site: 'C' } },
    ]);
    const pv = await previewManifest({ projectId, text: json });
    expect(pv.format).toBe('json');
    expect(pv.errors.map((e) => formatError(e, pv.rowWord))).toEqual([
      'item 1, case_id: case "C1" is already in this project',
      `item 2, split: patient "Q1" is already in ${q1.split}; a patient's cases all share one split`,
    ]);
    const ok = JSON.stringify({ cases: JSON.parse(json).slice(2) });
    const r = await importManifest({ projectId, text: ok, actorId: leadId });
    expect(r.cases).toBe(1);
    expect(r.patients).toEqual({ total: 1, new: 0 });
    const [d3] = await t.db.select({ split: patients.split }).from(cases).innerJoin(patients, eq(patients.id, cases.patientId)).where(eq(cases.externalId, 'D3'));
    expect(d3.split).toBe(q1.split);
  });

  it('rejects JSON that is not a list of cases', async () => {
    const pv = await previewManifest({ projectId, text: '{"foo": 1}' });
    expect(formatError(pv.errors[0], pv.rowWord)).toBe('file: expected an array of cases, or an object with a "cases" array');
    const pv2 = await previewManifest({ projectId, text: '[{"case_id": "Z", "patient_id": "Z", "study_date": "2025-01-01", "images": [1]}]' });
    expect(formatError(pv2.errors[0], pv2.rowWord)).toBe('item 1, images: must be a list of text image references');
  });
});

describe('a split error stays on its line', () => {
  it('an invalid split names only its own line and field, not the patient’s other lines', async () => {
    const csv = [
      HEADER,
      'S1,SP1,2025-01-10,CR,CHEST,tset,/img/s1.png,Site A', // typo
      'S2,SP1,2025-01-11,CR,CHEST,test,/img/s2.png,Site A',
      'S3,SP1,2025-01-12,CR,CHEST,test,/img/s3.png,Site A',
      'S4,SP2,2025-01-12,CR,CHEST,Train,/img/s4.png,Site B',
      'S5,SP2,2025-01-13,CR,CHEST,validaton,/img/s5.png,Site B', // typo on the second line of a patient
    ].join('\n');
    const pv = await previewManifest({ projectId, text: csv });
    expect(pv.errors.map((e) => formatError(e, pv.rowWord))).toEqual([
      'line 2, split: "tset" is not one of train, validation, test, unassigned',
      'line 6, split: "validaton" is not one of train, validation, test, unassigned',
    ]);
  });
});
