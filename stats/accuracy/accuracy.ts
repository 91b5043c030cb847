/**
 * Accuracy of a reader against a reference standard.
 *
 * Input is per observation (one rating): the reference class of its case, the reader's class,
 * and optionally a cluster id (the patient; or the case when a reader rated it several times).
 * Rows of the confusion matrix are the reference, columns the reader.
 *
 * Per class c (one versus the rest): sensitivity TP/(TP+FN), specificity TN/(TN+FP),
 * PPV TP/(TP+FP), NPV TN/(TN+FN), accuracy (TP+TN)/N; and the overall accuracy Σ diag / N.
 * CIs: Wilson score (1927) without continuity correction (statsmodels proportion_confint
 * method='wilson'). With clusters that hold several observations of a proportion's denominator,
 * the proportion is a ratio estimator p = Σ_g y_g / Σ_g m_g and its variance the cluster-robust
 * (ratio-estimator) one, G/(G−1) Σ_g (y_g − p m_g)² / (Σ m_g)² (Obuchowski 1998; equal to the
 * CR1 cluster-robust SE of an intercept-only regression, statsmodels OLS cov_type='cluster');
 * the CI is then Wilson's on the effective sample size n_eff = p(1−p)/var (the design-effect
 * adjustment of Rao & Scott 1992), falling back to n when p is 0 or 1.
 */
import { qnorm } from '../distributions.ts';

export interface Proportion {
  value: number;
  num: number;
  den: number;
  ci: [number, number];
  /** SE: √(p(1−p)/n), or the cluster-robust SE. */
  se: number;
  method: 'wilson' | 'wilson-clustered';
  /** Clusters with at least one observation in the denominator (clustered only). */
  clusters?: number;
  /** Design effect var_cluster / var_binomial (clustered only). */
  designEffect?: number;
}

/** Wilson score interval for x successes out of n (x, n may be non-integer). */
export function wilson(x: number, n: number, level = 0.95): [number, number] {
  if (!(n > 0)) return [NaN, NaN];
  const z = qnorm(1 - (1 - level) / 2);
  const p = x / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At p = 0 (1) the lower (upper) bound is exactly 0 (1); clamp away rounding residue.
  return [x <= 0 ? 0 : Math.max(0, center - half), x >= n ? 1 : Math.min(1, center + half)];
}

/**
 * A proportion Σy/Σm over the observations where `include` holds; clustered when `cluster` is
 * given and some cluster has more than one included observation.
 */
export function proportion(y: ArrayLike<number>, include: ArrayLike<number | boolean>, cluster: Int32Array | null, level = 0.95): Proportion {
  let num = 0;
  let den = 0;
  for (let i = 0; i < y.length; i++) {
    if (include[i]) {
      den++;
      num += y[i] ? 1 : 0;
    }
  }
  const p = num / den;
  const plain: Proportion = { value: p, num, den, ci: wilson(num, den, level), se: Math.sqrt((p * (1 - p)) / den), method: 'wilson' };
  if (!cluster || den === 0) return plain;
  const ys = new Map<number, number>();
  const ms = new Map<number, number>();
  let multi = false;
  for (let i = 0; i < y.length; i++) {
    if (!include[i]) continue;
    const g = cluster[i];
    const m = (ms.get(g) ?? 0) + 1;
    if (m > 1) multi = true;
    ms.set(g, m);
    ys.set(g, (ys.get(g) ?? 0) + (y[i] ? 1 : 0));
  }
  if (!multi) return plain;
  const G = ms.size;
  let ss = 0;
  for (const [g, m] of ms) ss += (ys.get(g)! - p * m) ** 2;
  const v = G > 1 ? ((G / (G - 1)) * ss) / (den * den) : NaN;
  const vb = (p * (1 - p)) / den;
  const nEff = v > 0 && p > 0 && p < 1 ? (p * (1 - p)) / v : den;
  return {
    value: p,
    num,
    den,
    ci: wilson(p * nEff, nEff, level),
    se: Math.sqrt(v),
    method: 'wilson-clustered',
    clusters: G,
    designEffect: vb > 0 ? v / vb : NaN,
  };
}

export interface ClassMetrics {
  category: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  sensitivity: Proportion;
  specificity: Proportion;
  ppv: Proportion;
  npv: Proportion;
  accuracy: Proportion;
}

export interface ReaderAccuracy {
  /** K × K counts, rows = reference, columns = reader, flat k·K + l. */
  confusion: Float64Array;
  n: number;
  overall: Proportion;
  perClass: ClassMetrics[];
  clustered: boolean;
}

/** Confusion matrix, rows = reference, columns = reader. Observations with a class < 0 are skipped. */
export function confusionMatrix(truth: ArrayLike<number>, pred: ArrayLike<number>, K: number): Float64Array {
  const t = new Float64Array(K * K);
  for (let i = 0; i < truth.length; i++) if (truth[i] >= 0 && pred[i] >= 0) t[truth[i] * K + pred[i]]++;
  return t;
}

/**
 * Scores one reader: `truth[i]`, `pred[i]` per observation (negative = skip), `cluster[i]` the
 * patient (or case) of observation i, or null.
 */
export function readerAccuracy(truth: ArrayLike<number>, pred: ArrayLike<number>, K: number, opts: { cluster?: Int32Array | null; level?: number } = {}): ReaderAccuracy {
  const level = opts.level ?? 0.95;
  const keep: number[] = [];
  for (let i = 0; i < truth.length; i++) if (truth[i] >= 0 && pred[i] >= 0) keep.push(i);
  const n = keep.length;
  const t = Int32Array.from(keep, (i) => truth[i]);
  const p = Int32Array.from(keep, (i) => pred[i]);
  const cl = opts.cluster ? Int32Array.from(keep, (i) => opts.cluster![i]) : null;
  const confusion = confusionMatrix(t, p, K);
  const all = new Uint8Array(n).fill(1);
  const correct = Uint8Array.from(t, (v, i) => (v === p[i] ? 1 : 0));
  const overall = proportion(correct, all, cl, level);
  const perClass: ClassMetrics[] = [];
  const y = new Uint8Array(n);
  const inc = new Uint8Array(n);
  for (let c = 0; c < K; c++) {
    const tp = confusion[c * K + c];
    let rowSum = 0,
      colSum = 0;
    for (let l = 0; l < K; l++) {
      rowSum += confusion[c * K + l];
      colSum += confusion[l * K + c];
    }
    const fn = rowSum - tp;
    const fp = colSum - tp;
    const tn = n - tp - fn - fp;
    const prop = (f: (i: number) => [boolean, boolean]): Proportion => {
      for (let i = 0; i < n; i++) {
        const [a, b] = f(i);
        inc[i] = a ? 1 : 0;
        y[i] = b ? 1 : 0;
      }
      return proportion(y, inc, cl, level);
    };
    perClass.push({
      category: c,
      tp,
      fp,
      fn,
      tn,
      sensitivity: prop((i) => [t[i] === c, p[i] === c]),
      specificity: prop((i) => [t[i] !== c, p[i] !== c]),
      ppv: prop((i) => [p[i] === c, t[i] === c]),
      npv: prop((i) => [p[i] !== c, t[i] !== c]),
      accuracy: prop((i) => [true, (t[i] === c) === (p[i] === c)]),
    });
  }
  return { confusion, n, overall, perClass, clustered: !!cl && overall.method === 'wilson-clustered' };
}
