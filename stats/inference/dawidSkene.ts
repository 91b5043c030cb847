/**
 * Dawid & Skene (1979) maximum-likelihood truth inference by EM, and its one-coin variant.
 *
 * Model: each case i has a latent true class z_i ~ Categorical(π); reader r, given true class k,
 * answers l with probability θ_r[k][l] (full confusion matrix), independently across readers and
 * across repeated ratings of the same case by the same reader (every rating counts, as in the
 * paper, where observer 1 rated every patient three times). One-coin: θ_r[k][k] = s_r and
 * θ_r[k][l] = (1 − s_r)/(K − 1) for l ≠ k.
 *
 * EM, as in the paper:
 *  - start: T_ik = share of case i's ratings that say k (the soft majority vote);
 *  - M-step: π_k = mean_i T_ik; θ_r[k][l] ∝ Σ_{ratings of r saying l on case i} T_ik
 *    (one-coin: s_r = mean over r's ratings of T_{i, said});
 *  - E-step: T_ik ∝ π_k Π_ratings θ_r[k][l], computed in logs with the max subtracted;
 *  - repeat until the log-likelihood changes by less than `tol` or `maxIter` M-steps were made.
 * The reported posterior and log-likelihood are those of the final parameters (one last E-step).
 * `iterations` counts the E/M rounds after the initial M-step (crowd-kit's `n_iter` counts the
 * same rounds).
 *
 * `floor` (default 0) mimics crowd-kit's guard against log(0): confusion counts of the
 * (reader, answer) pairs that occur are raised to at least `floor` before normalising, and class
 * priors to at least `floor` (one-coin: θ clipped to [floor, 1 − floor]). crowd-kit uses 1e-10.
 *
 * Hot loops use typed arrays: ratings sorted by case (CSR), θ stored answer-major θ[r][l][k] so
 * the inner loop over k is contiguous; the E-step multiplies probabilities (rescaling before
 * underflow) instead of adding logs, which avoids an exp per class and case.
 */

export interface DsInput {
  nCases: number;
  nReaders: number;
  nClasses: number;
  /** Ratings of case i are j ∈ [caseStart[i], caseStart[i+1]). Length nCases + 1. */
  caseStart: Int32Array;
  /** Reader index of each rating (0..nReaders−1). */
  reader: Int32Array;
  /** Given class of each rating (0..nClasses−1). */
  label: Int32Array;
}

export interface DsOptions {
  /** 'full' = Dawid–Skene confusion matrices; 'one-coin' = one accuracy per reader. */
  model?: 'full' | 'one-coin';
  /** Stop when |ΔlogL| < tol between successive rounds. Default 1e-8. 0 = run to maxIter. */
  tol?: number;
  /** Maximum number of E/M rounds. Default 1000. */
  maxIter?: number;
  /** See module comment. Default 0. */
  floor?: number;
}

export interface DsResult {
  model: 'full' | 'one-coin';
  nClasses: number;
  /** π_k. */
  classPrior: Float64Array;
  /** θ[r][k][l] = P(reader r says l | true k), flat: (r·K + k)·K + l. */
  confusion: Float64Array;
  /** One-coin accuracy s_r per reader (one-coin only). */
  skill: Float64Array | null;
  /** Posterior P(z_i = k | data) at the final parameters, flat i·K + k. */
  posterior: Float64Array;
  /** Log-likelihood Σ_i log Σ_k π_k Π θ at the final parameters (natural log). */
  logLikelihood: number;
  /** Log-likelihood after each round (of the parameters entering that round's E-step). */
  logLikelihoodTrace: number[];
  iterations: number;
  converged: boolean;
  tol: number;
  maxIter: number;
}

function validate(d: DsInput): void {
  const { nCases, nReaders, nClasses, caseStart, reader, label } = d;
  if (nClasses < 2) throw new RangeError(`Dawid–Skene needs at least 2 classes (got ${nClasses})`);
  if (caseStart.length !== nCases + 1) throw new RangeError('caseStart must have nCases + 1 entries');
  const n = caseStart[nCases];
  if (reader.length < n || label.length < n) throw new RangeError('reader/label shorter than caseStart says');
  for (let j = 0; j < n; j++) {
    if (reader[j] < 0 || reader[j] >= nReaders) throw new RangeError(`rating ${j}: reader ${reader[j]} out of range`);
    if (label[j] < 0 || label[j] >= nClasses) throw new RangeError(`rating ${j}: class ${label[j]} out of range`);
  }
}

