/**
 * Time on case, counted from the reader's first view of their assignment and excluding time the
 * page was hidden: the reading page reports visible milliseconds (on hide, on leaving, and with
 * the read); they add up here per assignment, so a reload does not restart the clock.
 * Only the assignment's own reader reports or reads it.
 */
import { and, eq, sql } from 'drizzle-orm';
import { getDb } from '../../db/index.ts';
import type { Db } from '../../db/client.ts';
import { assignments, caseViewTimes } from '../../db/schema.ts';

/** One report never adds more than this (a tab left open overnight is not reading time). */
export const MAX_REPORT_MS = 4 * 3600_000;
export const clampReport = (ms: number) => (Number.isFinite(ms) ? Math.min(Math.max(0, Math.round(ms)), MAX_REPORT_MS) : 0);

async function openAssignmentId(db: Db, caseId: string, userId: string): Promise<string | null> {
  const [a] = await db
    .select({ id: assignments.id })
    .from(assignments)
    .where(and(eq(assignments.caseId, caseId), eq(assignments.userId, userId), eq(assignments.role, 'reader'), eq(assignments.status, 'open')));
  return a?.id ?? null;
}

/** Adds visible time to the reader's open assignment of the case (nothing if it has none). Returns the total. */
export async function addVisibleTime({ caseId, userId, ms, db }: { caseId: string; userId: string; ms: number; db?: Db }): Promise<number | null> {
  const add = clampReport(ms);
  // One statement: the reader's open assignment of the case, its time added (no row: no assignment).
  const [row] = await (db ?? getDb())
    .insert(caseViewTimes)
    .select(
      sql`select ${assignments.id}, ${add}::int, now(), now() from ${assignments}
        where ${assignments.caseId} = ${caseId} and ${assignments.userId} = ${userId} and ${assignments.role} = 'reader' and ${assignments.status} = 'open'`,
    )
    .onConflictDoUpdate({ target: caseViewTimes.assignmentId, set: { visibleMs: sql`${caseViewTimes.visibleMs} + ${add}`, updatedAt: sql`now()` } })
    .returning({ visibleMs: caseViewTimes.visibleMs });
  return row?.visibleMs ?? null;
}

/** Visible time recorded so far on the reader's open assignment of the case (0 if none). */
export async function visibleTimeSoFar({ caseId, userId, db }: { caseId: string; userId: string; db?: Db }): Promise<number> {
  const d = db ?? getDb();
  const id = await openAssignmentId(d, caseId, userId);
  if (!id) return 0;
  const [row] = await d.select({ visibleMs: caseViewTimes.visibleMs }).from(caseViewTimes).where(eq(caseViewTimes.assignmentId, id));
  return row?.visibleMs ?? 0;
}
