/**
 * Bootstrap scenarios shared by the test and by the fixture generator
 * (stats/fixtures/scripts/stats2-bootstrap-replicates.ts), so that R's boot.ci can be asked for
 * the intervals of exactly the replicates our seeded resampler draws.
 */
import { xoshiro128ss } from './prng.ts';
import type { BootstrapOptions, Statistic } from './bootstrap.ts';

export interface Scenario {
  name: string;
  nCases: number;
  stat: Statistic;
  opts: BootstrapOptions;
  /** Data, for R's own jackknife where the statistic is simple. */
  data: number[];
  clusters?: number[];
}

function sample(seed: number, n: number, f: (u: () => number) => number): number[] {
  const rng = xoshiro128ss(seed);
  return Array.from({ length: n }, () => f(() => rng.next()));
}

export function scenarios(): Scenario[] {
  // 1. Mean of a skewed (exponential) sample of 30 cases.
  const x = sample(101, 30, (u) => -Math.log(1 - u()));
  const mean: Statistic = (idx) => {
    let s = 0;
    for (const i of idx) s += x[i];
    return s / idx.length;
  };
  // 2. A proportion (sensitivity-like) over 60 cases in 20 patients, patient-clustered.
  const y = sample(202, 60, (u) => (u() < 0.8 ? 1 : 0));
  const patients = Array.from({ length: 60 }, (_, i) => Math.floor(i / 3));
  const prop: Statistic = (idx) => {
    let s = 0;
    for (const i of idx) s += y[i];
    return s / idx.length;
  };
  // 3. Mean over a 25 cases × 4 readers score matrix, resampling cases and readers.
  const m = sample(303, 100, (u) => u() * 10);
  const grand: Statistic = (idx, rd) => {
    let s = 0;
    for (const i of idx) for (const r of rd!) s += m[i * 4 + r];
    return s / (idx.length * rd!.length);
  };
  return [
    { name: 'mean_cases', nCases: 30, stat: mean, data: x, opts: { replicates: 999, seed: 1 } },
    { name: 'mean_cases_2000', nCases: 30, stat: mean, data: x, opts: { replicates: 2000, seed: 7, level: 0.9 } },
    { name: 'proportion_clustered', nCases: 60, stat: prop, data: y, clusters: patients, opts: { replicates: 1999, seed: 2, clusters: patients } },
    { name: 'grand_mean_cases_readers', nCases: 25, stat: grand, data: m, opts: { replicates: 999, seed: 3, readers: 4 } },
  ];
}
