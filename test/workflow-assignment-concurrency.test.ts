/**
 * Reader queue invariants under concurrent requests on a real PostgreSQL server (skipped on
 * PGlite: one connection in one process cannot show what concurrent transactions do).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, inArray } from 'drizzle-orm';
import { createTestDb, onPostgres, type TestDb } from './db.ts';
import { at, buildProject, pneumothoraxDefinition, rid } from './fixtures/workflow.ts';
import { openDatabase, type DbHandle } from '../db/client.ts';
import { assignments, cases, reads, users } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { nextCaseForReader } from '../workflows/assignment.ts';

const pg = onPostgres();
let t: TestDb;
let second: DbHandle;

beforeAll(async () => {
  if (!pg) return;
  t = await createTestDb();
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${t.where.split('/').pop()}`;
  second = await openDatabase({ url: url.toString(), max: 8 });
});
afterAll(async () => {
  await second?.close();
  await t?.dispose();
});

describe.skipIf(!pg)('reader queue under concurrency on PostgreSQL (skipped on PGlite: one connection cannot show concurrency)', () => {
  it('one reader asking 12 times at once through two pools holds one current case and one reserved next', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 5, readers: 1 });
    const [r] = f.readers;
    const got = await Promise.all(Array.from({ length: 12 }, (_, i) => nextCaseForReader({ db: i % 2 ? second.db : t.db, projectId: f.projectId, userId: r, at: at(0) })));
    expect(new Set(got.map((g) => g!.caseId)).size).toBe(1);
    expect(new Set(got.map((g) => g!.next!.caseId)).size).toBe(1);
    const open = await t.db
      .select()
      .from(assignments)
      .where(and(eq(assignments.userId, r), eq(assignments.status, 'open')));
    expect(open.map((a) => a.slot).sort()).toEqual(['current', 'next']);
  });

  it('the database refuses a second current case for a reader (partial unique index)', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 2, readers: 1 });
    const [r] = f.readers;
    const base = { projectId: f.projectId, userId: r, role: 'reader' as const, slot: 'current' as const };
    await t.db.insert(assignments).values({ ...base, caseId: f.caseIds[0] });
    const err = await t.db
      .insert(assignments)
      .values({ ...base, caseId: f.caseIds[1] })
      .then(
        () => null,
        (e: Error) => e,
      );
    expect((err?.cause as { constraint_name?: string } | undefined)?.constraint_name).toBe('assignments_one_current');
  });

  it('readers racing through a project: k readers per case, no reader twice, the report author never, no over-read', async () => {
    const k = 2;
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition({ readersPerCase: k }), cases: 6, readers: 6 });
    const [author] = await t.db.select({ email: users.email }).from(users).where(eq(users.id, f.readers[0]));
    await t.db
      .update(cases)
      .set({ metadata: { report_author: author.email } })
      .where(eq(cases.id, f.caseIds[0]));
    // Each reader loops next → read until nothing is left, all at once, through two pools.
    await Promise.all(
      f.readers.map(async (userId, i) => {
        const db = i % 2 ? second.db : t.db;
        for (let n = 0; n < 20; n++) {
          const a = await nextCaseForReader({ db, projectId: f.projectId, userId, at: at(n) });
          if (!a) return;
          await sendCaseEvent({ db, caseId: a.caseId, actorId: userId, event: { type: 'read.submit', values: { pneumothorax: true } }, clientRequestId: rid(), at: at(n) });
        }
      }),
    );
    const rows = await t.db.select().from(reads).where(inArray(reads.caseId, f.caseIds));
    for (const c of f.caseIds) {
      const mine = rows.filter((x) => x.caseId === c);
      expect(mine.length).toBe(k);
      expect(new Set(mine.map((x) => x.authorId)).size).toBe(k);
    }
    expect(rows.some((x) => x.caseId === f.caseIds[0] && x.authorId === f.readers[0])).toBe(false);
    const open = await t.db
      .select()
      .from(assignments)
      .where(and(inArray(assignments.caseId, f.caseIds), eq(assignments.status, 'open')));
    expect(open).toEqual([]);
  });
});
