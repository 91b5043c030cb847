/**
 * Agreement by location between the readers' marks, for the lead (beside the FROC scores): per
 * marks item the lesions found by how many readers, detection agreement per reader pair, Fleiss' κ
 * and Krippendorff's α on the matched lesions' answers, Dice/IoU of outlines with bootstrap CIs,
 * and STAPLE (Warfield 2004) per outline lesion. Pure figures come from stats/marks; this module
 * only gathers the reads. Computed by the froc.compute job and stored with the FROC scores (one
 * stats_cache row), never on a request.
 *
 * Cases: every case of the version with at least two readers' reads (cannot-assess reads left
 * out), decided or not. Agreement is about the readers, not the truth: cases still in dispute are
 * exactly where they disagree, so keeping only decided cases would flatter the figures. Arm copies
 * of a clinical case are separate cases (their readers read different images or aids).
 * Matching: stats/marks matchLesions per case with the item's match rule (radius in px, IoU); a
 * pair of readers is compared only on the cases both read.
 */
import { and, asc, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { cases, projectVersions, reads, users } from '../../db/schema.ts';
import { caseCounts, RatingsError } from '../../stats/ratings.ts';
import { fleissFW, krippendorffFW } from '../../stats/categorical/framework.ts';
import { weightMatrix } from '../../stats/categorical/weights.ts';
import {
  detectionAgreement,
  MarkError,
  type LesionCluster,
  matchedAnswers,
  matchLesions,
  type MatchResult,
  type MatchRule,
  outlineOverlap,
  type OverlapSummary,
  stapleLesion,
} from '../../stats/marks/index.ts';
import { type MarkMatchRule, markRuleFor, projectDefinitionSchema } from '../../workflows/definition.ts';
import { markItems } from '../../workflows/form-items.ts';
import { isLesionList, type Lesion } from '../../workflows/marks.ts';
import { countsInStatistics } from './study.server.ts';

export const MARKS_AGREEMENT_SCHEMA = 1;
const CHUNK = 500;

export type AnswerAgreement = { field: string; label: string; lesions: number; kappa: number | null; ci: [number, number] | null; alpha: number | null; note: string | null };
export type StapleReader = { reader: string; name: string; lesions: number; sensitivity: number | null; specificity: number | null };
export type ItemAgreement = {
  key: string;
  label: string;
  cases: number;
  /** Cases left out because the matcher refused their marks. */
  leftOut?: number;
  lesions: number;
  /** byCount[k − 1] = lesions found by exactly k readers. */
  byCount: number[];
  perReader: { reader: string; name: string; cases: number; found: number; missed: number }[];
  pairs: { readers: [string, string]; names: [string, string]; cases: number; both: number; onlyFirst: number; onlySecond: number; positiveAgreement: number | null }[];
  answers: AnswerAgreement[];
  overlap: { lesions: number; iou: OverlapSummary | null; dice: OverlapSummary | null; method: string };
  staple: { lesions: number; readers: StapleReader[] };
};
export type MarksAgreementResult = { schema: number; version: number; computedAt: string; cases: number; items: ItemAgreement[] };

/** One case's lesions: matchLesions on that case's readers, ids and image keys prefixed by the case (images may repeat across cases). */
export function caseLesions(caseId: string, readers: { readerKey: string; marks: Lesion[] }[], rule: MarkMatchRule): MatchResult {
  const m = matchLesions({ readers, rule: toStatsRule(rule) });
  return { readers: m.readers, clusters: m.clusters.map((c) => ({ ...c, id: `${caseId}/${c.id}`, imageKey: `${caseId}/${c.imageKey}` })) };
}

export function toStatsRule(rule: MarkMatchRule): MatchRule {
  return { radiusPx: rule.radiusPx, radiusMm: rule.radiusMm, minIoU: rule.iou };
}

/** The lesions of the cases a set of readers all read, seen by those readers only. */
function restrict(perCase: MatchResult[], readers: string[]): { cases: number; m: MatchResult } {
  const within = perCase.filter((m) => readers.every((r) => m.readers.includes(r)));
  const clusters: LesionCluster[] = within.flatMap((m) =>
    m.clusters.flatMap((c) => {
      const marks = c.marks.filter((x) => readers.includes(x.readerKey));
      return marks.length ? [{ ...c, marks, foundBy: marks.map((x) => x.readerKey), missedBy: readers.filter((r) => !marks.some((x) => x.readerKey === r)) }] : [];
    }),
  );
  return { cases: within.length, m: { readers, clusters } };
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);

/** The figures of one marks item over its cases (pure: the test calls it on hand-made reads too). */
export function itemAgreement(
  item: { key: string; label: string; fields: { kind: string; key: string; label: string; options?: { value: string }[] }[] },
  perCase: MatchResult[],
  names: Map<string, string>,
): ItemAgreement {
  const name = (r: string) => names.get(r) ?? r;
  const readers = [...new Set(perCase.flatMap((m) => m.readers))].sort();
  const all: MatchResult = { readers, clusters: perCase.flatMap((m) => m.clusters) };
  // A lesion is found by at most its case's readers: no columns beyond the largest case.
  const byCount = detectionAgreement(all).byCount.slice(0, Math.max(0, ...perCase.map((m) => m.readers.length)));
  const perReader = readers.map((r) => {
    const own = restrict(perCase, [r]);
    const total = perCase.filter((m) => m.readers.includes(r)).reduce((n, m) => n + m.clusters.length, 0);
    return { reader: r, name: name(r), cases: own.cases, found: own.m.clusters.length, missed: total - own.m.clusters.length };
  });
  const pairs: ItemAgreement['pairs'] = [];
  for (let a = 0; a < readers.length; a++)
    for (let b = a + 1; b < readers.length; b++) {
      const { cases: n, m } = restrict(perCase, [readers[a]!, readers[b]!]);
      if (n === 0) continue;
      const p = detectionAgreement(m).pairs[0]!;
      pairs.push({ ...p, names: [name(p.readers[0]), name(p.readers[1])], cases: n });
    }
  const answers: AnswerAgreement[] = item.fields.flatMap((f) => {
    if (f.kind !== 'nominal' && f.kind !== 'ordinal' && f.kind !== 'binary') return [];
    const row: AnswerAgreement = { field: f.key, label: f.label, lesions: 0, kappa: null, ci: null, alpha: null, note: null };
    const answer = (_r: string, mark: unknown) => {
      const v = (mark as Lesion).answers?.[f.key];
      return typeof v === 'string' || typeof v === 'boolean' ? String(v) : null;
    };
    const units = all.clusters.filter((c) => c.foundBy.length >= 2).length;
    if (units === 0) return [{ ...row, note: 'no lesion found by two readers' }];
    // Categories from the answers themselves: an out-of-scale answer is an answer too, and Fleiss' κ
    // and α do not change with categories nobody used.
    let cc: ReturnType<typeof caseCounts>;
    try {
      cc = caseCounts(matchedAnswers(all, answer, { level: 'nominal' }));
    } catch (e) {
      if (!(e instanceof RatingsError)) throw e;
      return [{ ...row, note: 'no answers on the matched lesions' }];
    }
    const wt = weightMatrix('identity', cc.q);
    const k = fleissFW(cc, wt);
    const al = krippendorffFW(cc, wt);
    const kappa = finite(k.value);
    return [
      {
        ...row,
        lesions: k.n2,
        kappa,
        ci: kappa === null || !Number.isFinite(k.ci[0]) ? null : k.ci,
        alpha: finite(al.value),
        note: kappa === null ? 'undefined: every answer falls in one category' : null,
      },
    ];
  });
  const ov = outlineOverlap(all);
  const sums = new Map<string, { n: number; se: number; sp: number; nse: number; nsp: number }>();
  let stapled = 0;
  for (const c of all.clusters) {
    if (c.marks.filter((x) => x.mark.kind !== 'point').length < 2) continue;
    const s = stapleLesion(c);
    stapled++;
    s.readers.forEach((r, j) => {
      const t = sums.get(r) ?? { n: 0, se: 0, sp: 0, nse: 0, nsp: 0 };
      t.n++;
      const se = s.sensitivity[j];
      const sp = s.specificity[j];
      if (se !== null && se !== undefined) {
        t.se += se;
        t.nse++;
      }
      if (sp !== null && sp !== undefined) {
        t.sp += sp;
        t.nsp++;
      }
      sums.set(r, t);
    });
  }
  return {
    key: item.key,
    label: item.label,
    cases: perCase.length,
    lesions: all.clusters.length,
    byCount,
    perReader,
    pairs,
    answers,
    overlap: { lesions: ov.lesions.length, iou: ov.iou, dice: ov.dice, method: ov.method },
    staple: {
      lesions: stapled,
      readers: [...sums]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([r, t]) => ({ reader: r, name: name(r), lesions: t.n, sensitivity: t.nse ? t.se / t.nse : null, specificity: t.nsp ? t.sp / t.nsp : null })),
    },
  };
}

