/**
 * Kendall's coefficient of concordance W (Kendall & Babington Smith 1939) with the correction
 * for ties (Kendall 1948): W = 12 S / (m² (n³ − n) − m Σ T), T = Σ (t³ − t) over tie groups of
 * each rater, and Friedman's χ² = m (n − 1) W on n − 1 degrees of freedom (as irr::kendall with
 * correct = TRUE). Rows (subjects) with a missing value are dropped.
 */
import { pchisq } from '../distributions.ts';
import { completeRows } from './icc.ts';

export interface KendallWResult {
  /** Subjects. */
  n: number;
  /** Raters. */
  m: number;
  droppedRows: number;
  value: number;
  /** W without tie correction. */
  uncorrected: number;
  /** Σ over raters of Σ (t³ − t). */
  ties: number;
  chisq: number;
  df: number;
  p: number;
}

/** Mid-ranks (1-based, ties get their average rank) of a column; also returns Σ (t³ − t). */
export function midRanks(v: ArrayLike<number>): { ranks: Float64Array; tieSum: number } {
  const n = v.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((i, j) => v[i] - v[j]);
  const ranks = new Float64Array(n);
  let tieSum = 0;
  for (let s = 0; s < n; ) {
    let e = s + 1;
    while (e < n && v[idx[e]] === v[idx[s]]) e++;
    const r = (s + 1 + e) / 2;
    for (let q = s; q < e; q++) ranks[idx[q]] = r;
    const t = e - s;
    if (t > 1) tieSum += t ** 3 - t;
    s = e;
  }
  return { ranks, tieSum };
}

export function kendallW(rows: ReadonlyArray<ArrayLike<number>>): KendallWResult {
  const { x, n, k: m, dropped } = completeRows(rows);
  if (n < 2 || m < 2) throw new RangeError(`Kendall's W needs at least 2 subjects and 2 raters (got ${n} × ${m})`);
  const R = new Float64Array(n);
  let T = 0;
  const col = new Float64Array(n);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < n; i++) col[i] = x[i * m + j];
    const { ranks, tieSum } = midRanks(col);
    for (let i = 0; i < n; i++) R[i] += ranks[i];
    T += tieSum;
  }
  const Rbar = (m * (n + 1)) / 2;
  let S = 0;
  for (let i = 0; i < n; i++) S += (R[i] - Rbar) ** 2;
  const w = (12 * S) / (m * m * (n ** 3 - n) - m * T);
  const chisq = m * (n - 1) * w;
  return {
    n,
    m,
    droppedRows: dropped,
    value: w,
    uncorrected: (12 * S) / (m * m * (n ** 3 - n)),
    ties: T,
    chisq,
    df: n - 1,
    p: 1 - pchisq(chisq, n - 1),
  };
}
