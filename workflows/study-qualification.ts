/**
 * Qualification on calibration cases: a reader's answers on calibration units against
 * their known truth. Only the reader's own reads are read (bounded by the calibration set).
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import type { StudyDesign } from './definition.ts';
import { answerCategory, pairKappa, type PairKappa } from './study-stats.ts';

export type Qualification = PairKappa & { required: boolean; qualified: boolean; minKappa: number | null; minCases: number | null };

function rowsOf<T>(r: unknown): T[] {
  return ((r as { rows?: T[] }).rows ?? (r as T[])) as T[];
}

/** The reader's newest read on each calibration unit, paired with its truth on the design's item. */
export async function readerQualification(tx: Tx, a: { projectId: string; userId: string; design: StudyDesign }): Promise<Qualification> {
  const q = a.design.qualification;
  const rows = rowsOf<{ values: unknown; truth: unknown }>(
    await tx.execute(sql`
      select (select r.values from reads r where r.case_id = su.case_id and r.author_id = ${a.userId} and r.source = 'reader' order by r.created_at desc limit 1) as values, su.truth
      from study_units su
      where su.project_id = ${a.projectId} and su.kind = 'calibration'
        and exists (select 1 from reads r where r.case_id = su.case_id and r.author_id = ${a.userId} and r.source = 'reader')`),
  );
  const item = q?.item;
  const pairs: [string, string][] = [];
  if (item)
    for (const r of rows) {
      const mine = answerCategory(r.values, item);
      const truth = answerCategory(r.truth, item);
      if (mine !== null && truth !== null) pairs.push([mine, truth]);
    }
  const k = pairKappa(pairs);
  const qualified = !q || (k.n >= q.minCases && (k.kappa ?? (k.agreement === 1 ? 1 : -1)) >= q.minKappa);
  return { ...k, required: Boolean(q), qualified, minKappa: q?.minKappa ?? null, minCases: q?.minCases ?? null };
}
