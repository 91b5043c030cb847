/**
 * Intraclass correlation coefficients: the six Shrout & Fleiss (1979) forms, named also as in
 * McGraw & Wong (1996), each with its F test against ρ = 0 and a confidence interval.
 *
 * Input: a complete n × k matrix (n subjects/cases in rows, k raters in columns). Rows with a
 * missing value are dropped (as R psych::ICC(missing = TRUE) and irr::icc do) and counted.
 *
 * Formulas (MSR rows, MSC columns, MSE residual, MSW within-rows):
 *  - ICC(1)   / ICC1   one-way, single:           (MSR − MSW) / (MSR + (k−1) MSW)
 *  - ICC(k)   / ICC1k  one-way, average:          (MSR − MSW) / MSR
 *  - ICC(A,1) / ICC2   two-way, agreement, single: (MSR − MSE) / (MSR + (k−1) MSE + k (MSC − MSE)/n)
 *  - ICC(A,k) / ICC2k  two-way, agreement, average:(MSR − MSE) / (MSR + (MSC − MSE)/n)
 *  - ICC(C,1) / ICC3   two-way, consistency, single:(MSR − MSE) / (MSR + (k−1) MSE)
 *  - ICC(C,k) / ICC3k  two-way, consistency, average:(MSR − MSE) / MSR
 * The two-way estimates are the same whether raters are random or fixed (mixed model); only
 * the interpretation differs (McGraw & Wong 1996, Table 4), so each two-way form is reported
 * once with both model names in its parameters.
 *
 * F tests (H0: ρ = 0): one-way F = MSR/MSW on (n−1, n(k−1)); two-way F = MSR/MSE on
 * (n−1, (n−1)(k−1)) — exact under H0 for all four two-way forms, as R psych::ICC.
 * CIs: one-way and consistency forms from the F distribution (Shrout & Fleiss 1979);
 * agreement forms from McGraw & Wong (1996) with Satterthwaite degrees of freedom v computed at
 * ρ̂ = ICC(A,1) for both the single and the average form (as psych; irr::icc computes v for the
 * average form at ICC(A,k) — see docs/decisions/stats2-icc-average-agreement-ci.md).
 */
import { pf, qf } from '../distributions.ts';

export type IccForm = 'ICC1' | 'ICC2' | 'ICC3' | 'ICC1k' | 'ICC2k' | 'ICC3k';

export interface IccResult {
  form: IccForm;
  /** McGraw & Wong name: ICC(1), ICC(k), ICC(A,1), ICC(A,k), ICC(C,1), ICC(C,k). */
  name: string;
  model: 'one-way random' | 'two-way (random or mixed)';
  type: 'absolute agreement' | 'consistency';
  unit: 'single' | 'average';
  value: number;
  F: number;
  df1: number;
  df2: number;
  p: number;
  ci: [number, number];
  /** Koo & Li (2016) band of the point estimate — a convention, not a test. */
  band: KooLiBand;
}

export interface AnovaTable {
  n: number;
  k: number;
  MSR: number;
  MSC: number;
  MSE: number;
  MSW: number;
}

export interface IccOutput {
  anova: AnovaTable;
  /** Rows dropped because they had a missing (NaN) value. */
  droppedRows: number;
  forms: IccResult[];
  level: number;
}

export type KooLiBand = 'poor' | 'moderate' | 'good' | 'excellent';

/** Koo & Li (2016): < 0.5 poor, 0.5–0.75 moderate, 0.75–0.9 good, > 0.9 excellent (a convention). */
export function kooLiBand(icc: number): KooLiBand {
  if (icc < 0.5) return 'poor';
  if (icc < 0.75) return 'moderate';
  if (icc <= 0.9) return 'good';
  return 'excellent';
}

/** Two-way ANOVA mean squares of a complete n × k matrix (row-major Float64Array or rows). */
export function anovaTwoWay(x: Float64Array, n: number, k: number): AnovaTable {
  if (n < 2 || k < 2) throw new RangeError(`ICC needs at least 2 subjects and 2 raters (got ${n} × ${k})`);
  let grand = 0;
  for (let i = 0; i < n * k; i++) grand += x[i];
  grand /= n * k;
  const rowMean = new Float64Array(n);
  const colMean = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) {
      s += x[i * k + j];
      colMean[j] += x[i * k + j];
    }
    rowMean[i] = s / k;
  }
  for (let j = 0; j < k; j++) colMean[j] /= n;
  let ssr = 0,
    ssc = 0,
    sse = 0,
    ssw = 0;
  for (let i = 0; i < n; i++) ssr += (rowMean[i] - grand) ** 2;
  ssr *= k;
  for (let j = 0; j < k; j++) ssc += (colMean[j] - grand) ** 2;
  ssc *= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const v = x[i * k + j];
      sse += (v - rowMean[i] - colMean[j] + grand) ** 2;
      ssw += (v - rowMean[i]) ** 2;
    }
  }
  return {
    n,
    k,
    MSR: ssr / (n - 1),
    MSC: ssc / (k - 1),
    MSE: sse / ((n - 1) * (k - 1)),
    MSW: ssw / (n * (k - 1)),
  };
}

