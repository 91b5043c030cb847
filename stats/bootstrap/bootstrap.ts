/**
 * Seeded nonparametric bootstrap confidence intervals for any statistic of a case subset.
 *
 * The statistic gets the resampled case indices (with repeats) and, when readers are resampled
 * too, the resampled reader indices (with repeats); it must treat a repeated index as a separate
 * copy. Resampling units:
 *  - cases (default): n cases drawn with replacement;
 *  - clusters: when `clusters[i]` gives the patient of case i, G patients are drawn with
 *    replacement and all their cases come along (the cluster bootstrap, Davison & Hinkley 1997 §3.8);
 *  - readers too (`readers: R`): each replicate also draws R readers with replacement
 *    (two-way bootstrap of cases × readers).
 *
 * Intervals follow Davison & Hinkley (1997) as R's boot::boot.ci computes them:
 *  - percentile: the (B+1)α-th order statistics, interpolated on the normal scale when (B+1)α is
 *    not an integer (boot:::norm.inter);
 *  - BCa: bias correction z0 = Φ⁻¹(#{θ* < θ̂}/B) and acceleration a = Σ L³ / (6 (Σ L²)^{3/2})
 *    from jackknife influence values L (leave one case out, or one cluster out when clustered;
 *    the reader dimension is not jackknifed), then percentile at Φ(z0 + (z0 + z_α)/(1 − a(z0 + z_α))).
 * Replicates where the statistic is not finite are dropped and counted (as boot.ci does).
 */
import { pnorm, qnorm } from '../distributions.ts';
import { xoshiro128ss } from './prng.ts';

export type Statistic = (cases: Int32Array, readers: Int32Array | null) => number;

export interface BootstrapOptions {
  replicates: number;
  seed: number;
  level?: number;
  /** Cluster (patient) id of each case; resample clusters. */
  clusters?: ArrayLike<number> | null;
  /** Number of readers, to resample readers too. */
  readers?: number | null;
  /** Skip the jackknife (no BCa). */
  bca?: boolean;
}

export interface BootstrapResult {
  estimate: number;
  replicates: Float64Array;
  /** Replicates with a non-finite statistic (dropped). */
  failed: number;
  se: number;
  bias: number;
  percentile: [number, number];
  bca: [number, number] | null;
  z0: number | null;
  acceleration: number | null;
  /** Jackknife influence values (per case or cluster), when computed. */
  influence: Float64Array | null;
  level: number;
  unit: 'cases' | 'clusters';
  resampledReaders: boolean;
  seed: number;
  B: number;
}

/** Groups cases by cluster id: returns the case lists of each cluster in first-seen order. */
function groupClusters(clusters: ArrayLike<number>, n: number): Int32Array[] {
  const map = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const g = clusters[i];
    let l = map.get(g);
    if (!l) map.set(g, (l = []));
    l.push(i);
  }
  return Array.from(map.values(), (l) => Int32Array.from(l));
}

export function bootstrap(nCases: number, stat: Statistic, opts: BootstrapOptions): BootstrapResult {
  return bootstrapMany(nCases, (idx, rd) => [stat(idx, rd)], opts)[0];
}

/** A vector-valued statistic: several statistics of the same resample (e.g. a whole report). */
export type MultiStatistic = (cases: Int32Array, readers: Int32Array | null) => ArrayLike<number>;

/**
 * Bootstraps several statistics on the same resamples. The length of the vector is fixed by the
 * full-sample call; a replicate that returns a shorter vector gives NaN for the missing ones.
 * `jackknifeMaxUnits` (default 5000): above that many cases/clusters BCa is skipped (the
 * jackknife would need one evaluation per unit).
 */
