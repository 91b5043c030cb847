/**
 * Adds the stats II families to a report built by stats I (categoricalAgreement): measurement
 * statistics (by level), accuracy against a reference standard (a truth table, or a reference
 * rebuilt from the readers with leave-one-reader-out), truth inference (majority vote and
 * Dawid–Skene) and bootstrap CIs for every entry.
 */
import { selectCases, type Ratings } from '../ratings.ts';
import type { ParamValue, Report, StatisticEntry } from '../report.ts';
import { measurementEntries } from '../measurement/entries.ts';
import { accuracyEntries } from '../accuracy/entries.ts';
import type { ReferenceBuilder } from '../accuracy/reference.ts';
import { bootstrapEntries } from '../bootstrap/report.ts';
import { resampleReaders } from '../bootstrap/resample-ratings.ts';
import { inferenceObject } from './entries.ts';
import type { VoteOptions } from './majority.ts';
import type { DsOptions } from './dawidSkene.ts';

export interface ExtendOptions {
  level?: number;
  /** Reference class per case (−1 = none), from a truth table. */
  truth?: Int32Array | null;
  /** Reference rebuilt from the readers (leave-one-reader-out), when there is no truth table. */
  truthFrom?: 'majority' | 'dawid-skene' | 'one-coin' | null;
  /** Patient index per case. */
  patient?: Int32Array | null;
  positive?: string | null;
  /** Add inference.majority and inference.dawid_skene. */
  infer?: boolean;
  vote?: VoteOptions;
  dawidSkene?: DsOptions;
  posterior?: boolean;
  bootstrap?: { replicates: number; seed: number; resampleReaders?: boolean; clusterByPatient?: boolean } | null;
}

/**
 * `base(r)` recomputes the stats I report on a Ratings object (it is called again on every
 * bootstrap resample). Returns the extended report.
 */
export function extendReport(r: Ratings, base: (r: Ratings) => Report, opts: ExtendOptions = {}): Report {
  const level = opts.level ?? 0.95;
  const reference = (truth: Int32Array | null | undefined): ReferenceBuilder | null => {
    if (truth) return { kind: 'given', truth };
    if (opts.truthFrom === 'majority') return { kind: 'majority', options: opts.vote };
    if (opts.truthFrom === 'dawid-skene' || opts.truthFrom === 'one-coin') {
      return { kind: 'dawid-skene', options: { ...opts.dawidSkene, model: opts.truthFrom === 'one-coin' ? 'one-coin' : 'full' } };
    }
    return null;
  };

  const compute = (rr: Ratings, truth: Int32Array | null, patient: Int32Array | null): { report: Report; summary: Record<string, ParamValue> | null } => {
    const rep = base(rr);
    const m = measurementEntries(rr, { level });
    const statistics: StatisticEntry[] = [...rep.statistics, ...m.statistics];
    const warnings = [...(rep.warnings ?? []), ...m.warnings];
    let summary: Record<string, ParamValue> | null = null;
    const ref = reference(truth);
    if (ref) {
      const a = accuracyEntries(rr, ref, { level, patient, positive: opts.positive });
      statistics.push(...a.statistics);
      warnings.push(...a.warnings);
      summary = a.summary;
    }
    return { report: { ...rep, statistics, warnings }, summary };
  };

  const full = compute(r, opts.truth ?? null, opts.patient ?? null);
  const report = full.report;
  const inference: Record<string, ParamValue> = { ...(report.inference ?? {}) };
  if (full.summary) inference.reference_standard = full.summary;
  if (opts.infer) Object.assign(inference, inferenceObject(r, { vote: opts.vote, dawidSkene: opts.dawidSkene, posterior: opts.posterior }));

  const b = opts.bootstrap;
  if (b) {
    const clusters = b.clusterByPatient ? (opts.patient ?? null) : null;
    if (b.clusterByPatient && !clusters) throw new RangeError('clustering the bootstrap by patient needs the patient of each case');
    bootstrapEntries(
      report.statistics,
      r.nCases,
      (idx, rd) => {
        const cases = Array.from(idx);
        let rr = selectCases(r, cases);
        if (rd) rr = resampleReaders(rr, rd);
        const truth = opts.truth ? Int32Array.from(cases, (i) => opts.truth![i]) : null;
        const patient = opts.patient ? Int32Array.from(cases, (i) => opts.patient![i]) : null;
        return compute(rr, truth, patient).report.statistics;
      },
      { replicates: b.replicates, seed: b.seed, level, clusters, readers: b.resampleReaders ? r.nReaders : null },
    );
    inference.bootstrap = {
      replicates: b.replicates,
      seed: b.seed,
      unit: clusters ? 'clusters' : 'cases',
      readers_resampled: !!b.resampleReaders,
      prng: 'xoshiro128** seeded through splitmix32',
      method:
        'every entry recomputed on each resample; percentile and BCa intervals as R boot.ci (Davison & Hinkley 1997); BCa acceleration from a leave-one-' +
        (clusters ? 'patient' : 'case') +
        '-out jackknife (skipped above 1000 units)' +
        (b.resampleReaders ? '; readers resampled with replacement too (a reader drawn twice counts twice; per-reader and per-pair entries then have no bootstrap values)' : ''),
    };
  }
  if (Object.keys(inference).length) report.inference = inference;
  return report;
}