const TINY = 1e-200;

/**
 * One EM round, fused: the E-step of each case (in linear space: w_k = π_k Π θ, rescaled before
 * it can underflow) is added to the M-step sums at once, so the ratings are read once per round.
 * With `out`, the posterior is stored and nothing is accumulated. Returns the log-likelihood of
 * the parameters used. Works on distinct rating patterns, each standing for `mult[i]` cases
 * with the same ratings. A plain function (no closure) so that V8 keeps the hot loop tight.
 */
function emRound(
  nCases: number,
  K: number,
  caseStart: Int32Array,
  cell: Int32Array,
  mult: Float64Array,
  reader: Int32Array,
  label: Int32Array,
  prior: Float64Array,
  thetaT: Float64Array,
  w: Float64Array,
  out: Float64Array | null,
  priorSum: Float64Array,
  counts: Float64Array | null,
  skillSum: Float64Array | null,
): number {
  let ll = 0;
  for (let i = 0; i < nCases; i++) {
    const a = caseStart[i];
    const b = caseStart[i + 1];
    for (let k = 0; k < K; k++) w[k] = prior[k];
    let logScale = 0;
    for (let j = a; j < b; j++) {
      const base = cell[j];
      let m = 0;
      for (let k = 0; k < K; k++) {
        const v = w[k] * thetaT[base + k];
        w[k] = v;
        m = v > m ? v : m;
      }
      if (m < TINY && m > 0) {
        const inv = 1 / m;
        for (let k = 0; k < K; k++) w[k] *= inv;
        logScale += Math.log(m);
      }
    }
    let s = 0;
    for (let k = 0; k < K; k++) s += w[k];
    const inv = 1 / s;
    for (let k = 0; k < K; k++) w[k] *= inv;
    if (out !== null) {
      const ti = i * K;
      for (let k = 0; k < K; k++) out[ti + k] = w[k];
    }
    if (b === a) continue; // no ratings: posterior = prior, contributes nothing
    const c = mult[i];
    ll += c * (Math.log(s) + logScale);
    if (out !== null) continue;
    for (let k = 0; k < K; k++) w[k] *= c;
    for (let k = 0; k < K; k++) priorSum[k] += w[k];
    if (counts !== null) {
      for (let j = a; j < b; j++) {
        const base = cell[j];
        for (let k = 0; k < K; k++) counts[base + k] += w[k];
      }
    } else if (skillSum !== null) {
      for (let j = a; j < b; j++) skillSum[reader[j]] += w[label[j]];
    }
  }
  return ll;
}

interface Patterns {
  /** Distinct rating patterns. */
  n: number;
  start: Int32Array;
  /** θ-column offset (reader·K + answer)·K of each rating of each pattern (sorted). */
  cell: Int32Array;
  reader: Int32Array;
  label: Int32Array;
  /** Cases per pattern. */
  mult: Float64Array;
  /** Pattern of each case. */
  ofCase: Int32Array;
}

/**
 * Cases with the same multiset of (reader, answer) have the same posterior: EM runs once per
 * distinct pattern, weighted by its number of cases (exact; 100,000 cases × 5 readers × 5
 * classes have at most 5⁵ patterns).
 */
