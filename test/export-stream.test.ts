/**
 * Streamed exports are the same bytes as the in-memory build: csv, jsonl and PROV-JSON of the
 * plain export page by page (pages of 2 cases, so records of one case and cases without an
 * external id cross page edges), a finding-level project (several records per case), a
 * held-back case, and an empty project.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { at, biradsDefinition, buildProject, pneumothoraxDefinition, rid, type Fixture } from './fixtures/workflow.ts';
import { cases, patients } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { exportTruth, EXPORT_FORMATS } from '../app/models/export.server.ts';
import { streamTruth, truthExportPieces } from '../app/models/export-stream.server.ts';
import { createRelease } from '../app/models/releases.server.ts';

let t: TestDb;
let panel: Fixture;
let birads: Fixture;
let empty: Fixture;
beforeAll(async () => {
  t = await createTestDb();
  panel = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 7, readers: 3 });
  for (let i = 0; i < 5; i++)
    for (const r of panel.readers.slice(0, 2))
      await sendCaseEvent({ caseId: panel.caseIds[i], actorId: r, event: { type: 'read.submit', values: { pneumothorax: i % 2 === 0 } }, clientRequestId: rid(), at: at(i + 1) });
  // Cases without an external id come last in the export.
  await t.db.update(cases).set({ externalId: null }).where(eq(cases.id, panel.caseIds[1]));
  await t.db.update(cases).set({ externalId: null }).where(eq(cases.id, panel.caseIds[3]));
  birads = await buildProject(t.db, { definition: biradsDefinition(), cases: 5, readers: 2 });
  for (let i = 0; i < 4; i++)
    for (const r of birads.readers)
      await sendCaseEvent({
        caseId: birads.caseIds[i],
        actorId: r,
        event: { type: 'read.submit', values: { 'left/birads': String(1 + i), 'right/birads': '2' } },
        clientRequestId: rid(),
        at: at(i + 1),
      });
  empty = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 0 });
}, 120_000);
afterAll(async () => t?.dispose());

async function streamed(projectId: string, format: (typeof EXPORT_FORMATS)[number], pageSize: number) {
  let s = '';
  for await (const piece of truthExportPieces({ projectId, format, pageSize, db: t.db })) s += piece;
  return s;
}

describe('streamed export', () => {
  it('is byte-identical to the in-memory export in every format, whatever the page size', async () => {
    for (const f of [panel, birads, empty])
      for (const format of EXPORT_FORMATS) {
        const whole = (await exportTruth({ projectId: f.projectId, format, db: t.db })).body;
        for (const pageSize of [1, 2, 500]) expect(await streamed(f.projectId, format, pageSize), `${format}, pages of ${pageSize}`).toBe(whole);
      }
    expect((await exportTruth({ projectId: birads.projectId, format: 'jsonl', db: t.db })).body.split('\n').length).toBeGreaterThan(5 + 1);
  });

  it('withholds held-back truth as the in-memory export does, and the byte stream runs onDone with the record count', async () => {
    const [pt] = await t.db.insert(patients).values({ projectId: panel.projectId, pseudonym: 'PT-TEST-S', split: 'test' }).returning();
    await t.db.update(cases).set({ patientId: pt.id }).where(eq(cases.id, panel.caseIds[0]));
    await createRelease({ projectId: panel.projectId, actorId: panel.lead, confirmPending: true, sequester: true, db: t.db });
    let records = -1;
    for (const format of EXPORT_FORMATS) {
      const whole = (await exportTruth({ projectId: panel.projectId, format, db: t.db })).body;
      const file = streamTruth({ projectId: panel.projectId, format, db: t.db, onDone: async (n) => void (records = n) });
      expect(await new Response(file.body).text()).toBe(whole);
      expect(records).toBe(7);
    }
    expect((await exportTruth({ projectId: panel.projectId, format: 'csv', db: t.db })).body).toContain('sequestered');
  });
});