/** Drops rows with a non-finite value; returns the packed complete matrix. */
export function completeRows(rows: ReadonlyArray<ArrayLike<number>>): { x: Float64Array; n: number; k: number; dropped: number } {
  const k = rows.length ? rows[0].length : 0;
  const keep: number[] = [];
  rows.forEach((r, i) => {
    if (r.length !== k) throw new RangeError(`row ${i + 1} has ${r.length} values, expected ${k}`);
    for (let j = 0; j < k; j++) if (!Number.isFinite(r[j])) return;
    keep.push(i);
  });
  const x = new Float64Array(keep.length * k);
  keep.forEach((i, a) => {
    for (let j = 0; j < k; j++) x[a * k + j] = rows[i][j];
  });
  return { x, n: keep.length, k, dropped: rows.length - keep.length };
}

/** All six ICC forms with F tests and (1 − α) confidence intervals. */
export function icc(rows: ReadonlyArray<ArrayLike<number>>, opts: { level?: number } = {}): IccOutput {
  const level = opts.level ?? 0.95;
  const { x, n, k, dropped } = completeRows(rows);
  const a = anovaTwoWay(x, n, k);
  return { anova: a, droppedRows: dropped, forms: iccFromAnova(a, level), level };
}

export function iccFromAnova(a: AnovaTable, level = 0.95): IccResult[] {
  const { n, k, MSR, MSC, MSE, MSW } = a;
  const alpha = 1 - level;
  const q = 1 - alpha / 2;

  const icc1 = (MSR - MSW) / (MSR + (k - 1) * MSW);
  const icc2 = (MSR - MSE) / (MSR + (k - 1) * MSE + (k * (MSC - MSE)) / n);
  const icc3 = (MSR - MSE) / (MSR + (k - 1) * MSE);
  const icc1k = (MSR - MSW) / MSR;
  const icc2k = (MSR - MSE) / (MSR + (MSC - MSE) / n);
  const icc3k = (MSR - MSE) / MSR;

  // One-way.
  const F1 = MSR / MSW;
  const d1n = n - 1;
  const d1d = n * (k - 1);
  const p1 = upperF(F1, d1n, d1d);
  const F1L = F1 / qf(q, d1n, d1d);
  const F1U = F1 * qf(q, d1d, d1n);

  // Two-way: F = MSR/MSE.
  const F3 = MSR / MSE;
  const d3n = n - 1;
  const d3d = (n - 1) * (k - 1);
  const p3 = upperF(F3, d3n, d3d);
  const F3L = F3 / qf(q, d3n, d3d);
  const F3U = F3 * qf(q, d3d, d3n);

  // Agreement: McGraw & Wong (1996) with Satterthwaite v at ρ̂ = ICC(A,1).
  const fj = MSC / MSE;
  const vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2;
  const vd = (n - 1) * k * k * icc2 * icc2 * fj * fj + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2;
  const v = vn / vd;
  const FAl = qf(q, n - 1, v);
  const FAu = qf(q, v, n - 1);
  const L2 = (n * (MSR - FAl * MSE)) / (FAl * (k * MSC + (k * n - k - n) * MSE) + n * MSR);
  const U2 = (n * (FAu * MSR - MSE)) / (k * MSC + (k * n - k - n) * MSE + n * FAu * MSR);
  // ICC(A,k) bounds: McGraw & Wong Table 7, n(MSR − F·MSE)/(F(MSC − MSE) + n·MSR), which is the
  // Spearman–Brown step-up of the ICC(A,1) bounds with the same F quantiles.
  const L2k = (n * (MSR - FAl * MSE)) / (FAl * (MSC - MSE) + n * MSR);
  const U2k = (n * (FAu * MSR - MSE)) / (MSC - MSE + n * FAu * MSR);

  const mk = (
    form: IccForm,
    name: string,
    model: IccResult['model'],
    type: IccResult['type'],
    unit: IccResult['unit'],
    value: number,
    F: number,
    df1: number,
    df2: number,
    p: number,
    ci: [number, number],
  ): IccResult => ({ form, name, model, type, unit, value, F, df1, df2, p, ci, band: kooLiBand(value) });

  return [
    mk('ICC1', 'ICC(1)', 'one-way random', 'absolute agreement', 'single', icc1, F1, d1n, d1d, p1, [(F1L - 1) / (F1L + k - 1), (F1U - 1) / (F1U + k - 1)]),
    mk('ICC2', 'ICC(A,1)', 'two-way (random or mixed)', 'absolute agreement', 'single', icc2, F3, d3n, d3d, p3, [L2, U2]),
    mk('ICC3', 'ICC(C,1)', 'two-way (random or mixed)', 'consistency', 'single', icc3, F3, d3n, d3d, p3, [(F3L - 1) / (F3L + k - 1), (F3U - 1) / (F3U + k - 1)]),
    mk('ICC1k', `ICC(${k})`, 'one-way random', 'absolute agreement', 'average', icc1k, F1, d1n, d1d, p1, [1 - 1 / F1L, 1 - 1 / F1U]),
    mk('ICC2k', `ICC(A,${k})`, 'two-way (random or mixed)', 'absolute agreement', 'average', icc2k, F3, d3n, d3d, p3, [L2k, U2k]),
    mk('ICC3k', `ICC(C,${k})`, 'two-way (random or mixed)', 'consistency', 'average', icc3k, F3, d3n, d3d, p3, [1 - 1 / F3L, 1 - 1 / F3U]),
  ];
}

/** Upper tail of F, computed as 1 − CDF (R's pf(lower.tail = FALSE) up to ~1e-16 absolute). */
function upperF(x: number, d1: number, d2: number): number {
  return 1 - pf(x, d1, d2);
}
