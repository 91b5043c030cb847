/**
 * Krippendorff's α (Krippendorff 2004/2011, "Computing Krippendorff's alpha-reliability"):
 *   α = 1 − (n.. − 1) Σ_{c,k} o_ck δ²_ck / Σ_{c,k} n_c n_k δ²_ck
 * from the coincidence matrix o (only cases with ≥ 2 ratings are pairable; any number of raters,
 * missing ratings allowed). Metrics: nominal (δ² = [c ≠ k]), ordinal (δ²_ck = (Σ_{g=c..k} n_g −
 * (n_c + n_k)/2)², from the pairable marginals), interval ((v_c − v_k)²), ratio
 * (((v_c − v_k)/(v_c + v_k))², 0 when both are 0).
 * The SE/CI are Gwet's (irrCAC krippen.alpha.raw) with weights 1 − δ²/max δ²; Krippendorff
 * himself recommends a bootstrap (stats/bootstrap).
 */
import type { CaseCounts } from '../ratings.ts';
import type { Weights } from './weights.ts';
import { krippendorffFW, type FrameworkResult } from './framework.ts';

export type AlphaMetric = 'nominal' | 'ordinal' | 'interval' | 'ratio';

export interface AlphaResult {
  value: number;
  /** Observed and expected disagreement (Do, De), coincidence-matrix form. */
  observed: number;
  expected: number;
  /** Pairable values n.. */
  pairable: number;
  /** Pairable cases. */
  cases: number;
  metric: AlphaMetric;
  /** Gwet's SE and t interval (irrCAC) for this metric. */
  inference: FrameworkResult;
}

/** Coincidence matrix (q × q) and marginals n_c. */
export function coincidence(cc: CaseCounts): { o: Float64Array; marg: Float64Array; total: number; cases: number } {
  const { q, counts, totals } = cc;
  const o = new Float64Array(q * q);
  let cases = 0;
  const nz = new Int32Array(q);
  for (let i = 0; i < cc.nCases; i++) {
    const m = totals[i];
    if (m < 2) continue;
    cases++;
    const base = i * q;
    let z = 0;
    for (let k = 0; k < q; k++) if (counts[base + k] > 0) nz[z++] = k;
    const inv = 1 / (m - 1);
    for (let a = 0; a < z; a++) {
      const c = nz[a];
      const nc = counts[base + c];
      o[c * q + c] += nc * (nc - 1) * inv;
      for (let b = 0; b < z; b++) {
        if (a === b) continue;
        const k = nz[b];
        o[c * q + k] += nc * counts[base + k] * inv;
      }
    }
  }
  const marg = new Float64Array(q);
  let total = 0;
  for (let c = 0; c < q; c++) {
    for (let k = 0; k < q; k++) marg[c] += o[c * q + k];
    total += marg[c];
  }
  return { o, marg, total, cases };
}

/** δ² matrix for a metric (needs the pairable marginals for ordinal, category values for interval/ratio). */
export function alphaDelta(metric: AlphaMetric, marg: Float64Array, values: Float64Array): Float64Array {
  const q = marg.length;
  const d = new Float64Array(q * q);
  for (let c = 0; c < q; c++) {
    for (let k = 0; k < q; k++) {
      if (c === k) continue;
      let x: number;
      if (metric === 'nominal') x = 1;
      else if (metric === 'ordinal') {
        const lo = Math.min(c, k);
        const hi = Math.max(c, k);
        let s = 0;
        for (let g = lo; g <= hi; g++) s += marg[g];
        s -= (marg[lo] + marg[hi]) / 2;
        x = s * s;
      } else if (metric === 'interval') x = (values[c] - values[k]) ** 2;
      else {
        const sum = values[c] + values[k];
        x = sum === 0 ? 0 : ((values[c] - values[k]) / sum) ** 2;
      }
      d[c * q + k] = x;
    }
  }
  return d;
}

export function krippendorffAlpha(cc: CaseCounts, metric: AlphaMetric, values: Float64Array, level = 0.95): AlphaResult {
  const q = cc.q;
  const { o, marg, total, cases } = coincidence(cc);
  const delta = alphaDelta(metric, marg, values);
  let dObs = 0;
  let dExp = 0;
  let maxD = 0;
  for (let c = 0; c < q; c++) {
    for (let k = 0; k < q; k++) {
      const x = delta[c * q + k];
      if (x > maxD) maxD = x;
      dObs += o[c * q + k] * x;
      dExp += marg[c] * marg[k] * x;
    }
  }
  dObs /= total;
  dExp /= total * (total - 1);
  const value = 1 - dObs / dExp;
  const w = new Float64Array(q * q);
  for (let j = 0; j < q * q; j++) w[j] = maxD > 0 ? 1 - delta[j] / maxD : 1;
  const wt: Weights = { q, name: `krippendorff_${metric}`, w, identity: metric === 'nominal' };
  const inference = krippendorffFW(cc, wt, level);
  let pairable = 0;
  for (let i = 0; i < cc.nCases; i++) if (cc.totals[i] >= 2) pairable += cc.totals[i];
  return { value, observed: dObs, expected: dExp, pairable, cases, metric, inference };
}
