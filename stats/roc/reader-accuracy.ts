/**
 * Readers against an evidence-based reference standard, per reader: empirical ROC (AUC with
 * DeLong CI, curve points) from an ordinal rank or score, and at a threshold (call positive when
 * rank ≥ threshold) sensitivity, specificity and accuracy (Wilson CIs) and Cohen's κ of the call
 * against the reference.
 *
 * The reference is given per unit with its verification state. Three analyses, named in the
 * output so every figure says which reference it uses:
 *  - 'verified' (default): units whose reference is verified; unverified units are counted only;
 *  - 'unverified_negative': unverified units count as reference-negative (sensitivity analysis:
 *    unverified negatives are usually follow-up without disease);
 *  - 'unverified_excluded': the same set as 'verified', stated explicitly for the report.
 * The reference comes from evidence, never from the readers, so no reader's read enters the
 * reference they are scored against.
 */
import { wilson } from '../accuracy/accuracy.ts';
import { cohenKappaTable } from '../categorical/cohen.ts';
import { weightMatrix } from '../categorical/weights.ts';
import { aucWithCi, averageRoc, rocCurve, type RocPoint } from './auc.ts';

export type ReferenceState = 'verified' | 'unverified' | 'other';
export type ReferenceAnalysis = 'verified' | 'unverified_negative' | 'unverified_excluded';

export interface ReaderRating {
  reader: string;
  unit: string;
  /** Rank on the scale (higher = more suspicious). */
  rank: number;
}

export interface UnitReference {
  unit: string;
  state: ReferenceState;
  /** Reference positive? Null when the reference has no value (pending, lost…). */
  positive: boolean | null;
}

export interface Est {
  value: number | null;
  lower: number | null;
  upper: number | null;
  n: number;
}

export interface ReaderVsReference {
  reader: string;
  units: number;
  positives: number;
  negatives: number;
  /** Ratings on units whose reference is unverified (shown, not scored in 'verified'). */
  unverified: number;
  auc: Est;
  sensitivity: Est;
  specificity: Est;
  accuracy: Est;
  kappa: Est;
  curve: RocPoint[];
}

export interface AccuracyVsReference {
  analysis: ReferenceAnalysis;
  threshold: number;
  readers: ReaderVsReference[];
  /** Vertical average of the readers' ROC curves. */
  averageCurve: { fpr: number; tpr: number }[];
  /** Mean of the readers' AUCs (those with both classes). */
  meanAuc: number | null;
}

const none = (n = 0): Est => ({ value: null, lower: null, upper: null, n });

function prop(x: number, n: number): Est {
  if (n === 0) return none();
  const [lower, upper] = wilson(x, n);
  return { value: x / n, lower, upper, n };
}

export function accuracyVsReference(
  ratings: readonly ReaderRating[],
  refs: readonly UnitReference[],
  threshold: number,
  analysis: ReferenceAnalysis = 'verified',
): AccuracyVsReference {
  const ref = new Map(refs.map((r) => [r.unit, r]));
  const truthOf = (unit: string): 0 | 1 | null => {
    const r = ref.get(unit);
    if (!r) return null;
    if (r.state === 'verified' && r.positive !== null) return r.positive ? 1 : 0;
    if (r.state === 'unverified' && analysis === 'unverified_negative') return r.positive === true ? 1 : 0;
    return null;
  };
  const byReader = new Map<string, ReaderRating[]>();
  for (const r of ratings) {
    const list = byReader.get(r.reader);
    if (list) list.push(r);
    else byReader.set(r.reader, [r]);
  }
  const readers: ReaderVsReference[] = [];
  for (const [reader, list] of byReader) {
    const truth: number[] = [];
    const rank: number[] = [];
    let unverified = 0;
    for (const r of list) {
      if (ref.get(r.unit)?.state === 'unverified') unverified++;
      const t = truthOf(r.unit);
      if (t === null) continue;
      truth.push(t);
      rank.push(r.rank);
    }
    let tp = 0;
    let fn = 0;
    let tn = 0;
    let fp = 0;
    for (let i = 0; i < truth.length; i++) {
      const call = rank[i] >= threshold;
      if (truth[i]) call ? tp++ : fn++;
      else call ? fp++ : tn++;
    }
    const pos = tp + fn;
    const neg = tn + fp;
    let auc = none(truth.length);
    let curve: RocPoint[] = [];
    if (pos > 0 && neg > 0) {
      const a = aucWithCi(truth, rank);
      auc = { value: a.auc, lower: a.ci[0], upper: a.ci[1], n: truth.length };
      curve = rocCurve(truth, rank);
    }
    let kappa = none(truth.length);
    if (truth.length > 0) {
      // Rows: reference (neg, pos); columns: the reader's call.
      const k = cohenKappaTable(Float64Array.from([tn, fp, fn, tp]), 2, weightMatrix('identity', 2));
      // κ lies in [−1, 1]; the Wald interval is clipped there.
      if (Number.isFinite(k.value)) kappa = { value: k.value, lower: Math.max(-1, k.ci[0]), upper: Math.min(1, k.ci[1]), n: truth.length };
    }
    readers.push({
      reader,
      units: truth.length,
      positives: pos,
      negatives: neg,
      unverified,
      auc,
      sensitivity: prop(tp, pos),
      specificity: prop(tn, neg),
      accuracy: prop(tp + tn, truth.length),
      kappa,
      curve,
    });
  }
  readers.sort((a, b) => a.reader.localeCompare(b.reader));
  const withCurves = readers.filter((r) => r.curve.length > 0);
  const meanAuc = withCurves.length ? withCurves.reduce((s, r) => s + r.auc.value!, 0) / withCurves.length : null;
  return { analysis, threshold, readers, averageCurve: withCurves.length ? averageRoc(withCurves.map((r) => r.curve)) : [], meanAuc };
}
