/**
 * Chance-corrected agreement in Gwet's unified framework for raw ratings with missing values
 * (Gwet, Handbook of Inter-Rater Reliability, 4th ed., 2014, ch. 2–5; implemented in R irrCAC
 * as pa.coeff.raw, gwet.ac1.raw, fleiss.kappa.raw, bp.coeff.raw, krippen.alpha.raw).
 *
 * All coefficients share the weighted observed agreement
 *   pa = (1/n₂) Σ_{i: r_i ≥ 2} Σ_k n_ik (n*_ik − 1) / (r_i (r_i − 1)),  n*_ik = Σ_l w_kl n_il,
 * and differ in the chance agreement pe. Variances are the linearisation (jack-knife-like)
 * variances of Gwet (2008, 2014), v = 1/(n(n−1)) Σ_i (x_i − coef)²; intervals use t(n − 1) with
 * the upper bound capped at 1, p-values 2·(1 − pt(|coef/se|, n − 1)), exactly as irrCAC.
 *
 * Inputs are per-case category counts (CaseCounts): cases with no rating must not be present.
 */
import type { CaseCounts } from '../ratings.ts';
import { pTwoSidedT, qt } from '../distributions.ts';
import { weightSum, type Weights } from './weights.ts';

export interface FrameworkResult {
  value: number;
  pa: number;
  pe: number;
  se: number;
  /** t(n − 1) interval, upper bound capped at 1 (irrCAC). */
  ci: [number, number];
  /** coef / se */
  t: number;
  df: number;
  p: number;
  /** Cases used (rows with ≥ 1 rating; Krippendorff: ≥ 2). */
  n: number;
  /** Cases with ≥ 2 ratings. */
  n2: number;
}

export const FRAMEWORK_CI_METHOD = 't(n−1): value ± t·se, upper bound capped at 1 (Gwet 2014; as irrCAC)';

function finish(value: number, pa: number, pe: number, sumSq: number, n: number, n2: number, level: number): FrameworkResult {
  const se = n >= 2 ? Math.sqrt(sumSq / (n * (n - 1))) : NaN;
  const df = n - 1;
  const tq = qt(1 - (1 - level) / 2, df);
  const t = value / se;
  return {
    value,
    pa,
    pe,
    se,
    ci: [value - se * tq, Math.min(1, value + se * tq)],
    t,
    df,
    p: pTwoSidedT(t, df),
    n,
    n2,
  };
}

/** r(r − 1), or −1 when that is 0 (irrCAC's guard; such cases have Σ = 0 with unit diagonal weights). */
function den(ri: number): number {
  const d = ri * (ri - 1);
  return d === 0 ? -1 : d;
}

/** Precomputed per-case quantities shared by the coefficients. */
interface Base {
  n: number;
  n2: number;
  q: number;
  pa: number;
  /** Σ_k n_ik (n*_ik − 1) per case. */
  sumq: Float64Array;
  /** π_k = (1/n) Σ_i n_ik / r_i */
  pi: Float64Array;
}

function base(cc: CaseCounts, wt: Weights): Base {
  const { q, nCases: n, counts, totals } = cc;
  const w = wt.w;
  const sumq = new Float64Array(n);
  const pi = new Float64Array(q);
  let paSum = 0;
  let n2 = 0;
  for (let i = 0; i < n; i++) {
    const o = i * q;
    const ri = totals[i];
    let s = 0;
    if (wt.identity) {
      for (let k = 0; k < q; k++) {
        const x = counts[o + k];
        s += x * (x - 1);
        pi[k] += x / ri;
      }
    } else {
      for (let k = 0; k < q; k++) {
        const x = counts[o + k];
        pi[k] += x / ri;
        if (x === 0) continue;
        let star = 0;
        for (let l = 0; l < q; l++) star += w[k * q + l] * counts[o + l];
        s += x * (star - 1);
      }
    }
    sumq[i] = s;
    if (ri >= 2) {
      paSum += s / (ri * (ri - 1));
      n2++;
    }
  }
  for (let k = 0; k < q; k++) pi[k] /= n;
  return { n, n2, q, pa: paSum / n2, sumq, pi };
}

/** Percent agreement (pairwise, averaged over cases with ≥ 2 ratings); irrCAC pa.coeff.raw. */
export function percentAgreementFW(cc: CaseCounts, wt: Weights, level = 0.95): FrameworkResult {
  const b = base(cc, wt);
  const { n, n2, pa, sumq } = b;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const ri = cc.totals[i];
    const pai = (n / n2) * (sumq[i] / den(ri));
    ss += (pai - pa) ** 2;
  }
  return finish(pa, pa, 0, ss, n, n2, level);
}

