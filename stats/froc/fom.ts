/**
 * Free-response figures of merit per arm × reader, as RJafroc 2.1.3 (src/MyFOM.cpp) defines them,
 * with ψ(x, y) = 1 if x < y, ½ if x = y (−∞ = −∞ included), 0 otherwise:
 *  - wAFROC  = Σ_{n ∈ normal} Σ_{a ∈ abnormal} Σ_l w_al ψ(FP_n, LL_al) / (K1 K2)
 *  - AFROC   = Σ_n Σ_{a, l} ψ(FP_n, LL_al) / (K1 ΣL)
 *  - wAFROC1 and AFROC1: the same with FP_n taken over all K cases (normal and abnormal);
 * FP_n = highest NL rating on case n (−∞ when it has none); an unmarked lesion rates −∞.
 *
 * Every FOM is a sum over (FP case n, abnormal case a) of S_na divided by N_fp · D, D = K2 (weighted)
 * or ΣL; deleting case k removes its row and column of S, so the jackknife values are exact closed
 * forms: (ΣS − row_k − col_k + S_kk) / ((N_fp − [k ∈ fp]) · (D − d_k)).
 */
import type { FrocStudy } from './study.ts';

export type FrocFom = 'wAFROC' | 'AFROC' | 'wAFROC1' | 'AFROC1';
export const FROC_FOMS: readonly FrocFom[] = ['wAFROC', 'AFROC', 'wAFROC1', 'AFROC1'];

const psi = (x: number, y: number) => (x < y ? 1 : x === y ? 0.5 : 0);

function maxOf(a: Float64Array): number {
  let m = -Infinity;
  for (const x of a) if (x > m) m = x;
  return m;
}

interface Pieces {
  /** S[f · K2 + a]: f over the FP cases, a over the abnormal cases. */
  S: Float64Array;
  fpCases: Int32Array;
  /** Per abnormal case: its share of the denominator D (1 weighted, L unweighted). */
  d: Float64Array;
}

function pieces(s: FrocStudy, fom: FrocFom, g: number): Pieces {
  const K = s.cases.length;
  const fpCases = fom === 'wAFROC1' || fom === 'AFROC1' ? Int32Array.from(s.cases.keys()) : s.normals;
  const weighted = fom === 'wAFROC' || fom === 'wAFROC1';
  const K2 = s.abnormals.length;
  const S = new Float64Array(fpCases.length * K2);
  const d = new Float64Array(K2);
  for (let a = 0; a < K2; a++) d[a] = weighted ? 1 : s.lesions[s.abnormals[a]];
  for (let f = 0; f < fpCases.length; f++) {
    const fp = maxOf(s.nl[g * K + fpCases[f]]);
    for (let a = 0; a < K2; a++) {
      const k = s.abnormals[a];
      const ll = s.ll[g * K + k];
      const w = s.weights[k];
      let t = 0;
      for (let l = 0; l < ll.length; l++) t += (weighted ? w[l] : 1) * psi(fp, ll[l]);
      S[f * K2 + a] = t;
    }
  }
  return { S, fpCases, d };
}

export function frocFom(s: FrocStudy, fom: FrocFom, arm: number, reader: number): number {
  const g = arm * s.readers.length + reader;
  const { S, fpCases, d } = pieces(s, fom, g);
  let total = 0;
  for (const x of S) total += x;
  return total / (fpCases.length * d.reduce((a, b) => a + b, 0));
}

