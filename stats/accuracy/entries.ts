/**
 * Reader accuracy against a reference standard as report entries (ids sensitivity, specificity,
 * ppv, npv, accuracy, cohen_kappa, weighted_kappa with parameters.against = 'reference'), plus
 * a summary object (confusion matrices, how the reference was formed) for the document's
 * "inference.reference_standard".
 */
import type { Ratings } from '../ratings.ts';
import { entry, type ParamValue, type StatisticEntry } from '../report.ts';
import type { WeightSpec } from '../categorical/weights.ts';
import { dsInputFromRatings } from '../inference/entries.ts';
import { scoreReaders, type ReferenceBuilder } from './reference.ts';
import type { Proportion } from './accuracy.ts';

export interface AccuracyOptions {
  level?: number;
  /** Patient index per case (clusters proportions by patient). */
  patient?: Int32Array | null;
  /** Weights for weighted κ (ordinal and above). */
  weights?: WeightSpec | null;
  /** With two categories, the positive one (default: the second in category order). */
  positive?: string | null;
}

const WILSON = 'Wilson score interval (as statsmodels proportion_confint method="wilson")';
const WILSON_CLUSTERED =
  'Wilson interval on the effective sample size p(1−p)/var, var = cluster-robust ratio-estimator variance by patient (Obuchowski 1998; = statsmodels OLS cov_type="cluster")';

export function referenceDescription(ref: ReferenceBuilder): string {
  if (ref.kind === 'given') return 'truth file';
  if (ref.kind === 'majority')
    return `majority vote of the other readers (leave-one-reader-out; rule ${ref.options?.rule ?? 'plurality'}, ties ${ref.options?.ties ?? 'unresolved'})`;
  return `Dawid–Skene (${ref.options?.model ?? 'full'}) MAP class from the other readers (leave-one-reader-out)`;
}

export function accuracyEntries(
  r: Ratings,
  ref: ReferenceBuilder,
  opts: AccuracyOptions = {},
): { statistics: StatisticEntry[]; summary: Record<string, ParamValue>; warnings: string[] } {
  const level = opts.level ?? 0.95;
  const K = r.nCategories;
  const d = dsInputFromRatings(r);
  const weights = opts.weights ?? (r.level === 'nominal' ? null : 'quadratic');
  let positive = 1;
  if (opts.positive != null) {
    positive = r.categories.indexOf(opts.positive);
    if (positive < 0) throw new RangeError(`positive class "${opts.positive}" is not a category (${r.categories.join(', ')})`);
  }
  const scores = scoreReaders(d, ref, { patient: opts.patient ?? null, weights, level });
  const statistics: StatisticEntry[] = [];
  const warnings: string[] = [];
  const refText = referenceDescription(ref);
  const loro = ref.kind !== 'given';
  const confusion: Record<string, ParamValue> = {};
  const leftOut: Record<string, ParamValue> = {};
  const clusterText = opts.patient ? 'patient' : r.repeated ? 'case (repeated ratings)' : 'none';

  const propEntry = (id: string, p: Proportion, params: Record<string, ParamValue>, what: string): StatisticEntry =>
    entry({
      id,
      value: p.value,
      se: p.se,
      ci: { lower: p.ci[0], upper: p.ci[1], level, method: p.method === 'wilson' ? WILSON : WILSON_CLUSTERED },
      method: `${what} against the reference standard (${refText})`,
      parameters: {
        ...params,
        numerator: p.num,
        denominator: p.den,
        ...(p.method === 'wilson-clustered' ? { clusters: p.clusters ?? null, design_effect: Number.isFinite(p.designEffect!) ? p.designEffect! : null } : {}),
      },
      n: { cases: p.den },
      notes: loro ? ['reader scored against the reference rebuilt without this reader (leave-one-reader-out)'] : undefined,
    });

  for (const s of scores) {
    const reader = r.readerIds[s.reader];
    const base: Record<string, ParamValue> = { reader, reference: refText, leave_one_reader_out: loro, cluster: clusterText };
    const a = s.accuracy;
    if (a.n === 0) {
      warnings.push(`reader ${reader}: no rating on a case with a reference class`);
      continue;
    }
    const cm: Record<string, ParamValue> = {};
    for (let k = 0; k < K; k++) {
      const row: Record<string, ParamValue> = {};
      for (let l = 0; l < K; l++) row[r.categories[l]] = a.confusion[k * K + l];
      cm[r.categories[k]] = row;
    }
    confusion[reader] = cm;
    leftOut[reader] = s.leftOut;
    statistics.push(propEntry('accuracy', a.overall, { ...base, variant: 'overall' }, 'Proportion of ratings equal to the reference'));
    const classes = K === 2 ? [positive] : Array.from({ length: K }, (_, k) => k);
    for (const c of classes) {
      const m = a.perClass[c];
      const cp = { ...base, category: r.categories[c], variant: K === 2 ? 'positive class' : 'one versus rest' };
      statistics.push(
        propEntry('sensitivity', m.sensitivity, cp, `Sensitivity for "${r.categories[c]}"`),
        propEntry('specificity', m.specificity, cp, `Specificity for "${r.categories[c]}"`),
        propEntry('ppv', m.ppv, cp, `Positive predictive value for "${r.categories[c]}"`),
        propEntry('npv', m.npv, cp, `Negative predictive value for "${r.categories[c]}"`),
      );
      if (K > 2) statistics.push(propEntry('accuracy', m.accuracy, { ...cp, variant: 'one versus rest' }, `Accuracy for "${r.categories[c]}" versus the rest`));
    }
    const kEntry = (id: string, k: typeof s.kappa, w: ParamValue) =>
      entry({
        id,
        value: k.value,
        se: k.se,
        ci: { lower: k.ci[0], upper: k.ci[1], level, method: 'normal (Wald): value ± z·se' },
        test: { name: 'z', value: k.z, df: null, null_hypothesis: `${id} = 0`, alternative: 'two-sided', se_null: k.se0 },
        p: k.p,
        method: `Cohen's κ of the reader against the reference standard (${refText}); SE Fleiss, Cohen & Everitt (1969)`,
        parameters: { ...base, against: 'reference', weights: w },
        n: { cases: k.n, raters: 2 },
        landisKoch: true,
        notes: loro ? ['reader scored against the reference rebuilt without this reader (leave-one-reader-out)'] : undefined,
      });
    statistics.push(kEntry('cohen_kappa', s.kappa, 'identity'));
    if (s.weightedKappa && weights) statistics.push(kEntry('weighted_kappa', s.weightedKappa, Array.isArray(weights) ? 'custom' : weights));
  }
  const summary: Record<string, ParamValue> = {
    source: refText,
    leave_one_reader_out: loro,
    note: loro
      ? 'The reference was formed from the readers themselves: each reader is scored against the reference rebuilt without that reader'
      : 'reference standard from the truth file',
    cluster: clusterText,
    confusion_rows_reference_columns_reader: confusion,
    ratings_without_reference: leftOut,
  };
  return { statistics, summary, warnings };
}