function ratingPatterns(d: DsInput): Patterns {
  const { nCases, nClasses: K, caseStart, reader, label } = d;
  const nRatings = caseStart[nCases];
  const ofCase = new Int32Array(nCases);
  // Sorted θ-column offsets of each case, in place (insertion sort: cases have few ratings).
  const sorted = new Int32Array(nRatings);
  for (let j = 0; j < nRatings; j++) sorted[j] = (reader[j] * K + label[j]) * K;
  const byHash = new Map<number, number[]>(); // hash → pattern ids (collisions compared in full)
  const patFirstCase: number[] = [];
  const mults: number[] = [];
  let cellsTotal = 0;
  for (let i = 0; i < nCases; i++) {
    const a = caseStart[i];
    const b = caseStart[i + 1];
    for (let j = a + 1; j < b; j++) {
      const x = sorted[j];
      let q = j - 1;
      while (q >= a && sorted[q] > x) {
        sorted[q + 1] = sorted[q];
        q--;
      }
      sorted[q + 1] = x;
    }
    let h = (b - a) * 0x9e3779b1;
    for (let j = a; j < b; j++) h = Math.imul(h ^ sorted[j], 0x85ebca6b) + 0x27d4eb2f;
    h >>>= 0;
    let list = byHash.get(h);
    let p = -1;
    if (list) {
      for (const cand of list) {
        const c = patFirstCase[cand];
        const ca = caseStart[c];
        if (caseStart[c + 1] - ca !== b - a) continue;
        let same = true;
        for (let j = 0; j < b - a; j++) {
          if (sorted[ca + j] !== sorted[a + j]) {
            same = false;
            break;
          }
        }
        if (same) {
          p = cand;
          break;
        }
      }
    } else byHash.set(h, (list = []));
    if (p < 0) {
      p = mults.length;
      list.push(p);
      patFirstCase.push(i);
      mults.push(0);
      cellsTotal += b - a;
    }
    mults[p]++;
    ofCase[i] = p;
  }
  const n = mults.length;
  const start = new Int32Array(n + 1);
  const cell = new Int32Array(cellsTotal);
  let w = 0;
  for (let p = 0; p < n; p++) {
    start[p] = w;
    const c = patFirstCase[p];
    for (let j = caseStart[c]; j < caseStart[c + 1]; j++) cell[w++] = sorted[j];
  }
  start[n] = w;
  return {
    n,
    start,
    cell,
    reader: Int32Array.from(cell, (c) => Math.floor(c / (K * K))),
    label: Int32Array.from(cell, (c) => (c / K) % K),
    mult: Float64Array.from(mults),
    ofCase,
  };
}

/** Soft majority vote: T_ik = share of case i's ratings saying k (cases without ratings: all 0). */
export function softMajority(d: DsInput): Float64Array {
  const { nCases, nClasses: K, caseStart, label } = d;
  const T = new Float64Array(nCases * K);
  for (let i = 0; i < nCases; i++) {
    const a = caseStart[i];
    const b = caseStart[i + 1];
    if (b === a) continue;
    for (let j = a; j < b; j++) T[i * K + label[j]] += 1;
    const inv = 1 / (b - a);
    for (let k = 0; k < K; k++) T[i * K + k] *= inv;
  }
  return T;
}

