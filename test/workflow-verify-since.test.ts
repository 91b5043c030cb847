/**
 * `verify` in batches across connections and `verify --since` (only cases whose chain head
 * moved since it last passed), and the queue columns it checks against the snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, inArray, sql } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { at, buildProject, pneumothoraxDefinition, rid, type Fixture } from './fixtures/workflow.ts';
import { caseVerifications, caseWorkflows, roundParticipants, workflowEvents } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { verifyAllCases, verifyCase } from '../workflows/verify.ts';

let t: TestDb;
let f: Fixture;
beforeAll(async () => {
  t = await createTestDb();
  f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 7 });
});
afterAll(async () => t?.dispose());

const read = (caseId: string, userId: string, m: number) =>
  sendCaseEvent({ caseId, actorId: userId, event: { type: 'read.submit', values: { pneumothorax: true } }, clientRequestId: rid(), at: at(m) });

describe('verify --since', () => {
  it('a whole run in small batches records every head; --since then checks only cases with new events', async () => {
    const full = await verifyAllCases({ db: t.db, batchSize: 2, concurrency: 3 });
    expect(full.failures).toEqual([]);
    expect(full.checked).toBeGreaterThanOrEqual(7);
    const recorded = await t.db.select().from(caseVerifications).where(inArray(caseVerifications.caseId, f.caseIds));
    expect(recorded).toHaveLength(7);
    expect((await verifyAllCases({ db: t.db, since: true })).checked).toBe(0);
    await read(f.caseIds[2], f.readers[0], 1);
    await read(f.caseIds[5], f.readers[1], 2);
    const inc = await verifyAllCases({ db: t.db, since: true, batchSize: 1, concurrency: 2 });
    expect(inc).toEqual({ checked: 2, failures: [] });
    expect((await verifyAllCases({ db: t.db, since: true })).checked).toBe(0);
  });

  it('a case whose chain was cut below its verified head fails under --since', async () => {
    const c = f.caseIds[4];
    await read(c, f.readers[0], 3);
    await verifyAllCases({ db: t.db });
    await t.db.delete(workflowEvents).where(sql`${workflowEvents.caseId} = ${c} and ${workflowEvents.seq} = 2`);
    await t.db
      .update(caseWorkflows)
      .set({ eventCount: 1, headHash: sql`(select hash from workflow_events where case_id = ${c} and seq = 1)` })
      .where(eq(caseWorkflows.caseId, c));
    const r = await verifyAllCases({ db: t.db, since: true });
    expect(r.failures.map((x) => x.caseId)).toEqual([c]);
    expect(r.failures[0].problems.join('\n')).toMatch(/no longer contains the head verified/);
  });

  it('names queue columns and round participants that differ from the snapshot', async () => {
    const c = f.caseIds[6];
    await read(c, f.readers[2], 4);
    expect(await verifyCase({ db: t.db, caseId: c })).toEqual([]);
    await t.db.update(caseWorkflows).set({ openReadSlots: 2 }).where(eq(caseWorkflows.caseId, c));
    await t.db.delete(roundParticipants).where(eq(roundParticipants.caseId, c));
    const p = (await verifyCase({ db: t.db, caseId: c })).join('\n');
    expect(p).toMatch(/queue column openReadSlots is 2 but the snapshot gives 1/);
    expect(p).toMatch(/round participants are \[\] but the snapshot gives \[reader:/);
  });
});
