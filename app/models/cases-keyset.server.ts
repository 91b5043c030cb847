/**
 * The project's cases in creation order, a page at a time after a keyset position (stable under
 * inserts, bounded whatever the project size). The API's case and truth lists page with it.
 */
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { caseWorkflows, cases, patients } from '../../db/schema.ts';

export type CaseKey = { t: string; id: string };

/**
 * The sort key, truncated to what a position can carry: Postgres keeps microseconds, a JS Date
 * (and so the position handed out) milliseconds. Comparing the full value with a truncated
 * position would hand the last row of a page out again on the next page.
 */
const createdMs = sql`date_trunc('milliseconds', ${cases.createdAt})`;

/** Up to `limit` cases after `after`, with patient and workflow state; `next` is null on the last page. */
export async function casesAfter({
  projectId,
  after,
  limit,
  withdrawn,
  db,
}: {
  projectId: string;
  after: CaseKey | null;
  limit: number;
  withdrawn: 'include' | 'exclude';
  db?: Db;
}) {
  const rows = await (db ?? getDb())
    .select({ c: cases, patient: patients.pseudonym, split: patients.split, state: caseWorkflows.state })
    .from(cases)
    .innerJoin(patients, eq(patients.id, cases.patientId))
    .leftJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id))
    .where(
      and(
        eq(cases.projectId, projectId),
        withdrawn === 'exclude' ? isNull(cases.withdrawnAt) : undefined,
        after ? sql`(${createdMs}, ${cases.id}) > (${after.t}::timestamptz, ${after.id}::uuid)` : undefined,
      ),
    )
    .orderBy(asc(createdMs), asc(cases.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > limit && last ? { t: last.c.createdAt.toISOString(), id: last.c.id } : null };
}