/** FOMs θ[g] (g = arm · R + reader) and case-deleted FOMs jk[g · K + k]. */
export function frocFomsWithJackknife(s: FrocStudy, fom: FrocFom): { theta: Float64Array; jk: Float64Array } {
  const K = s.cases.length;
  const G = s.arms.length * s.readers.length;
  const theta = new Float64Array(G);
  const jk = new Float64Array(G * K);
  const abIndex = new Int32Array(K).fill(-1);
  s.abnormals.forEach((k, a) => {
    abIndex[k] = a;
  });
  for (let g = 0; g < G; g++) {
    const { S, fpCases, d } = pieces(s, fom, g);
    const K2 = d.length;
    const F = fpCases.length;
    const fpIndex = new Int32Array(K).fill(-1);
    fpCases.forEach((k, f) => {
      fpIndex[k] = f;
    });
    const row = new Float64Array(F);
    const col = new Float64Array(K2);
    let total = 0;
    for (let f = 0; f < F; f++)
      for (let a = 0; a < K2; a++) {
        const x = S[f * K2 + a];
        row[f] += x;
        col[a] += x;
        total += x;
      }
    const D = d.reduce((x, y) => x + y, 0);
    theta[g] = total / (F * D);
    for (let k = 0; k < K; k++) {
      const f = fpIndex[k];
      const a = abIndex[k];
      let t = total;
      if (f >= 0) t -= row[f];
      if (a >= 0) t -= col[a];
      if (f >= 0 && a >= 0) t += S[f * K2 + a];
      jk[g * K + k] = t / ((F - (f >= 0 ? 1 : 0)) * (D - (a >= 0 ? d[a] : 0)));
    }
  }
  return { theta, jk };
}

export interface FrocPoint {
  /** Rating threshold ζ (marks rated ≥ ζ count); null for the origin. */
  threshold: number | null;
  /** Non-lesion localisations per case (all K cases). */
  nlf: number;
  /** Lesion localisation fraction (of all lesions). */
  llf: number;
}

/**
 * Empirical FROC operating points of one arm × reader: the origin, then one point per distinct
 * rating (descending), as RJafroc's FROCPoints / RawOpPtsFROC2FROC.
 */
export function frocPoints(s: FrocStudy, arm: number, reader: number): FrocPoint[] {
  const K = s.cases.length;
  const g = arm * s.readers.length + reader;
  const nl: number[] = [];
  const ll: number[] = [];
  for (let k = 0; k < K; k++) {
    for (const x of s.nl[g * K + k]) nl.push(x);
    for (const x of s.ll[g * K + k]) if (x !== -Infinity) ll.push(x);
  }
  const totalLesions = s.lesions.reduce((a, b) => a + b, 0);
  const zetas = [...new Set([...nl, ...ll])].sort((a, b) => b - a);
  nl.sort((a, b) => b - a);
  ll.sort((a, b) => b - a);
  const out: FrocPoint[] = [{ threshold: null, nlf: 0, llf: 0 }];
  let i = 0;
  let j = 0;
  for (const z of zetas) {
    while (i < nl.length && nl[i] >= z) i++;
    while (j < ll.length && ll[j] >= z) j++;
    out.push({ threshold: z, nlf: i / K, llf: j / totalLesions });
  }
  return out;
}

export interface AfrocPoint {
  threshold: number | null;
  /** Fraction of normal cases whose highest NL is ≥ ζ. */
  fpf: number;
  /** wAFROC: weighted lesion localisation fraction; AFROC: lesion localisation fraction. */
  llf: number;
}

/**
 * Empirical wAFROC (weighted) or AFROC operating points: (0,0), one point per distinct rating
 * among the normal cases' highest NLs and the LLs (descending), then (1,1). The trapezoidal area
 * under them equals the wAFROC (AFROC) FOM.
 */
export function afrocPoints(s: FrocStudy, arm: number, reader: number, weighted = true): AfrocPoint[] {
  const K = s.cases.length;
  const g = arm * s.readers.length + reader;
  const fp = Array.from(s.normals, (k) => maxOf(s.nl[g * K + k])).filter((x) => x !== -Infinity);
  const ll: { z: number; w: number }[] = [];
  let D = 0;
  for (const k of s.abnormals) {
    const r = s.ll[g * K + k];
    for (let l = 0; l < r.length; l++) {
      const w = weighted ? s.weights[k][l] : 1;
      D += w;
      if (r[l] !== -Infinity) ll.push({ z: r[l], w });
    }
  }
  const zetas = [...new Set([...fp, ...ll.map((x) => x.z)])].sort((a, b) => b - a);
  const out: AfrocPoint[] = [{ threshold: null, fpf: 0, llf: 0 }];
  for (const z of zetas)
    out.push({
      threshold: z,
      fpf: fp.filter((x) => x >= z).length / s.normals.length,
      llf: ll.reduce((acc, x) => acc + (x.z >= z ? x.w : 0), 0) / D,
    });
  out.push({ threshold: null, fpf: 1, llf: 1 });
  return out;
}
