/**
 * Majority / plurality vote per case with an explicit tie policy.
 *
 * rule 'plurality': the most frequent answer wins; 'majority': it must also have more than half
 * of the case's ratings (otherwise the case is unresolved). Every rating counts, repeated
 * ratings by one reader included (as Dawid–Skene's start).
 *
 * Ties between the top answers:
 *  - 'unresolved' (default): the case gets no label (it would go to adjudication);
 *  - 'first' / 'last': the tied answer that comes first / last in the declared category order
 *    (e.g. 'last' on an ordered severity scale = the more severe call);
 *  - 'random': a seeded uniform choice among the tied answers (reproducible from `seed`).
 */
import { xoshiro128ss } from '../bootstrap/prng.ts';
import type { DsInput } from './dawidSkene.ts';

export type TiePolicy = 'unresolved' | 'first' | 'last' | 'random';

export interface VoteOptions {
  rule?: 'plurality' | 'majority';
  ties?: TiePolicy;
  /** Seed for ties = 'random'. */
  seed?: number;
}

export interface VoteResult {
  rule: 'plurality' | 'majority';
  ties: TiePolicy;
  /** Winning class per case, −1 when unresolved (tie under 'unresolved', no majority, no ratings). */
  label: Int32Array;
  /** Why each case is what it is. */
  status: Array<'winner' | 'tie_broken' | 'tie' | 'no_majority' | 'no_ratings'>;
  /** Votes per case and class, flat i·K + k. */
  votes: Int32Array;
  counts: { resolved: number; tie: number; tieBroken: number; noMajority: number; noRatings: number };
}

export function vote(d: Pick<DsInput, 'nCases' | 'nClasses' | 'caseStart' | 'label'>, opts: VoteOptions = {}): VoteResult {
  const rule = opts.rule ?? 'plurality';
  const ties = opts.ties ?? 'unresolved';
  if (ties === 'random' && opts.seed === undefined) throw new RangeError("ties = 'random' needs a seed");
  const rng = ties === 'random' ? xoshiro128ss(opts.seed!) : null;
  const { nCases, nClasses: K, caseStart, label } = d;
  const votes = new Int32Array(nCases * K);
  const out = new Int32Array(nCases).fill(-1);
  const status: VoteResult['status'] = new Array(nCases);
  const counts = { resolved: 0, tie: 0, tieBroken: 0, noMajority: 0, noRatings: 0 };
  const tied: number[] = [];
  for (let i = 0; i < nCases; i++) {
    const a = caseStart[i];
    const b = caseStart[i + 1];
    if (a === b) {
      status[i] = 'no_ratings';
      counts.noRatings++;
      continue;
    }
    for (let j = a; j < b; j++) votes[i * K + label[j]]++;
    let top = -1;
    for (let k = 0; k < K; k++) if (votes[i * K + k] > top) top = votes[i * K + k];
    tied.length = 0;
    for (let k = 0; k < K; k++) if (votes[i * K + k] === top) tied.push(k);
    if (rule === 'majority' && 2 * top <= b - a) {
      status[i] = 'no_majority';
      counts.noMajority++;
      continue;
    }
    if (tied.length === 1) {
      out[i] = tied[0];
      status[i] = 'winner';
      counts.resolved++;
      continue;
    }
    if (ties === 'unresolved') {
      status[i] = 'tie';
      counts.tie++;
      continue;
    }
    out[i] = ties === 'first' ? tied[0] : ties === 'last' ? tied[tied.length - 1] : tied[rng!.int(tied.length)];
    status[i] = 'tie_broken';
    counts.tieBroken++;
    counts.resolved++;
  }
  return { rule, ties, label: out, status, votes, counts };
}
