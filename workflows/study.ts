/**
 * The reader-study plan, pure (docs/decisions/study-0001-design.md). A reader's plan is
 * their sessions in order — calibration first (if any), then one session per arm (counterbalanced
 * across readers), then the blind re-reads — each session in the reader's own seeded random order
 * (md5 of project, reader, session, unit), or the import order when the design says `fixed`.
 * Between sessions that read the same cases lies the washout. The plan is computed once per
 * reader and recorded (study_plan), so it replays and can be audited.
 */
import type { StudyDesign } from './definition.ts';
import { orderKey } from './queue-columns.ts';
import type { StudyUnitKind } from '../domain/vocabulary.ts';

export type StudyUnit = { caseId: string; sourceKey: string; kind: StudyUnitKind; arm: string | null; block: number; importOrder: number };
export type PlanRow = { seq: number; session: number; caseId: string; kind: StudyUnitKind; arm: string | null; orderKey: bigint; washoutDays: number };
export type PlannedSession = { session: number; kind: StudyUnitKind; arm: string | null; washoutDays: number };

/** Which reader group (= case block in split-plot) and which arm order the reader at `readerIndex` gets. */
export function readerArrangement(design: StudyDesign, readerIndex: number): { group: number; arms: string[] } {
  const keys = design.arms.map((a) => a.key);
  const groups = design.design === 'split_plot' ? design.groups : 1;
  const group = readerIndex % groups;
  // Counterbalanced: rotate within each group, so every group has both orders.
  const rot = design.armOrder === 'counterbalanced' ? Math.floor(readerIndex / groups) % keys.length : 0;
  return { group, arms: [...keys.slice(rot), ...keys.slice(0, rot)] };
}

/** The case block a clinical case falls in (split-plot): balanced by a seeded order of the cases. */
export function caseBlocks(projectId: string, sourceKeys: string[], groups: number): Map<string, number> {
  const sorted = [...new Set(sourceKeys)].sort((a, b) => cmpBig(orderKey(projectId, 'block', a), orderKey(projectId, 'block', b)) || a.localeCompare(b));
  return new Map(sorted.map((k, i) => [k, i % Math.max(1, groups)]));
}

