/**
 * Conger's κ (Conger 1980; "exact" Fleiss κ of irr::kappam.fleiss(exact = TRUE)) for raw
 * ratings with missing values, with Gwet's linearisation variance, as irrCAC conger.kappa.raw:
 *   pe = Σ_kl w_kl (p̄_k p̄_l − s²_kl / r),  s²_kl = (Σ_g p_gk p_gl − r p̄_k p̄_l)/(r − 1),
 * where p_gk is rater g's proportion of category k over the cases g rated.
 */
import type { CaseCounts, Ratings } from '../ratings.ts';
import { caseCounts, raterMatrix } from '../ratings.ts';
import { pTwoSidedT, qt } from '../distributions.ts';
import type { Weights } from './weights.ts';
import type { FrameworkResult } from './framework.ts';

/** `pre`: caseCounts(r) and raterMatrix(r) when the caller already has them. */
export function congerKappa(r: Ratings, wt: Weights, level = 0.95, pre?: { cc: CaseCounts; mat: Int32Array }): FrameworkResult {
  const q = r.nCategories;
  const R = r.nRaters;
  const n = r.nCases;
  const w = wt.w;
  const cc = pre?.cc ?? caseCounts(r);
  const mat = pre?.mat ?? raterMatrix(r);
  // classif[g, k], ng[g], pgk
  const classif = new Float64Array(R * q);
  for (let k = 0; k < r.nRatings; k++) classif[r.raterIndex[k] * q + r.code[k]]++;
  const ng = new Float64Array(R);
  for (let g = 0; g < R; g++) for (let k = 0; k < q; k++) ng[g] += classif[g * q + k];
  const pgk = new Float64Array(R * q);
  for (let g = 0; g < R; g++) for (let k = 0; k < q; k++) pgk[g * q + k] = classif[g * q + k] / ng[g];
  const pbar = new Float64Array(q);
  for (let k = 0; k < q; k++) {
    for (let g = 0; g < R; g++) pbar[k] += pgk[g * q + k];
    pbar[k] /= R;
  }
  // pa (as framework)
  let paSum = 0;
  let n2 = 0;
  const sumq = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * q;
    let s = 0;
    for (let k = 0; k < q; k++) {
      const x = cc.counts[o + k];
      if (x === 0) continue;
      let star = 0;
      for (let l = 0; l < q; l++) star += w[k * q + l] * cc.counts[o + l];
      s += x * (star - 1);
    }
    sumq[i] = s;
    const ri = cc.totals[i];
    if (ri >= 2) {
      paSum += s / (ri * (ri - 1));
      n2++;
    }
  }
  const pa = paSum / n2;
  let pe = 0;
  for (let k = 0; k < q; k++) {
    for (let l = 0; l < q; l++) {
      let cross = 0;
      for (let g = 0; g < R; g++) cross += pgk[g * q + k] * pgk[g * q + l];
      const s2 = (cross - R * pbar[k] * pbar[l]) / (R - 1);
      pe += w[k * q + l] * (pbar[k] * pbar[l] - s2 / R);
    }
  }
  const value = (pa - pe) / (1 - pe);
  // λ_ig = (n/ng) Σ_l (δ_igl − (ε_ig − ng/n) p_gl) B_gl,  B_gl = Σ_k w_kl (Σ_g' p_g'k − p_gk)
  const S = new Float64Array(q);
  for (let k = 0; k < q; k++) S[k] = R * pbar[k];
  const B = new Float64Array(R * q);
  const PB = new Float64Array(R); // Σ_l p_gl B_gl
  for (let g = 0; g < R; g++) {
    for (let l = 0; l < q; l++) {
      let s = 0;
      for (let k = 0; k < q; k++) s += w[k * q + l] * (S[k] - pgk[g * q + k]);
      B[g * q + l] = s;
      PB[g] += pgk[g * q + l] * s;
    }
  }
  let ss = 0;
  for (let i = 0; i < n; i++) {
    let lam = 0;
    for (let g = 0; g < R; g++) {
      const c = mat[i * R + g];
      const eps = c >= 0 ? 1 : 0;
      let v = -(eps - ng[g] / n) * PB[g];
      if (c >= 0) v += B[g * q + c];
      lam += (n / ng[g]) * v;
    }
    const pei = lam / (R * (R - 1));
    const ri = cc.totals[i];
    const d = ri * (ri - 1) || -1;
    const pai = sumq[i] / d;
    const ci = ((n / n2) * (pai - (ri >= 2 ? pe : 0))) / (1 - pe);
    const xi = ci - (2 * (1 - value) * (pei - pe)) / (1 - pe);
    ss += (xi - value) ** 2;
  }
  const se = n >= 2 ? Math.sqrt(ss / (n * (n - 1))) : NaN;
  const df = n - 1;
  const tq = qt(1 - (1 - level) / 2, df);
  const t = value / se;
  return { value, pa, pe, se, ci: [value - se * tq, Math.min(1, value + se * tq)], t, df, p: pTwoSidedT(t, df), n, n2 };
}
