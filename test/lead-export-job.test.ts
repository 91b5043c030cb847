/**
 * The complete export job: truth and reads tables streamed page by page in
 * CSV and Parquet (read back with hyparquet, an independent reader), the case's own columns
 * included, the same truth as the plain export, progress recorded, the download audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { parquetReadObjects } from 'hyparquet';
import { createTestDb, type TestDb } from './db.ts';
import { at, buildProject, pneumothoraxDefinition, rid, type Fixture } from './fixtures/workflow.ts';
import { auditLog, cases, jobs, studyPlan, studyUnits } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { runNextJob } from '../jobs/runner.ts';
import { exportTruth } from '../app/models/export.server.ts';
import { exportJobFile, READ_COLUMNS, startExportJob, TRUTH_COLUMNS, type ExportJobResult } from '../app/models/export-job.server.ts';
import { parseCsv } from '../formats/csv.ts';

let t: TestDb;
let f: Fixture;
beforeAll(async () => {
  t = await createTestDb();
  f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 7, readers: 3 });
  await t.db
    .update(cases)
    .set({ modality: 'CR', bodyPart: 'CHEST', images: ['/img/a.png', '/img/b.png'], metadata: { site: 'S1' } })
    .where(eq(cases.id, f.caseIds[0]));
  // Reader-study units: case 0 read unaided and case 1 aided (one clinical case, two arms), in the first reader's sessions 1 and 2.
  await t.db.insert(studyUnits).values([
    { caseId: f.caseIds[0], projectId: f.projectId, sourceKey: 'CLIN-1', kind: 'study', arm: 'unaided' },
    { caseId: f.caseIds[1], projectId: f.projectId, sourceKey: 'CLIN-1', kind: 'study', arm: 'aided' },
  ]);
  await t.db.insert(studyPlan).values([
    { projectId: f.projectId, userId: f.readers[0], seq: 1, session: 1, caseId: f.caseIds[0], kind: 'study', arm: 'unaided', orderKey: 1n },
    { projectId: f.projectId, userId: f.readers[0], seq: 2, session: 2, caseId: f.caseIds[1], kind: 'study', arm: 'aided', orderKey: 2n },
  ]);
  for (let i = 0; i < 5; i++)
    for (const r of f.readers.slice(0, 2))
      await sendCaseEvent({ caseId: f.caseIds[i], actorId: r, event: { type: 'read.submit', values: { pneumothorax: i % 2 === 0 } }, clientRequestId: rid(), at: at(i + 1) });
}, 120_000);
afterAll(async () => t?.dispose());

async function run(format: 'csv' | 'parquet') {
  const job = await startExportJob({ projectId: f.projectId, format, actorId: f.lead, ip: null, pageSize: 3, db: t.db });
  const done = await runNextJob({ db: t.db });
  expect(done?.id).toBe(job.id);
  expect(done?.status).toBe('succeeded');
  return done!;
}
async function bytes(jobId: string, name: string) {
  const file = await exportJobFile({ projectId: f.projectId, jobId, name, actorId: f.lead, db: t.db });
  expect(file).not.toBeNull();
  return new Uint8Array(await new Response(file!.body).arrayBuffer());
}

describe('complete export job', () => {
  it('CSV: pages of 3 cases make one truth table equal to the plain export plus the case columns, and a long reads table', async () => {
    const job = await run('csv');
    expect([job.done, job.total]).toEqual([7, 7]);
    const res = job.result as ExportJobResult;
    expect(res.files.map((x) => [x.name, x.rows])).toEqual([
      ['truth.csv', 7],
      ['reads.csv', 10],
    ]);
    const truth = parseCsv(new TextDecoder().decode(await bytes(job.id, 'truth.csv')));
    expect(truth[0].fields).toEqual([...TRUTH_COLUMNS]);
    const plain = parseCsv((await exportTruth({ projectId: f.projectId, format: 'csv', db: t.db })).body);
    const key = (r: { fields: string[] }) => r.fields.slice(0, plain[0].fields.length).join('|');
    expect(truth.slice(1).map(key).sort()).toEqual(plain.slice(1).map(key).sort());
    const c0 = truth.find((r) => r.fields[1] === f.caseIds[0])!;
    const col = (c: string) => c0.fields[TRUTH_COLUMNS.indexOf(c as never)];
    expect([col('modality'), col('body_part'), col('images'), col('metadata')]).toEqual(['CR', 'CHEST', '/img/a.png;/img/b.png', '{"site":"S1"}']);
    const readsCsv = parseCsv(new TextDecoder().decode(await bytes(job.id, 'reads.csv')));
    expect(readsCsv[0].fields).toEqual([...READ_COLUMNS]);
    expect(readsCsv.slice(1)).toHaveLength(10);
    expect(new Set(readsCsv.slice(1).map((r) => r.fields[4]))).toEqual(new Set(f.readers.slice(0, 2)));
    // Arm and session: each read carries its unit's arm and the reader's session of it.
    const rc = (r: { fields: string[] }, c: string) => r.fields[READ_COLUMNS.indexOf(c as never)];
    const studyReads = readsCsv
      .slice(1)
      .filter((r) => rc(r, 'arm') !== '')
      .map((r) => [
        rc(r, 'case_uuid') === f.caseIds[0] ? 0 : 1,
        rc(r, 'reader_id') === f.readers[0] ? 'r1' : 'r2',
        rc(r, 'arm'),
        rc(r, 'session'),
        rc(r, 'source_case'),
        rc(r, 'unit_kind'),
      ])
      .sort((a, b) => String(a).localeCompare(String(b)));
    expect(studyReads).toEqual([
      [0, 'r1', 'unaided', '1', 'CLIN-1', 'study'],
      [0, 'r2', 'unaided', '', 'CLIN-1', 'study'],
      [1, 'r1', 'aided', '2', 'CLIN-1', 'study'],
      [1, 'r2', 'aided', '', 'CLIN-1', 'study'],
    ]);
    // The truth table carries the case's split, study UID and truth state beside its provenance.
    for (const c of ['split', 'study_instance_uid', 'truth_state', 'method', 'derived_from_reads', 'event_hash']) expect(TRUTH_COLUMNS).toContain(c);
    const audits = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.projectId, f.projectId), eq(auditLog.action, 'truth.export')));
    expect(audits.map((a) => (a.details as { table: string }).table).sort()).toEqual(['reads', 'truth']);
  });

  it('Parquet: written a row group per page, read back by hyparquet with the same rows as the CSV', async () => {
    const csvJob = (
      await t.db
        .select()
        .from(jobs)
        .where(and(eq(jobs.kind, 'export.build'), eq(jobs.status, 'succeeded')))
    )[0];
    const job = await run('parquet');
    const buf = await bytes(job.id, 'truth.parquet');
    expect(new TextDecoder().decode(buf.slice(0, 4))).toBe('PAR1');
    const rows = (await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer })) as Record<string, unknown>[];
    const csv = parseCsv(new TextDecoder().decode(await bytes(csvJob.id, 'truth.csv')));
    expect(rows).toHaveLength(csv.length - 1);
    const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));
    const asCsv = rows.map((r) => TRUTH_COLUMNS.map((c) => cell(r[c])).join('|')).sort();
    expect(asCsv).toEqual(
      csv
        .slice(1)
        .map((r) => r.fields.join('|'))
        .sort(),
    );
    const reads = (await parquetReadObjects({ file: (await bytes(job.id, 'reads.parquet')).buffer as ArrayBuffer })) as Record<string, unknown>[];
    expect(reads).toHaveLength(10);
    expect(Object.keys(reads[0]).sort()).toEqual([...READ_COLUMNS].sort());
    const mine = reads.find((r) => r.case_uuid === f.caseIds[1] && r.reader_id === f.readers[0])!;
    expect([mine.arm, mine.session]).toEqual(['aided', 2]);
  });

  it('JSON Lines: the same columns, the truth rows with their reads and evidence inlined', async () => {
    const job = await startExportJob({ projectId: f.projectId, format: 'jsonl', actorId: f.lead, ip: null, pageSize: 3, db: t.db });
    expect((await runNextJob({ db: t.db }))?.status).toBe('succeeded');
    const lines = (name: string) =>
      bytes(job.id, name).then((b) =>
        new TextDecoder()
          .decode(b)
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      );
    const reads = await lines('reads.jsonl');
    expect(reads).toHaveLength(10);
    expect(Object.keys(reads[0]).sort()).toEqual([...READ_COLUMNS].sort());
    expect(reads.find((r) => r.case_uuid === f.caseIds[0] && r.reader_id === f.readers[0])).toMatchObject({ arm: 'unaided', session: 1, source_case: 'CLIN-1' });
    const truth = await lines('truth.jsonl');
    expect(truth).toHaveLength(7);
    const t0 = truth.find((r) => r.case_uuid === f.caseIds[0])!;
    expect(t0).toMatchObject({ modality: 'CR', body_part: 'CHEST', images: '/img/a.png;/img/b.png' });
    expect(Array.isArray(t0.reads)).toBe(true);
  });

  it('a job of another project or an unknown file is not found', async () => {
    const [j] = await t.db.select().from(jobs).where(eq(jobs.kind, 'export.build'));
    expect(await exportJobFile({ projectId: f.projectId, jobId: j.id, name: 'x.csv', actorId: f.lead, db: t.db })).toBeNull();
    expect(await exportJobFile({ projectId: '00000000-0000-4000-8000-000000000000', jobId: j.id, name: 'truth.csv', actorId: f.lead, db: t.db })).toBeNull();
  });
});