/** The clinical cases re-read blind: the first `share` of a seeded order of the cases. */
export function rereadKeys(projectId: string, sourceKeys: string[], share: number): Set<string> {
  const uniq = [...new Set(sourceKeys)];
  const n = Math.round(uniq.length * share);
  return new Set(uniq.sort((a, b) => cmpBig(orderKey(projectId, 'reread', a), orderKey(projectId, 'reread', b)) || a.localeCompare(b)).slice(0, n));
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A reader's sessions: calibration, the arms in their order, then re-reads. */
export function planSessions(design: StudyDesign, readerIndex: number, has: { calibration: boolean; rereads: boolean }): PlannedSession[] {
  const out: PlannedSession[] = [];
  if (has.calibration) out.push({ session: out.length, kind: 'calibration', arm: null, washoutDays: 0 });
  const { arms } = readerArrangement(design, readerIndex);
  arms.forEach((arm, i) => out.push({ session: out.length, kind: 'study', arm, washoutDays: i === 0 ? 0 : design.washoutDays }));
  // Re-reads in every arm share one last session (arm null): each is at least W after the reader's reads in every arm.
  if (has.rereads) out.push({ session: out.length, kind: 'reread', arm: design.rereadArms === 'every' ? null : design.arms[0].key, washoutDays: design.washoutDays });
  return out;
}

/**
 * The reader's whole plan. `readerIndex` is their place among the project's readers (order of
 * joining); units are all the study's reading units. Pure and deterministic: replaying it with
 * the same inputs gives the same rows.
 */
export function readerPlan({
  projectId,
  userId,
  readerIndex,
  design,
  units,
}: {
  projectId: string;
  userId: string;
  readerIndex: number;
  design: StudyDesign;
  units: StudyUnit[];
}): PlanRow[] {
  const { group } = readerArrangement(design, readerIndex);
  const inMyBlock = (u: StudyUnit) => design.design !== 'split_plot' || u.block === group;
  const sessions = planSessions(design, readerIndex, { calibration: units.some((u) => u.kind === 'calibration'), rereads: units.some((u) => u.kind === 'reread') });
  const rows: PlanRow[] = [];
  for (const s of sessions) {
    const mine = units
      .filter((u) => u.kind === s.kind && (s.kind === 'calibration' || s.arm === null || u.arm === s.arm) && (s.kind === 'calibration' || inMyBlock(u)))
      .map((u) => ({ u, key: design.order === 'fixed' ? BigInt(u.importOrder) : orderKey(projectId, userId, String(s.session), u.sourceKey) }))
      .sort((a, b) => cmpBig(a.key, b.key) || a.u.sourceKey.localeCompare(b.u.sourceKey));
    for (const { u, key } of mine) rows.push({ seq: rows.length, session: s.session, caseId: u.caseId, kind: u.kind, arm: u.arm, orderKey: key, washoutDays: s.washoutDays });
  }
  return rows;
}

/** When the reader's next session opens: their last read of the previous session plus its washout. */
export function sessionOpensAt(lastReadOfPrevious: Date | null, washoutDays: number): Date | null {
  if (!lastReadOfPrevious || washoutDays <= 0) return null;
  return new Date(lastReadOfPrevious.getTime() + washoutDays * 86_400_000);
}

/** The design in plain language, for the lead's summary page. */
export function describeStudy(design: StudyDesign, counts: { readers: number; cases: number; calibration: number; rereads: number }): string[] {
  const arms = design.arms.map((a) => `${a.label}${a.aided ? ' (AI results shown)' : ''}`);
  const out: string[] = [];
  if (design.design === 'fully_crossed')
    out.push(`Fully crossed: each of the ${counts.readers} readers reads each of the ${counts.cases} cases in every arm: ${arms.join(' and ')}.`);
  else
    out.push(
      `Split-plot: the ${counts.readers} readers are split into ${design.groups} groups and the ${counts.cases} cases into ${design.groups} blocks; each group reads its own block in every arm: ${arms.join(', ')}.`,
    );
  out.push(
    design.armOrder === 'counterbalanced' && design.arms.length > 1
      ? 'Arm order is counterbalanced: readers take turns starting with a different arm.'
      : 'Every reader reads the arms in the order listed.',
  );
  out.push(
    design.arms.length > 1
      ? `Each arm is one session. A reader's next session opens ${design.washoutDays} day${design.washoutDays === 1 ? '' : 's'} after their last read in the previous one, so two reads of a case are at least that far apart.`
      : 'One session.',
  );
  out.push(
    design.order === 'random'
      ? 'Each reader meets the cases in their own random order (seeded by project and reader, recorded, reproducible).'
      : 'Every reader meets the cases in import order.',
  );
  if (counts.rereads)
    out.push(
      `${counts.rereads} reading unit${counts.rereads === 1 ? '' : 's'} (${Math.round(design.rereadShare * 100)}% of the cases, ${design.rereadArms === 'every' && design.arms.length > 1 ? 'in every arm' : `in the ${design.arms[0].label} arm`}) come back blind in a last session after the washout, for intra-reader agreement${design.rereadArms === 'every' && design.arms.length > 1 ? ' per arm' : ''}.`,
    );
  if (counts.calibration)
    out.push(
      `${counts.calibration} calibration case${counts.calibration === 1 ? '' : 's'} come first; readers see the known answer after submitting; they never count in any statistic.` +
        (design.qualification
          ? ` Study cases are offered only once a reader reaches κ ≥ ${design.qualification.minKappa} on at least ${design.qualification.minCases} calibration cases (item ${design.qualification.item}).`
          : ''),
    );
  const rule = (r: 'deferred' | 'excluded') => (r === 'deferred' ? 'offered again at the end of the session' : 'excluded for that reader');
  out.push(
    `Skips: poor image quality → ${rule(design.skipRules.image_quality)}; missing series → ${rule(design.skipRules.missing_series)}; conflict of interest → ${rule(design.skipRules.conflict_of_interest)}. A case deferred ${design.maxDeferrals} times is excluded.`,
  );
  return out;
}
