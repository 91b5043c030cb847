/**
 * The current truth: for each subject (a case, or one finding of it) the truth label of the
 * highest version. Declared once here; pages, the API, export and provenance all ask this.
 */
import { desc, eq, getTableColumns, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { findings, truthLabels } from '../../db/schema.ts';

export type TruthLabelRow = typeof truthLabels.$inferSelect;
export type CurrentTruth = TruthLabelRow & { findingKey: string | null };

type LabelColumns = { caseId: unknown; findingId: unknown; version: unknown };

/**
 * SQL condition: the truth label row `t` (the table, or an alias of it) is the current version of
 * its subject. For queries that filter or aggregate on the current truth inside SQL (the case
 * list's filters, the dashboard's counts); the same rule as currentTruth().
 */
export function isCurrentTruth(t: LabelColumns = truthLabels): SQL {
  return sql`not exists (select 1 from ${truthLabels} newer where newer.case_id = ${t.caseId}
    and newer.finding_id is not distinct from ${t.findingId} and newer.version > ${t.version})`;
}

/** One query (`DISTINCT ON` the subject), bounded by the cases asked for. */
export async function currentTruth({ caseIds, db }: { caseIds: readonly string[]; db?: Db }): Promise<CurrentTruth[]> {
  if (!caseIds.length) return [];
  return (db ?? getDb())
    .selectDistinctOn([truthLabels.caseId, truthLabels.findingId], { ...getTableColumns(truthLabels), findingKey: findings.key })
    .from(truthLabels)
    .leftJoin(findings, eq(findings.id, truthLabels.findingId))
    .where(inArray(truthLabels.caseId, [...caseIds]))
    .orderBy(truthLabels.caseId, truthLabels.findingId, desc(truthLabels.version));
}

/** Every version of every subject of some cases (the truth's history), oldest first per subject. */
export async function truthHistory({ caseIds, db }: { caseIds: readonly string[]; db?: Db }): Promise<CurrentTruth[]> {
  if (!caseIds.length) return [];
  return (db ?? getDb())
    .select({ ...getTableColumns(truthLabels), findingKey: findings.key })
    .from(truthLabels)
    .leftJoin(findings, eq(findings.id, truthLabels.findingId))
    .where(inArray(truthLabels.caseId, [...caseIds]))
    .orderBy(truthLabels.caseId, truthLabels.findingId, truthLabels.version);
}
