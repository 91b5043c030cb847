/**
 * The current truth: for each subject (a case, or one finding of it) the truth label of the
 * highest version. Declared once here; pages, the API, export and provenance all ask this.
 */
import { desc, eq, getTableColumns, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { findings, truthLabels } from '../../db/schema.ts';

export type TruthLabelRow = typeof truthLabels.$inferSelect;
export type CurrentTruth = TruthLabelRow & { findingKey: string | null };

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