export function dawidSkene(d: DsInput, opts: DsOptions = {}): DsResult {
  validate(d);
  const model = opts.model ?? 'full';
  const tol = opts.tol ?? 1e-8;
  const maxIter = opts.maxIter ?? 1000;
  const floor = opts.floor ?? 0;
  const { nCases, nReaders: R, nClasses: K, caseStart, reader, label } = d;
  const nRatings = caseStart[nCases];

  let rated = 0;
  for (let i = 0; i < nCases; i++) if (caseStart[i + 1] > caseStart[i]) rated++;
  if (rated === 0) throw new RangeError('Dawid–Skene needs at least one rating');

  // Which (reader, answer) pairs occur; ratings per reader.
  const seen = new Uint8Array(R * K);
  const perReader = new Float64Array(R);
  for (let j = 0; j < nRatings; j++) {
    seen[reader[j] * K + label[j]] = 1;
    perReader[reader[j]] += 1;
  }

  const T = softMajority(d);
  const prior = new Float64Array(K);
  const theta = new Float64Array(R * K * K); // (r·K + k)·K + l
  const counts = new Float64Array(R * K * K); // (r·K + l)·K + k   (answer-major, for the hot loop)
  const skill = model === 'one-coin' ? new Float64Array(R) : null;

  const priorSum = new Float64Array(K);
  const skillSum = new Float64Array(R);

  /** Adds case i's class probabilities t[0..K) (at offset o) to the M-step sums. */
  // (inlined below in the hot loop; this version serves the start from the soft majority vote)
  const accumulate = (Tm: Float64Array): void => {
    for (let i = 0; i < nCases; i++) {
      if (caseStart[i + 1] === caseStart[i]) continue;
      const ti = i * K;
      for (let k = 0; k < K; k++) priorSum[k] += Tm[ti + k];
      for (let j = caseStart[i]; j < caseStart[i + 1]; j++) {
        if (skill) skillSum[reader[j]] += Tm[ti + label[j]];
        else {
          const base = (reader[j] * K + label[j]) * K;
          for (let k = 0; k < K; k++) counts[base + k] += Tm[ti + k];
        }
      }
    }
  };

  /** M-step from the sums (then clears them). */
  const normalize = (): void => {
    for (let k = 0; k < K; k++) {
      prior[k] = priorSum[k] / rated;
      if (prior[k] < floor) prior[k] = floor;
    }
    priorSum.fill(0);
    if (skill) {
      for (let r = 0; r < R; r++) {
        const s = perReader[r] > 0 ? skillSum[r] / perReader[r] : NaN;
        skill[r] = s;
        const off = (1 - s) / (K - 1);
        for (let k = 0; k < K; k++) {
          for (let l = 0; l < K; l++) {
            let v = k === l ? s : off;
            if (floor > 0) v = Math.min(Math.max(v, floor), 1 - floor);
            theta[(r * K + k) * K + l] = v;
          }
        }
      }
      skillSum.fill(0);
      return;
    }
    for (let r = 0; r < R; r++) {
      if (floor > 0) {
        for (let l = 0; l < K; l++) {
          if (!seen[r * K + l]) continue;
          const base = (r * K + l) * K;
          for (let k = 0; k < K; k++) if (counts[base + k] < floor) counts[base + k] = floor;
        }
      }
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let l = 0; l < K; l++) s += counts[(r * K + l) * K + k];
        if (s > 0) {
          for (let l = 0; l < K; l++) theta[(r * K + k) * K + l] = counts[(r * K + l) * K + k] / s;
        } else {
          // No posterior mass on k among r's cases: spread evenly over the answers r gave.
          let nSeen = 0;
          for (let l = 0; l < K; l++) nSeen += seen[r * K + l];
          for (let l = 0; l < K; l++) theta[(r * K + k) * K + l] = nSeen ? seen[r * K + l] / nSeen : 1 / K;
        }
      }
    }
    counts.fill(0);
  };

  // One EM round, fused: the E-step of each case (in linear space: w_k = π_k Π θ, rescaled
  // before it can underflow) is added to the M-step sums at once, so the ratings are read once
  // per round. With `out`, the posterior is stored (and nothing accumulated).
  const thetaT = new Float64Array(R * K * K); // (r·K + l)·K + k = θ_r[k][l]
  const w = new Float64Array(K);
  const pat = ratingPatterns(d);
  const round = (out: Float64Array | null): number => {
    for (let r = 0; r < R; r++) {
      for (let k = 0; k < K; k++) {
        for (let l = 0; l < K; l++) thetaT[(r * K + l) * K + k] = theta[(r * K + k) * K + l];
      }
    }
    return emRound(pat.n, K, pat.start, pat.cell, pat.mult, pat.reader, pat.label, prior, thetaT, w, out, priorSum, skill ? null : counts, skill ? skillSum : null);
  };

  accumulate(T);
  normalize();
  const trace: number[] = [];
  let iterations = 0;
  let converged = false;
  for (let it = 1; it <= maxIter; it++) {
    const ll = round(null);
    normalize();
    iterations = it;
    trace.push(ll);
    if (it > 1 && Math.abs(ll - trace[it - 2]) < tol) {
      converged = true;
      break;
    }
  }
  const patT = new Float64Array(pat.n * K);
  const logLikelihood = round(patT);
  const finalT = new Float64Array(nCases * K);
  for (let i = 0; i < nCases; i++) {
    const p = pat.ofCase[i] * K;
    for (let k = 0; k < K; k++) finalT[i * K + k] = patT[p + k];
  }
  return {
    model,
    nClasses: K,
    classPrior: prior.slice(),
    confusion: theta.slice(),
    skill: skill ? skill.slice() : null,
    posterior: finalT,
    logLikelihood,
    logLikelihoodTrace: trace,
    iterations,
    converged,
    tol,
    maxIter,
  };
}

/** The class with the highest posterior per case (ties → lowest class index); −1 for NaN rows. */
export function mapClasses(posterior: Float64Array, K: number): Int32Array {
  const n = posterior.length / K;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bv = -Infinity;
    for (let k = 0; k < K; k++) {
      const v = posterior[i * K + k];
      if (v > bv) {
        bv = v;
        best = k;
      }
    }
    out[i] = best;
  }
  return out;
}
