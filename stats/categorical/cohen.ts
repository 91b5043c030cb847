/**
 * Two-rater coefficients from a q × q contingency table (rows: rater A, columns: rater B).
 *
 * Cohen's κ (1960) and weighted κ (Cohen 1968) with agreement weights w:
 *   po = Σ w_ij p_ij, pe = Σ w_ij p_i. p_.j, κ = (po − pe)/(1 − pe).
 * Large-sample variance (Fleiss, Cohen & Everitt 1969), as statsmodels cohens_kappa / SAS:
 *   var = [Σ p_ij (w_ij − (w̄_i. + w̄_.j)(1 − κ))² − (κ − pe(1 − κ))²] / (n (1 − pe)²)
 * with w̄_i. = Σ_j p_.j w_ij, w̄_.j = Σ_i p_i. w_ij; the variance under H0: κ = 0 (used for the
 * z test, as irr::kappa2) replaces p_ij by p_i. p_.j and κ by 0.
 * Scott's π (1955): pe = Σ_k ((p_k. + p_.k)/2)² (unweighted).
 */
import { pTwoSidedNormal, qnorm } from '../distributions.ts';
import type { Weights } from './weights.ts';

export interface KappaResult {
  value: number;
  po: number;
  pe: number;
  n: number;
  /** SE under the alternative (FCE 1969), for the CI. */
  se: number;
  /** SE under H0 (κ = 0), for the z test. */
  se0: number;
  z: number;
  p: number;
  ci: [number, number];
}

export function cohenKappaTable(table: Float64Array, q: number, wt: Weights, level = 0.95): KappaResult {
  const w = wt.w;
  let n = 0;
  for (let j = 0; j < table.length; j++) n += table[j];
  const row = new Float64Array(q);
  const col = new Float64Array(q);
  for (let i = 0; i < q; i++) {
    for (let j = 0; j < q; j++) {
      const p = table[i * q + j] / n;
      row[i] += p;
      col[j] += p;
    }
  }
  let po = 0;
  let pe = 0;
  for (let i = 0; i < q; i++) {
    for (let j = 0; j < q; j++) {
      po += (w[i * q + j] * table[i * q + j]) / n;
      pe += w[i * q + j] * row[i] * col[j];
    }
  }
  const kappa = (po - pe) / (1 - pe);
  const wRow = new Float64Array(q); // w̄_i.
  const wCol = new Float64Array(q); // w̄_.j
  for (let i = 0; i < q; i++) {
    for (let j = 0; j < q; j++) {
      wRow[i] += col[j] * w[i * q + j];
      wCol[j] += row[i] * w[i * q + j];
    }
  }
  let a = 0;
  let a0 = 0;
  for (let i = 0; i < q; i++) {
    for (let j = 0; j < q; j++) {
      const p = table[i * q + j] / n;
      const e = row[i] * col[j];
      const s = wRow[i] + wCol[j];
      if (p > 0) a += p * (w[i * q + j] - s * (1 - kappa)) ** 2;
      if (e > 0) a0 += e * (w[i * q + j] - s) ** 2;
    }
  }
  const fac = 1 / ((1 - pe) ** 2 * n);
  const varK = (a - (kappa - pe * (1 - kappa)) ** 2) * fac;
  const varK0 = (a0 - pe * pe) * fac;
  const se = Math.sqrt(varK);
  const se0 = Math.sqrt(varK0);
  const z = kappa / se0;
  const zq = qnorm(1 - (1 - level) / 2);
  return { value: kappa, po, pe, n, se, se0, z, p: pTwoSidedNormal(z), ci: [kappa - zq * se, kappa + zq * se] };
}

export function scottPiTable(table: Float64Array, q: number): { value: number; po: number; pe: number; n: number } {
  let n = 0;
  for (let j = 0; j < table.length; j++) n += table[j];
  let po = 0;
  const m = new Float64Array(q);
  for (let i = 0; i < q; i++) {
    po += table[i * q + i] / n;
    for (let j = 0; j < q; j++) {
      m[i] += table[i * q + j] / (2 * n);
      m[j] += table[i * q + j] / (2 * n);
    }
  }
  let pe = 0;
  for (let k = 0; k < q; k++) pe += m[k] * m[k];
  return { value: (po - pe) / (1 - pe), po, pe, n };
}
