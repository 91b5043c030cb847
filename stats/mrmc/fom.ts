/**
 * Figures of merit per arm × reader, their case-deleted (jackknife) values and the covariance
 * matrix of the FOMs across arm × reader groups by jackknife, DeLong or a seeded stratified
 * bootstrap.
 *
 * FOMs: the empirical AUC; sensitivity and specificity of the binary call "rating ≥ threshold".
 * Jackknife values are exact closed forms of the case-deleted FOM (no refitting): deleting
 * positive i from the AUC gives (n1 n0 A − n0 V10_i)/((n1 − 1) n0), deleting negative j gives
 * (n1 n0 A − n1 V01_j)/(n1 (n0 − 1)).
 *
 * Covariances (cov[g][h], g = arm · R + reader):
 *  - jackknife: (n − 1)/n · Σ_k (θ_g(−k) − θ̄_g)(θ_h(−k) − θ̄_h) over the n deleted cases (as MRMCaov
 *    `jackknife()`, RJafroc `covEstMethod = "jackknife"`, OR-DBM MRMC);
 *  - DeLong: S10/n1 + S01/n0 from the structural components (as MRMCaov `DeLong()`);
 *  - bootstrap: B stratified resamples of positives and negatives (the same cases for every
 *    group in a replicate), covariance with the B − 1 denominator; seeded xoshiro128**.
 */
import { delongComponentsSplit, delongCovariance, type DelongComponents } from '../roc/auc.ts';
import { xoshiro128ss } from '../bootstrap/prng.ts';
import { groupRatings, type Study } from './study.ts';

export type Fom = { kind: 'auc' } | { kind: 'sensitivity'; threshold: number } | { kind: 'specificity'; threshold: number };
export type CovMethod = { kind: 'jackknife' } | { kind: 'delong' } | { kind: 'bootstrap'; replicates: number; seed: number };

export function fomLabel(f: Fom): string {
  return f.kind === 'auc' ? 'empirical AUC' : `${f.kind} at rating ≥ ${f.threshold}`;
}

function pick(r: Float64Array, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = r[idx[i]];
  return out;
}

/** FOM of one group from its positive and negative ratings. */
export function fomValue(f: Fom, pos: ArrayLike<number>, neg: ArrayLike<number>): number {
  if (f.kind === 'auc') return delongComponentsSplit(pos, neg).auc;
  const src = f.kind === 'sensitivity' ? pos : neg;
  let n = 0;
  for (let i = 0; i < src.length; i++) if (src[i] >= f.threshold) n++;
  return f.kind === 'sensitivity' ? n / src.length : (src.length - n) / src.length;
}

export interface GroupFoms {
  /** θ[g], g = arm · R + reader. */
  theta: Float64Array;
  /** DeLong components per group (AUC only). */
  components: DelongComponents[] | null;
}

export function groupFoms(s: Study, f: Fom): GroupFoms {
  const G = s.arms.length * s.readers.length;
  const theta = new Float64Array(G);
  const components: DelongComponents[] = [];
  for (let a = 0; a < s.arms.length; a++)
    for (let j = 0; j < s.readers.length; j++) {
      const r = groupRatings(s, a, j);
      const pos = pick(r, s.positives);
      const neg = pick(r, s.negatives);
      const g = a * s.readers.length + j;
      if (f.kind === 'auc') {
        const c = delongComponentsSplit(pos, neg);
        components.push(c);
        theta[g] = c.auc;
      } else theta[g] = fomValue(f, pos, neg);
    }
  return { theta, components: f.kind === 'auc' ? components : null };
}

/**
 * Case-deleted FOMs: jk[g · n + k] = θ_g without the k-th deleted case. The AUC deletes every case
 * (n = C, case order); sensitivity (specificity) deletes only the positive (negative) cases, the
 * ones its value depends on (n = n1 or n0), as MRMCaov's jackknife on binary_sens / binary_spec.
 */
