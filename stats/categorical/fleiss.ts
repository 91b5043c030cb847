/**
 * Fleiss' κ in the complete-case form (Fleiss 1971: every case rated by the same number m of
 * raters), with the SE under H0: κ = 0 of Fleiss, Nee & Landis (1979) for the z test, and the
 * per-category κ_j = 1 − Σ_i n_ij (m − n_ij) / (N m (m − 1) p_j q_j) with SE_j = √(2/(N m (m−1)))
 * (valid under H0 only, as in irr::kappam.fleiss). The SE for the CI comes from Gwet's
 * framework (framework.ts) applied to the same cases.
 */
import type { CaseCounts } from '../ratings.ts';
import { pTwoSidedNormal } from '../distributions.ts';

export interface FleissCompleteResult {
  value: number;
  n: number;
  m: number;
  se0: number;
  z: number;
  p: number;
  /** Per category (in category order). */
  categories: { value: number; p_j: number; se0: number; z: number; p: number }[];
}

/** `cc` must hold only cases with exactly m ratings each (m ≥ 2). */
export function fleissComplete(cc: CaseCounts): FleissCompleteResult {
  const { q, nCases: n, counts, totals } = cc;
  const m = totals[0];
  const colSum = new Float64Array(q);
  const disagree = new Float64Array(q); // Σ_i n_ij (m − n_ij)
  let agreeSum = 0;
  for (let i = 0; i < n; i++) {
    const o = i * q;
    let s = 0;
    for (let k = 0; k < q; k++) {
      const x = counts[o + k];
      s += x * x;
      colSum[k] += x;
      disagree[k] += x * (m - x);
    }
    agreeSum += (s - m) / (m * (m - 1));
  }
  const pBar = agreeSum / n;
  let pe = 0;
  let spq = 0;
  let spqqp = 0;
  const pj = new Float64Array(q);
  for (let k = 0; k < q; k++) {
    pj[k] = colSum[k] / (n * m);
    pe += pj[k] * pj[k];
    const qk = 1 - pj[k];
    spq += pj[k] * qk;
    spqqp += pj[k] * qk * (qk - pj[k]);
  }
  const value = (pBar - pe) / (1 - pe);
  const se0 = Math.sqrt((2 / (spq * spq * (n * m * (m - 1)))) * (spq * spq - spqqp));
  const z = value / se0;
  const seK = Math.sqrt(2 / (n * m * (m - 1)));
  const categories = Array.from(pj, (p, k) => {
    const v = 1 - disagree[k] / (n * m * (m - 1) * p * (1 - p));
    const zk = v / seK;
    return { value: v, p_j: p, se0: seK, z: zk, p: pTwoSidedNormal(zk) };
  });
  return { value, n, m, se0, z, p: pTwoSidedNormal(z), categories };
}

/** Dichotomises counts into category j vs the rest (binary CaseCounts). */
export function dichotomise(cc: CaseCounts, j: number): CaseCounts {
  const counts = new Int32Array(cc.nCases * 2);
  for (let i = 0; i < cc.nCases; i++) {
    const x = cc.counts[i * cc.q + j];
    counts[2 * i] = x;
    counts[2 * i + 1] = cc.totals[i] - x;
  }
  return { q: 2, nCases: cc.nCases, counts, totals: cc.totals };
}
