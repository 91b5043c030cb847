/**
 * Invariant: a reader holds at most one current open reader assignment per project. Two
 * "next case" calls racing each other (a double click, two tabs) must not both hand out a case.
 * On PostgreSQL the calls go through two connection pools, so their transactions really overlap;
 * PGlite is one connection and runs them one after the other, where the invariant already holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { createTestDb, onPostgres, type TestDb } from './db.ts';
import { buildProject, pneumothoraxDefinition } from './fixtures/workflow.ts';
import { openDatabase, type DbHandle } from '../db/client.ts';
import { assignments, cases } from '../db/schema.ts';
import { nextCaseForReader } from '../workflows/assignment.ts';

const pg = onPostgres();
const TRIES = pg ? 30 : 5;
let t: TestDb;
let second: DbHandle | null = null;

beforeAll(async () => {
  t = await createTestDb();
  if (pg) {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = `/${t.where.split('/').pop()}`;
    second = await openDatabase({ url: url.toString(), max: 5 });
  }
}, 120_000);
afterAll(async () => {
  await second?.close();
  await t?.dispose();
});

// Before the database enforced "one current and at most one reserved next case per reader and
// project", 16 of 38 racing pairs on PostgreSQL each opened a current assignment.

describe('two concurrent "next case" calls', () => {
  it('leave a reader at most one current open assignment per project', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: TRIES * 2, readers: TRIES });
    const counts: number[] = [];
    for (const userId of f.readers) {
      await Promise.allSettled([nextCaseForReader({ projectId: f.projectId, userId, db: t.db }), nextCaseForReader({ projectId: f.projectId, userId, db: second?.db ?? t.db })]);
      const open = await t.db
        .select({ id: assignments.id })
        .from(assignments)
        .innerJoin(cases, eq(cases.id, assignments.caseId))
        .where(
          and(eq(cases.projectId, f.projectId), eq(assignments.userId, userId), eq(assignments.role, 'reader'), eq(assignments.status, 'open'), eq(assignments.slot, 'current')),
        );
      counts.push(open.length);
    }
    expect(counts.filter((n) => n > 1)).toEqual([]);
  });
});