export async function computeMarksAgreement({ projectId, version, db }: { projectId: string; version?: number; db?: Db }): Promise<MarksAgreementResult | null> {
  const d = db ?? getDb();
  const [v] = await d
    .select()
    .from(projectVersions)
    .where(version ? and(eq(projectVersions.projectId, projectId), eq(projectVersions.version, version)) : eq(projectVersions.projectId, projectId))
    .orderBy(desc(projectVersions.version))
    .limit(1);
  if (!v) return null;
  const def = projectDefinitionSchema.parse({
    readerForm: v.readerForm,
    referenceStandard: v.referenceStandard,
    mapping: v.mapping,
    truthPolicy: v.truthPolicy,
    study: v.study ?? undefined,
  });
  const items = markItems(def.readerForm).map(({ key, item, finding }) => ({
    key,
    label: [finding?.label, item.label].filter(Boolean).join(': '),
    fields: item.fields,
    rule: markRuleFor(def.truthPolicy, item),
  }));
  const result: MarksAgreementResult = { schema: MARKS_AGREEMENT_SCHEMA, version: v.version, computedAt: new Date().toISOString(), cases: 0, items: [] };
  if (!items.length) return result;
  const caseIds = (
    await d
      .select({ id: cases.id })
      .from(cases)
      .where(and(eq(cases.projectId, projectId), eq(cases.projectVersion, v.version), isNull(cases.withdrawnAt), countsInStatistics(cases.id)))
      .orderBy(asc(cases.id))
  ).map((c) => c.id);
  // Newest read per reader and case; a cannot-assess read (values null) drops the reader from the case.
  const byCase = new Map<string, Map<string, Record<string, unknown> | null>>();
  const names = new Map<string, string>();
  for (let i = 0; i < caseIds.length; i += CHUNK) {
    const rows = await d
      .select({ caseId: reads.caseId, authorId: reads.authorId, values: reads.values, name: users.name, email: users.email })
      .from(reads)
      .innerJoin(users, eq(users.id, reads.authorId))
      .where(and(inArray(reads.caseId, caseIds.slice(i, i + CHUNK)), eq(reads.source, 'reader')))
      .orderBy(asc(reads.createdAt));
    for (const r of rows) {
      if (!r.authorId) continue;
      names.set(r.authorId, r.name || r.email);
      const m = byCase.get(r.caseId) ?? new Map();
      m.set(r.authorId, (r.values as Record<string, unknown> | null) ?? null);
      byCase.set(r.caseId, m);
    }
  }
  const used = [...byCase].flatMap(([caseId, m]) => {
    const rs = [...m].filter(([, vals]) => vals !== null) as [string, Record<string, unknown>][];
    return rs.length >= 2 ? [{ caseId, reads: rs }] : [];
  });
  result.cases = used.length;
  for (const it of items) {
    // A case whose marks the matcher refuses (e.g. a mark without an image reference) is left out and counted, not the whole job failed.
    const perCase = used.flatMap((c) => {
      try {
        return [
          caseLesions(
            c.caseId,
            c.reads.map(([reader, vals]) => ({ readerKey: reader, marks: isLesionList(vals[it.key]) ? (vals[it.key] as Lesion[]) : [] })),
            it.rule,
          ),
        ];
      } catch (e) {
        if (!(e instanceof MarkError)) throw e;
        return [];
      }
    });
    result.items.push({ ...itemAgreement(it, perCase, names), leftOut: used.length - perCase.length });
  }
  return result;
}