export function bootstrapMany(nCases: number, stat: MultiStatistic, opts: BootstrapOptions & { jackknifeMaxUnits?: number }): BootstrapResult[] {
  const B = opts.replicates;
  const level = opts.level ?? 0.95;
  if (!(Number.isInteger(B) && B >= 1)) throw new RangeError(`replicates must be a positive integer (got ${B})`);
  if (nCases < 2) throw new RangeError('bootstrap needs at least 2 cases');
  const rng = xoshiro128ss(opts.seed);
  const R = opts.readers ?? null;
  const all = Int32Array.from({ length: nCases }, (_, i) => i);
  const allReaders = R ? Int32Array.from({ length: R }, (_, i) => i) : null;
  const est = Float64Array.from(stat(all, allReaders));
  const S = est.length;
  const groups = opts.clusters ? groupClusters(opts.clusters, nCases) : null;
  const G = groups ? groups.length : nCases;

  const reps = Array.from({ length: S }, () => new Float64Array(B));
  let scratch = new Int32Array(nCases * 2);
  const readerBuf = R ? new Int32Array(R) : null;
  for (let b = 0; b < B; b++) {
    let idx: Int32Array;
    if (groups) {
      let m = 0;
      for (let g = 0; g < G; g++) {
        const grp = groups[rng.int(G)];
        if (m + grp.length > scratch.length) {
          const bigger = new Int32Array(Math.max(scratch.length * 2, m + grp.length));
          bigger.set(scratch.subarray(0, m));
          scratch = bigger;
        }
        scratch.set(grp, m);
        m += grp.length;
      }
      idx = scratch.slice(0, m);
    } else {
      idx = new Int32Array(nCases);
      for (let i = 0; i < nCases; i++) idx[i] = rng.int(nCases);
    }
    let rd: Int32Array | null = null;
    if (readerBuf && R) {
      for (let r = 0; r < R; r++) readerBuf[r] = rng.int(R);
      rd = readerBuf.slice();
    }
    const v = stat(idx, rd);
    for (let s = 0; s < S; s++) reps[s][b] = s < v.length ? v[s] : NaN;
  }

  // Jackknife: leave one unit (case or cluster) out; the reader dimension is not jackknifed.
  const units = groups ?? null;
  const nUnits = groups ? groups.length : nCases;
  let jack: Float64Array[] | null = null;
  if (opts.bca !== false && nUnits <= (opts.jackknifeMaxUnits ?? 5000)) {
    jack = Array.from({ length: S }, () => new Float64Array(nUnits));
    const drop = new Uint8Array(nCases);
    for (let u = 0; u < nUnits; u++) {
      const unit = units ? units[u] : Int32Array.of(u);
      for (const i of unit) drop[i] = 1;
      const keep = all.filter((i) => !drop[i]);
      const v = stat(keep, allReaders);
      for (let s = 0; s < S; s++) jack[s][u] = s < v.length ? v[s] : NaN;
      for (const i of unit) drop[i] = 0;
    }
  }
  const alpha = [(1 - level) / 2, (1 + level) / 2];
  return Array.from({ length: S }, (_, s) =>
    summarise(est[s], reps[s], jack ? jack[s] : null, alpha, level, {
      unit: groups ? 'clusters' : 'cases',
      resampledReaders: !!R,
      seed: opts.seed,
      B,
    }),
  );
}

function summarise(
  estimate: number,
  reps: Float64Array,
  jack: Float64Array | null,
  alpha: number[],
  level: number,
  meta: Pick<BootstrapResult, 'unit' | 'resampledReaders' | 'seed' | 'B'>,
): BootstrapResult {
  const finite = reps.filter(Number.isFinite);
  const failed = reps.length - finite.length;
  const sorted = finite.slice().sort();
  const percentile = normInter(sorted, alpha) as [number, number];
  let mean = 0;
  for (const v of finite) mean += v;
  mean /= finite.length;
  let ss = 0;
  for (const v of finite) ss += (v - mean) ** 2;
  const se = Math.sqrt(ss / (finite.length - 1));
  let bca: [number, number] | null = null;
  let z0: number | null = null;
  let acc: number | null = null;
  let influence: Float64Array | null = null;
  if (jack && finite.length > 0 && Number.isFinite(estimate) && jack.every(Number.isFinite)) {
    const n = jack.length;
    let jm = 0;
    for (const v of jack) jm += v;
    jm /= n;
    influence = jack.map((v) => (n - 1) * (jm - v));
    let s2 = 0;
    let s3 = 0;
    for (const l of influence) {
      s2 += l * l;
      s3 += l * l * l;
    }
    acc = s3 / (6 * Math.pow(s2, 1.5));
    let below = 0;
    for (const v of finite) if (v < estimate) below++;
    z0 = qnorm(below / finite.length);
    if (Number.isFinite(z0) && Number.isFinite(acc)) {
      const zz = z0;
      const aa = acc;
      const adj = alpha.map((a) => {
        const za = qnorm(a);
        return pnorm(zz + (zz + za) / (1 - aa * (zz + za)));
      });
      bca = normInter(sorted, adj) as [number, number];
    }
  }
  return { estimate, replicates: reps, failed, se, bias: mean - estimate, percentile, bca, z0, acceleration: acc, influence, level, ...meta };
}

/**
 * Order-statistic quantiles of sorted replicates at probabilities `alpha`, as boot:::norm.inter:
 * the (R+1)α-th order statistic, interpolated on the normal-quantile scale between neighbours,
 * clamped to the extremes.
 */
export function normInter(sorted: Float64Array, alpha: number[]): number[] {
  const R = sorted.length;
  return alpha.map((a) => {
    if (R === 0 || !Number.isFinite(a)) return NaN;
    const rk = (R + 1) * a;
    const k = Math.trunc(rk);
    if (k === rk && k >= 1 && k <= R) return sorted[k - 1];
    if (k <= 0) return sorted[0];
    if (k >= R) return sorted[R - 1];
    const t1 = qnorm(a);
    const t2 = qnorm(k / (R + 1));
    const t3 = qnorm((k + 1) / (R + 1));
    const tk = sorted[k - 1];
    const tk1 = sorted[k];
    return tk + ((t1 - t2) / (t3 - t2)) * (tk1 - tk);
  });
}