type PeKind = 'gwet' | 'fleiss' | 'bp';

function kappaLike(cc: CaseCounts, wt: Weights, kind: PeKind, level: number): FrameworkResult {
  const b = base(cc, wt);
  const { n, n2, q, pa, sumq, pi } = b;
  const w = wt.w;
  const { counts, totals } = cc;
  let pe: number;
  const piw = new Float64Array(q); // per-category factor for pe_i
  if (kind === 'gwet') {
    const c = weightSum(wt) / (q * (q - 1));
    let s = 0;
    for (let k = 0; k < q; k++) s += pi[k] * (1 - pi[k]);
    pe = q >= 2 ? c * s : 1 - 1e-15;
    for (let k = 0; k < q; k++) piw[k] = c * (1 - pi[k]);
  } else if (kind === 'fleiss') {
    pe = 0;
    for (let k = 0; k < q; k++) {
      let a = 0;
      let bb = 0;
      for (let l = 0; l < q; l++) {
        pe += w[k * q + l] * pi[k] * pi[l];
        a += w[k * q + l] * pi[l];
        bb += w[l * q + k] * pi[l];
      }
      piw[k] = (a + bb) / 2;
    }
  } else {
    pe = weightSum(wt) / (q * q);
  }
  const value = (pa - pe) / (1 - pe);
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const ri = totals[i];
    const pai = sumq[i] / den(ri);
    let xi = ((n / n2) * (pai - (ri >= 2 ? pe : 0))) / (1 - pe);
    if (kind !== 'bp') {
      let pei = 0;
      const o = i * q;
      for (let k = 0; k < q; k++) pei += counts[o + k] * piw[k];
      pei /= ri;
      xi -= (2 * (1 - value) * (pei - pe)) / (1 - pe);
    }
    ss += (xi - value) ** 2;
  }
  return finish(value, pa, pe, ss, n, n2, level);
}

/**
 * fleissFW(counts, identity) on the cases two raters both rated (Scott's π with Gwet's SE), from
 * the case × rater matrix and the raters' q × q table, without building per-case counts: with two
 * ratings per case every per-case term depends only on the case's pair of categories, so it is
 * computed once per cell, and the sum of squares still runs over the cases in order. Every
 * operation is the one fleissFW performs, so the result is the same to the last bit.
 */
export function fleissPairFW(mat: Int32Array, R: number, a: number, b: number, table: Float64Array, q: number, level = 0.95): FrameworkResult {
  let n = 0;
  let agree = 0;
  for (let k = 0; k < q; k++) {
    agree += table[k * q + k];
    for (let l = 0; l < q; l++) n += table[k * q + l];
  }
  const n2 = n;
  // base(): pi_k = (1/n) Σ_i n_ik / 2 (sums of halves: exact in any order); pa = (Σ_i [agree]) / n.
  const pi = new Float64Array(q);
  for (let k = 0; k < q; k++) {
    let rowK = 0;
    let colK = 0;
    for (let l = 0; l < q; l++) {
      rowK += table[k * q + l];
      colK += table[l * q + k];
    }
    pi[k] = (rowK + colK) / 2 / n;
  }
  const pa = agree / n2;
  // kappaLike(…, 'fleiss') with identity weights.
  const w = IDENTITY_CACHE.get(q) ?? identityWeights(q);
  let pe = 0;
  const piw = new Float64Array(q);
  for (let k = 0; k < q; k++) {
    let x = 0;
    let y = 0;
    for (let l = 0; l < q; l++) {
      pe += w[k * q + l] * pi[k] * pi[l];
      x += w[k * q + l] * pi[l];
      y += w[l * q + k] * pi[l];
    }
    piw[k] = (x + y) / 2;
  }
  const value = (pa - pe) / (1 - pe);
  // (x_i − value)² for a case rated (c, d): pa_i = [c = d], pe_i = (piw_c + piw_d) / 2.
  const dev = new Float64Array(q * q);
  for (let c = 0; c < q; c++) {
    for (let d = 0; d < q; d++) {
      const pai = c === d ? 1 : 0;
      let xi = ((n / n2) * (pai - pe)) / (1 - pe);
      const pei = (c === d ? 2 * piw[c] : piw[c] + piw[d]) / 2;
      xi -= (2 * (1 - value) * (pei - pe)) / (1 - pe);
      dev[c * q + d] = (xi - value) ** 2;
    }
  }
  let ss = 0;
  const cases = mat.length / R;
  for (let i = 0; i < cases; i++) {
    const x = mat[i * R + a];
    const y = mat[i * R + b];
    if (x < 0 || y < 0) continue;
    ss += dev[x * q + y];
  }
  return finish(value, pa, pe, ss, n, n2, level);
}

