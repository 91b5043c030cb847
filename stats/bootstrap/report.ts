/**
 * Bootstrap CIs for every entry of a report: the whole report is recomputed on each resample
 * (cases, optionally readers, optionally clustered by patient) and each entry gets a
 * `bootstrap` object with percentile and BCa intervals. Entries are matched across resamples by
 * id and their non-numeric parameters (numbers such as counts vary between resamples).
 * Entries that do not exist in a resample (e.g. a rater pair when readers are resampled) get
 * NaN there and are counted as failed replicates.
 */
import type { BootstrapInterval, StatisticEntry } from '../report.ts';
import { bootstrapMany, type BootstrapOptions, type BootstrapResult } from './bootstrap.ts';

export function entryKey(e: StatisticEntry): string {
  const p: Record<string, unknown> = {};
  for (const k of Object.keys(e.parameters).sort()) {
    const v = e.parameters[k];
    if (typeof v === 'number' || v === null) continue;
    if (Array.isArray(v) && v.some((x) => typeof x === 'number')) continue;
    p[k] = v;
  }
  return `${e.id}|${JSON.stringify(p)}`;
}

function keys(entries: StatisticEntry[]): string[] {
  const seen = new Map<string, number>();
  return entries.map((e) => {
    const k = entryKey(e);
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    return n ? `${k}#${n}` : k;
  });
}

export function toInterval(b: BootstrapResult): BootstrapInterval {
  const f = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  return {
    level: b.level,
    replicates: b.B,
    failed: b.failed,
    seed: b.seed,
    unit: b.unit,
    readers_resampled: b.resampledReaders,
    se: f(b.se),
    bias: f(b.bias),
    percentile: { lower: f(b.percentile[0]), upper: f(b.percentile[1]) },
    bca: b.bca ? { lower: f(b.bca[0]), upper: f(b.bca[1]) } : null,
    method:
      'nonparametric bootstrap (Davison & Hinkley 1997; intervals as R boot.ci): percentile, and BCa with jackknife acceleration' +
      (b.unit === 'clusters' ? ' over patients' : ' over cases'),
  };
}

/**
 * Attaches `bootstrap` to each entry of `entries` (the full-sample report). `compute(cases,
 * readers)` recomputes the entries on a resample (case indices with repeats; reader indices with
 * repeats when readers are resampled).
 */
export function bootstrapEntries(
  entries: StatisticEntry[],
  nCases: number,
  compute: (cases: Int32Array, readers: Int32Array | null) => StatisticEntry[],
  opts: BootstrapOptions & { jackknifeMaxUnits?: number },
): void {
  const full = keys(entries);
  const index = new Map(full.map((k, i) => [k, i]));
  const S = entries.length;
  const res = bootstrapMany(
    nCases,
    (idx, rd) => {
      const out = new Float64Array(S).fill(NaN);
      const es = compute(idx, rd);
      const ks = keys(es);
      for (let j = 0; j < es.length; j++) {
        const i = index.get(ks[j]);
        if (i !== undefined && es[j].value !== null) out[i] = es[j].value!;
      }
      return out;
    },
    // The jackknife recomputes the whole report once per unit: keep BCa to modest sizes.
    { ...opts, jackknifeMaxUnits: opts.jackknifeMaxUnits ?? 1000 },
  );
  res.forEach((b, i) => {
    if (entries[i].value === null) return;
    // The full-sample value from compute() must be the entry's value; use the entry's own.
    entries[i].bootstrap = toInterval(b);
  });
}
