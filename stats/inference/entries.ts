/**
 * Truth inference on a Ratings object for the JSON document's "inference" object:
 *   { "case_ids": [...], "majority": {...}, "dawid_skene": { class_prior, confusion, posterior, log_likelihood, iterations, ... } }
 * Per-case results (majority.labels, dawid_skene.labels, dawid_skene.posterior) are arrays in the
 * order of inference.case_ids: arrays keep a 100,000-case document small and quick to write.
 * Readers are the readers (not reader×occasion raters): a reader's repeated ratings of a case
 * all count, as in Dawid & Skene (1979).
 */
import type { Ratings } from '../ratings.ts';
import type { ParamValue } from '../report.ts';
import { dawidSkene, mapClasses, type DsInput, type DsOptions, type DsResult } from './dawidSkene.ts';
import { vote, type VoteOptions, type VoteResult } from './majority.ts';

/** Ratings → Dawid–Skene input with readers (raterReader) as the annotators. */
export function dsInputFromRatings(r: Ratings): DsInput {
  const reader = new Int32Array(r.nRatings);
  for (let k = 0; k < r.nRatings; k++) reader[k] = r.raterReader[r.raterIndex[k]];
  return { nCases: r.nCases, nReaders: r.nReaders, nClasses: r.nCategories, caseStart: r.caseStart, reader, label: r.code };
}

const round = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function majorityJson(r: Ratings, v: VoteResult): Record<string, ParamValue> {
  const labels: ParamValue[] = new Array(r.nCases);
  for (let i = 0; i < r.nCases; i++) labels[i] = v.label[i] >= 0 ? r.categories[v.label[i]] : null;
  return {
    rule: v.rule,
    tie_policy: v.ties,
    method: v.rule === 'plurality' ? `most frequent answer per case (every rating counts); ties: ${v.ties}` : `answer given by more than half of a case's ratings; ties: ${v.ties}`,
    counts: { resolved: v.counts.resolved, ties_unresolved: v.counts.tie, ties_broken: v.counts.tieBroken, no_majority: v.counts.noMajority, no_ratings: v.counts.noRatings },
    labels,
  };
}

export function dawidSkeneJson(r: Ratings, res: DsResult, opts: { posterior?: boolean } = {}): Record<string, ParamValue> {
  const K = res.nClasses;
  const cats = r.categories;
  const classPrior: Record<string, ParamValue> = {};
  cats.forEach((c, k) => (classPrior[c] = round(res.classPrior[k])));
  const confusion: Record<string, ParamValue> = {};
  for (let rd = 0; rd < r.nReaders; rd++) {
    const byTrue: Record<string, ParamValue> = {};
    for (let k = 0; k < K; k++) {
      const byGiven: Record<string, ParamValue> = {};
      for (let l = 0; l < K; l++) byGiven[cats[l]] = round(res.confusion[(rd * K + k) * K + l]);
      byTrue[cats[k]] = byGiven;
    }
    confusion[r.readerIds[rd]] = byTrue;
  }
  const out: Record<string, ParamValue> = {
    model: res.model === 'full' ? 'Dawid & Skene (1979): a full confusion matrix per reader' : 'one-coin Dawid–Skene: one accuracy per reader, errors spread evenly',
    method: 'EM from the soft majority vote (each case’s label proportions, repeated ratings counted); posterior at the final estimates',
    class_prior: classPrior,
    confusion,
    log_likelihood: round(res.logLikelihood),
    iterations: res.iterations,
    converged: res.converged,
    tolerance: res.tol,
    max_iterations: res.maxIter,
  };
  if (res.skill) {
    const skill: Record<string, ParamValue> = {};
    for (let rd = 0; rd < r.nReaders; rd++) skill[r.readerIds[rd]] = round(res.skill[rd]);
    out.accuracy = skill;
  }
  const map = mapClasses(res.posterior, K);
  const labels: ParamValue[] = new Array(r.nCases);
  const posterior: ParamValue[] = opts.posterior !== false ? new Array(r.nCases) : [];
  for (let i = 0; i < r.nCases; i++) {
    labels[i] = map[i] >= 0 ? cats[map[i]] : null;
    if (opts.posterior !== false) {
      const p: ParamValue[] = new Array(K);
      for (let k = 0; k < K; k++) p[k] = round(res.posterior[i * K + k]);
      posterior[i] = p;
    }
  }
  if (opts.posterior !== false) {
    // Per case, P(true class | ratings) in the order of posterior_categories (arrays keep a
    // 100,000-case document compact).
    out.posterior_categories = cats.slice();
    out.posterior = posterior;
  }
  out.labels = labels;
  return out;
}

export interface InferenceOptions {
  vote?: VoteOptions;
  dawidSkene?: DsOptions;
  /** Include the per-case posterior (default true). */
  posterior?: boolean;
}

export function inferenceObject(r: Ratings, opts: InferenceOptions = {}): Record<string, ParamValue> {
  const d = dsInputFromRatings(r);
  const v = vote(d, opts.vote);
  const res = dawidSkene(d, opts.dawidSkene);
  return { case_ids: r.caseIds.slice(), majority: majorityJson(r, v), dawid_skene: dawidSkeneJson(r, res, { posterior: opts.posterior }) };
}