export function jackknifeFoms(s: Study, f: Fom, foms: GroupFoms): { jk: Float64Array; n: number } {
  const C = s.cases.length;
  const G = foms.theta.length;
  const n1 = s.positives.length;
  const n0 = s.negatives.length;
  if (f.kind === 'auc') {
    const jk = new Float64Array(G * C);
    for (let g = 0; g < G; g++) {
      const o = g * C;
      const c = foms.components![g];
      const S = n1 * n0 * foms.theta[g];
      for (let i = 0; i < n1; i++) jk[o + s.positives[i]] = (S - n0 * c.v10[i]) / ((n1 - 1) * n0);
      for (let j = 0; j < n0; j++) jk[o + s.negatives[j]] = (S - n1 * c.v01[j]) / (n1 * (n0 - 1));
    }
    return { jk, n: C };
  }
  const own = f.kind === 'sensitivity' ? s.positives : s.negatives;
  const n = own.length;
  const jk = new Float64Array(G * n);
  // Sensitivity counts calls ≥ threshold among positives; specificity calls below it among negatives.
  const hit = (x: number) => (f.kind === 'sensitivity' ? x >= f.threshold : x < f.threshold);
  for (let g = 0; g < G; g++) {
    const r = groupRatings(s, Math.floor(g / s.readers.length), g % s.readers.length);
    const total = foms.theta[g] * n;
    for (let k = 0; k < n; k++) jk[g * n + k] = (total - (hit(r[own[k]]) ? 1 : 0)) / (n - 1);
  }
  return { jk, n };
}

function covFromReplicates(x: Float64Array, G: number, N: number, scale: number, center: boolean): Float64Array {
  // x[g · N + n]; returns scale · Σ_n (x_g − x̄_g)(x_h − x̄_h).
  const means = new Float64Array(G);
  if (center)
    for (let g = 0; g < G; g++) {
      let m = 0;
      for (let n = 0; n < N; n++) m += x[g * N + n];
      means[g] = m / N;
    }
  const cov = new Float64Array(G * G);
  for (let g = 0; g < G; g++)
    for (let h = g; h < G; h++) {
      let sum = 0;
      const og = g * N;
      const oh = h * N;
      const mg = means[g];
      const mh = means[h];
      for (let n = 0; n < N; n++) sum += (x[og + n] - mg) * (x[oh + n] - mh);
      cov[g * G + h] = cov[h * G + g] = scale * sum;
    }
  return cov;
}

export function jackknifeCovariance(s: Study, f: Fom, foms: GroupFoms): { cov: Float64Array; jk: { jk: Float64Array; n: number } } {
  const jk = jackknifeFoms(s, f, foms);
  return { cov: covFromReplicates(jk.jk, foms.theta.length, jk.n, (jk.n - 1) / jk.n, true), jk };
}

export function delongMatrix(foms: GroupFoms): Float64Array {
  if (!foms.components) throw new RangeError('DeLong covariance is defined for the empirical AUC only');
  const G = foms.components.length;
  const cov = new Float64Array(G * G);
  for (let g = 0; g < G; g++) for (let h = g; h < G; h++) cov[g * G + h] = cov[h * G + g] = delongCovariance(foms.components[g], foms.components[h]);
  return cov;
}

export function bootstrapCovariance(s: Study, f: Fom, replicates: number, seed: number): Float64Array {
  if (!Number.isInteger(replicates) || replicates < 2) throw new RangeError('bootstrap needs at least 2 replicates');
  const rng = xoshiro128ss(seed);
  const A = s.arms.length;
  const R = s.readers.length;
  const G = A * R;
  const n1 = s.positives.length;
  const n0 = s.negatives.length;
  const bp = new Int32Array(n1);
  const bn = new Int32Array(n0);
  const x = new Float64Array(G * replicates);
  const pos = new Float64Array(n1);
  const neg = new Float64Array(n0);
  for (let b = 0; b < replicates; b++) {
    for (let i = 0; i < n1; i++) bp[i] = s.positives[rng.int(n1)];
    for (let j = 0; j < n0; j++) bn[j] = s.negatives[rng.int(n0)];
    for (let a = 0; a < A; a++)
      for (let r = 0; r < R; r++) {
        const rat = groupRatings(s, a, r);
        for (let i = 0; i < n1; i++) pos[i] = rat[bp[i]];
        for (let j = 0; j < n0; j++) neg[j] = rat[bn[j]];
        x[(a * R + r) * replicates + b] = fomValue(f, pos, neg);
      }
  }
  return covFromReplicates(x, G, replicates, 1 / (replicates - 1), true);
}

export function covarianceMatrix(s: Study, f: Fom, foms: GroupFoms, m: CovMethod): { cov: Float64Array; jk: { jk: Float64Array; n: number } | null } {
  if (m.kind === 'jackknife') return jackknifeCovariance(s, f, foms);
  if (m.kind === 'delong') return { cov: delongMatrix(foms), jk: null };
  return { cov: bootstrapCovariance(s, f, m.replicates, m.seed), jk: null };
}
