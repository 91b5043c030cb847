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
 * The position handed out carries the creation time to the microsecond, as Postgres keeps it
 * (a JS Date has milliseconds): compared with a truncated time, the last row of a page would be
 * handed out again. Ordering by the stored column itself lets cases_project_created_idx serve a
 * page as an index walk instead of a sort of the whole project.
 */
const createdUs = sql<string>`to_char(${cases.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

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
    .select({ c: cases, position: createdUs, patient: patients.pseudonym, split: patients.split, state: caseWorkflows.state })
    .from(cases)
    .innerJoin(patients, eq(patients.id, cases.patientId))
    .leftJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id))
    .where(
      and(
        eq(cases.projectId, projectId),
        withdrawn === 'exclude' ? isNull(cases.withdrawnAt) : undefined,
        after ? sql`(${cases.createdAt}, ${cases.id}) > (${after.t}::timestamptz, ${after.id}::uuid)` : undefined,
      ),
    )
    .orderBy(asc(cases.createdAt), asc(cases.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > limit && last ? { t: last.position, id: last.c.id } : null };
}
