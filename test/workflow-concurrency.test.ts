/**
 * Concurrency on a real PostgreSQL server: PGlite is one connection in one process and cannot
 * show what concurrent transactions do, so these tests are skipped there (run with
 * TEST_DATABASE_URL=postgres://… to include them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { createTestDb, onPostgres, type TestDb } from './db.ts';
import { at, buildProject, pneumothoraxDefinition, rid } from './fixtures/workflow.ts';
import { openDatabase, type DbHandle } from '../db/client.ts';
import { assignments, auditLog, reads, workflowEvents } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { EventRefused } from '../domain/errors.ts';
import { nextCaseForReader } from '../workflows/assignment.ts';
import { verifyAllCases } from '../workflows/verify.ts';

const pg = onPostgres();
let t: TestDb;
let second: DbHandle;

beforeAll(async () => {
  if (!pg) return;
  t = await createTestDb();
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${t.where.split('/').pop()}`;
  second = await openDatabase({ url: url.toString(), max: 5 });
});
afterAll(async () => {
  await second?.close();
  await t?.dispose();
});

describe.skipIf(!pg)('concurrent events on PostgreSQL (skipped on PGlite: one connection cannot show concurrency)', () => {
  it('50 concurrent submissions through two pools: exactly the allowed reads per case, one transition out of awaitingReads', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 5, readers: 10 });
    const jobs = f.caseIds.flatMap((caseId) =>
      f.readers.map(
        (userId, i) => () =>
          sendCaseEvent({
            db: i % 2 ? second.db : t.db,
            caseId,
            actorId: userId,
            event: { type: 'read.submit', values: { pneumothorax: true } },
            clientRequestId: rid(),
            at: at(i),
          }),
      ),
    );
    const results = await Promise.allSettled(jobs.map((j) => j()));
    const applied = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(applied).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(EventRefused);
    for (const caseId of f.caseIds) {
      const rs = await t.db.select().from(reads).where(eq(reads.caseId, caseId));
      expect(rs).toHaveLength(2);
      const evs = await t.db.select().from(workflowEvents).where(eq(workflowEvents.caseId, caseId)).orderBy(workflowEvents.seq);
      expect(evs.map((e) => e.seq)).toEqual([1, 2, 3]);
      const leaving = await t.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.caseId, caseId), sql`${auditLog.details}->>'from' = 'awaitingReads' and ${auditLog.details}->>'to' <> 'awaitingReads'`));
      expect(leaving).toHaveLength(1);
    }
    expect((await verifyAllCases({ db: t.db, caseIds: f.caseIds })).failures).toEqual([]);
  });

  it('the same client request through both pools at once records one event', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 1 });
    const [caseId] = f.caseIds;
    const id = rid();
    const ev = { type: 'read.submit' as const, values: { pneumothorax: false } };
    const [a, b] = await Promise.all([
      sendCaseEvent({ db: t.db, caseId, actorId: f.readers[0], event: ev, clientRequestId: id }),
      sendCaseEvent({ db: second.db, caseId, actorId: f.readers[0], event: ev, clientRequestId: id }),
    ]);
    expect([a.status, b.status].sort()).toEqual(['applied', 'duplicate']);
    expect(a.readId).toBe(b.readId);
    expect(await t.db.select().from(reads).where(eq(reads.caseId, caseId))).toHaveLength(1);
  });

  it('concurrent nextCaseForReader never hands out more slots than readersPerCase', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 3, readers: 10 });
    const got = await Promise.all(f.readers.map((userId, i) => nextCaseForReader({ db: i % 2 ? second.db : t.db, projectId: f.projectId, userId, at: at(0) })));
    for (const caseId of f.caseIds) {
      const open = await t.db
        .select()
        .from(assignments)
        .where(and(eq(assignments.caseId, caseId), eq(assignments.status, 'open')));
      expect(open.length).toBeLessThanOrEqual(2);
    }
    expect(got.filter(Boolean).length).toBeLessThanOrEqual(6);
    expect(got.filter(Boolean).length).toBeGreaterThan(0);
  });
});
