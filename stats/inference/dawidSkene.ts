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
 * Hot loops use typed arrays: ratings sorted by case (CSR), θ stored as log θ[r][l][k] so the
 * inner loop over k is contiguous.
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
  const logTheta = new Float64Array(R * K * K); // (r·K + l)·K + k
  const logPrior = new Float64Array(K);
  const skill = model === 'one-coin' ? new Float64Array(R) : null;

  const mStep = (Tm: Float64Array): void => {
    prior.fill(0);
    for (let i = 0; i < nCases; i++) {
      if (caseStart[i + 1] === caseStart[i]) continue;
      for (let k = 0; k < K; k++) prior[k] += Tm[i * K + k];
    }
    for (let k = 0; k < K; k++) {
      prior[k] /= rated;
      if (prior[k] < floor) prior[k] = floor;
    }
    if (skill) {
      skill.fill(0);
      for (let i = 0; i < nCases; i++) {
        for (let j = caseStart[i]; j < caseStart[i + 1]; j++) skill[reader[j]] += Tm[i * K + label[j]];
      }
      for (let r = 0; r < R; r++) {
        const s = perReader[r] > 0 ? skill[r] / perReader[r] : NaN;
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
      return;
    }
    counts.fill(0);
    for (let i = 0; i < nCases; i++) {
      const ti = i * K;
      for (let j = caseStart[i]; j < caseStart[i + 1]; j++) {
        const base = (reader[j] * K + label[j]) * K;
        for (let k = 0; k < K; k++) counts[base + k] += Tm[ti + k];
      }
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
  };

  const lp = new Float64Array(K);
  const eStep = (out: Float64Array): number => {
    for (let k = 0; k < K; k++) logPrior[k] = Math.log(prior[k]);
    for (let r = 0; r < R; r++) {
      for (let k = 0; k < K; k++) {
        for (let l = 0; l < K; l++) logTheta[(r * K + l) * K + k] = Math.log(theta[(r * K + k) * K + l]);
      }
    }
    let ll = 0;
    for (let i = 0; i < nCases; i++) {
      for (let k = 0; k < K; k++) lp[k] = logPrior[k];
      for (let j = caseStart[i]; j < caseStart[i + 1]; j++) {
        const base = (reader[j] * K + label[j]) * K;
        for (let k = 0; k < K; k++) lp[k] += logTheta[base + k];
      }
      let m = -Infinity;
      for (let k = 0; k < K; k++) if (lp[k] > m) m = lp[k];
      let s = 0;
      const ti = i * K;
      for (let k = 0; k < K; k++) {
        const e = Math.exp(lp[k] - m);
        out[ti + k] = e;
        s += e;
      }
      const inv = 1 / s;
      for (let k = 0; k < K; k++) out[ti + k] *= inv;
      // Cases without ratings contribute log Σ π_k = 0 (when the priors sum to 1).
      if (caseStart[i + 1] > caseStart[i]) ll += m + Math.log(s);
    }
    return ll;
  };

  mStep(T);
  const trace: number[] = [];
  let iterations = 0;
  let converged = false;
  const T2 = new Float64Array(nCases * K);
  for (let it = 1; it <= maxIter; it++) {
    const ll = eStep(T2);
    mStep(T2);
    iterations = it;
    trace.push(ll);
    if (it > 1 && Math.abs(ll - trace[it - 2]) < tol) {
      converged = true;
      break;
    }
  }
  const finalT = new Float64Array(nCases * K);
  const logLikelihood = eStep(finalT);
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
