/**
 * STAPLE (Warfield, Zou & Wells 2004, IEEE TMI 23:903) for binary masks: expectation–maximisation
 * of the hidden true segmentation T and each rater's sensitivity p_j and specificity q_j.
 *
 * Follows ITK's STAPLEImageFilter (5.2) step for step, so the two agree to rounding:
 *  - W (the probability that a pixel is foreground) starts as the mean of the raters' masks;
 *  - the prior g = mean(W₀) × confidenceWeight (one global prior, fixed);
 *  - each iteration: M-step p_j = Σ_i D_ij W_i / Σ_i W_i, q_j = Σ_i (1 − D_ij)(1 − W_i) / Σ_i (1 − W_i),
 *    then E-step W_i = g a_i / (g a_i + (1 − g) b_i), a_i = Π_j p_j^D_ij (1 − p_j)^(1 − D_ij),
 *    b_i = Π_j q_j^(1 − D_ij) (1 − q_j)^D_ij;
 *  - stops after the first iteration (from the second on) where every (Δp_j)² and (Δq_j)² ≤ 1e-14.
 * Specificity depends on how much background the grid holds (as in ITK): callers choose the grid.
 */
import type { LesionCluster } from './match.ts';
import { type Grid, gridAround, rasterise } from './rasterise.ts';

export interface StapleOptions {
  maxIterations?: number;
  /** ITK's ConfidenceWeight, scaling the prior. */
  confidenceWeight?: number;
  /** Threshold on W for the consensus mask (W ≥ threshold; ITK's examples use 0.5). */
  threshold?: number;
}

export interface StapleResult {
  /** W per pixel. */
  probability: Float64Array;
  consensus: Uint8Array;
  /** Per rater, null when undefined (no foreground / no background in W). */
  sensitivity: (number | null)[];
  specificity: (number | null)[];
  prior: number;
  /** As ITK's GetElapsedIterations(): the 0-based index of the last iteration run. */
  iterations: number;
  converged: boolean;
}

export function staple(masks: readonly Uint8Array[], opts: StapleOptions = {}): StapleResult {
  const R = masks.length;
  if (R === 0) throw new RangeError('STAPLE needs at least one mask');
  const N = masks[0].length;
  for (const m of masks) if (m.length !== N) throw new RangeError('every mask must have the same size');
  const maxIt = opts.maxIterations ?? 10_000;
  const W = new Float64Array(N);
  for (const m of masks) for (let i = 0; i < N; i++) if (m[i]) W[i] += 1;
  let g = 0;
  for (let i = 0; i < N; i++) {
    W[i] /= R;
    g += W[i];
  }
  g = N > 0 ? (g / N) * (opts.confidenceWeight ?? 1) : 0;
  const p = new Float64Array(R);
  const q = new Float64Array(R);
  const lastP = new Float64Array(R).fill(-10);
  const lastQ = new Float64Array(R).fill(-10);
  let iter = 0;
  let converged = false;
  const alpha = new Float64Array(N);
  const beta = new Float64Array(N);
  for (iter = 0; iter < maxIt; iter++) {
    let sumW = 0;
    for (let i = 0; i < N; i++) sumW += W[i];
    let sumNotW = 0;
    for (let i = 0; i < N; i++) sumNotW += 1 - W[i];
    for (let j = 0; j < R; j++) {
      const m = masks[j];
      let pn = 0;
      let qn = 0;
      for (let i = 0; i < N; i++) {
        if (m[i]) pn += W[i];
        else qn += 1 - W[i];
      }
      p[j] = pn / sumW;
      q[j] = qn / sumNotW;
    }
    alpha.fill(1);
    beta.fill(1);
    for (let j = 0; j < R; j++) {
      const m = masks[j];
      const pj = p[j];
      const qj = q[j];
      for (let i = 0; i < N; i++) {
        if (m[i]) {
          alpha[i] *= pj;
          beta[i] *= 1 - qj;
        } else {
          alpha[i] *= 1 - pj;
          beta[i] *= qj;
        }
      }
    }
    for (let i = 0; i < N; i++) W[i] = (g * alpha[i]) / (g * alpha[i] + (1 - g) * beta[i]);
    let done = iter !== 0;
    for (let j = 0; j < R && done; j++) if ((p[j] - lastP[j]) ** 2 > 1e-14 || (q[j] - lastQ[j]) ** 2 > 1e-14) done = false;
    lastP.set(p);
    lastQ.set(q);
    if (done) {
      converged = true;
      break;
    }
  }
  const threshold = opts.threshold ?? 0.5;
  const consensus = new Uint8Array(N);
  for (let i = 0; i < N; i++) consensus[i] = W[i] >= threshold ? 1 : 0;
  const fin = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    probability: W,
    consensus,
    sensitivity: Array.from(p, fin),
    specificity: Array.from(q, fin),
    prior: g,
    iterations: Math.min(iter, maxIt),
    converged,
  };
}

export interface LesionStaple extends StapleResult {
  grid: Grid;
  /** Reader of each mask, in the order of sensitivity / specificity. */
  readers: string[];
  /** Pixels in the consensus mask. */
  consensusPixels: number;
}

/**
 * STAPLE for the outlines of one lesion (matchLesions cluster): each reader's outline rasterised on
 * the grid around all outlines widened by `margin` pixels (default 10; the background it adds is
 * what specificity is measured on), points ignored. Needs ≥ 2 outlines.
 */
export function stapleLesion(lesion: Pick<LesionCluster, 'marks'>, opts: StapleOptions & { margin?: number } = {}): LesionStaple {
  const outlines = lesion.marks.filter((x) => x.mark.kind !== 'point');
  if (outlines.length < 2) throw new RangeError('STAPLE needs at least two outlines of the lesion');
  const grid = gridAround(
    outlines.map((x) => x.mark),
    opts.margin ?? 10,
  );
  const r = staple(
    outlines.map((x) => rasterise(x.mark, grid)),
    opts,
  );
  return { ...r, grid, readers: outlines.map((x) => x.readerKey), consensusPixels: r.consensus.reduce((s, v) => s + v, 0) };
}