const IDENTITY_CACHE = new Map<number, Float64Array>();
function identityWeights(q: number): Float64Array {
  const w = new Float64Array(q * q);
  for (let k = 0; k < q; k++) w[k * q + k] = 1;
  IDENTITY_CACHE.set(q, w);
  return w;
}

/** Gwet's AC1 (identity weights) / AC2 (other weights); irrCAC gwet.ac1.raw. */
export function gwetAC(cc: CaseCounts, wt: Weights, level = 0.95): FrameworkResult {
  return kappaLike(cc, wt, 'gwet', level);
}

/**
 * Fleiss' κ generalised to unequal numbers of ratings per case (all available ratings; Gwet 2014,
 * irrCAC fleiss.kappa.raw). On complete data it equals Fleiss (1971).
 */
export function fleissFW(cc: CaseCounts, wt: Weights, level = 0.95): FrameworkResult {
  return kappaLike(cc, wt, 'fleiss', level);
}

/** Brennan & Prediger (1981) coefficient, pe = Σw/q²; irrCAC bp.coeff.raw. */
export function brennanPredigerFW(cc: CaseCounts, wt: Weights, level = 0.95): FrameworkResult {
  return kappaLike(cc, wt, 'bp', level);
}

/**
 * Krippendorff's α with Gwet's variance (irrCAC krippen.alpha.raw): cases with < 2 ratings
 * are not pairable and are dropped; with weights w = 1 − δ²/max δ² this equals Krippendorff's α
 * for the metric δ².
 */
export function krippendorffFW(cc: CaseCounts, wt: Weights, level = 0.95): FrameworkResult {
  const { q, counts, totals } = cc;
  const w = wt.w;
  // Pairable cases.
  const idx: number[] = [];
  let sumR = 0;
  for (let i = 0; i < cc.nCases; i++) {
    if (totals[i] >= 2) {
      idx.push(i);
      sumR += totals[i];
    }
  }
  const n = idx.length;
  const rbar = sumR / n;
  const eps = 1 / sumR;
  const sumq = new Float64Array(n);
  const pi = new Float64Array(q);
  let paSum = 0;
  for (let j = 0; j < n; j++) {
    const o = idx[j] * q;
    let s = 0;
    for (let k = 0; k < q; k++) {
      const x = counts[o + k];
      if (x === 0) continue;
      pi[k] += x;
      let star = 0;
      if (wt.identity) star = x;
      else for (let l = 0; l < q; l++) star += w[k * q + l] * counts[o + l];
      s += x * (star - 1);
    }
    sumq[j] = s;
    paSum += s / (rbar * (totals[idx[j]] - 1));
  }
  for (let k = 0; k < q; k++) pi[k] /= n * rbar;
  const paPrime = paSum / n;
  const pa = (1 - eps) * paPrime + eps;
  let pe = 0;
  const piw = new Float64Array(q);
  for (let k = 0; k < q; k++) {
    let a = 0;
    let bb = 0;
    for (let l = 0; l < q; l++) {
      pe += w[k * q + l] * pi[k] * pi[l];
      a += w[k * q + l] * pi[l];
      bb += w[l * q + k] * pi[l];
    }
    piw[k] = (a + bb) / 2;
  }
  const alpha = (pa - pe) / (1 - pe);
  const alphaPrime = (paPrime - pe) / (1 - pe);
  let ss = 0;
  for (let j = 0; j < n; j++) {
    const ri = totals[idx[j]];
    const o = idx[j] * q;
    const pai = sumq[j] / (rbar * (ri - 1)) - (pa * (ri - rbar)) / rbar;
    const ki = (pai - pe) / (1 - pe);
    let pei = 0;
    for (let k = 0; k < q; k++) pei += counts[o + k] * piw[k];
    pei = pei / rbar - (pe * (ri - rbar)) / rbar;
    const xi = ki - (2 * (1 - alphaPrime) * (pei - pe)) / (1 - pe);
    ss += (xi - alphaPrime) ** 2;
  }
  return finish(alpha, pa, pe, ss, n, n, level);
}
