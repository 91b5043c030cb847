/**
 * Scoring readers against a reference standard, with κ, and leave-one-reader-out when the
 * reference is built from the readers themselves (incorporation bias, DESIGN.md): reader r is
 * scored against the reference rebuilt from the other readers' ratings only.
 */
import { cohenKappaTable } from '../categorical/cohen.ts';
import { weightMatrix, type WeightSpec } from '../categorical/weights.ts';
import type { KappaResult } from '../categorical/cohen.ts';
import { dawidSkene, mapClasses, type DsInput, type DsOptions } from '../inference/dawidSkene.ts';
import { vote, type VoteOptions } from '../inference/majority.ts';
import { readerAccuracy, type ReaderAccuracy } from './accuracy.ts';

export type ReferenceBuilder = { kind: 'given'; truth: Int32Array } | { kind: 'majority'; options?: VoteOptions } | { kind: 'dawid-skene'; options?: DsOptions };

export interface ReaderScore {
  reader: number;
  accuracy: ReaderAccuracy;
  kappa: KappaResult;
  weightedKappa: KappaResult | null;
  /** Ratings of this reader on cases without a reference class (left out). */
  leftOut: number;
  /** True when the reference was rebuilt without this reader. */
  leaveOneReaderOut: boolean;
}

/** Reference class per case from the readers' ratings (−1 = none: tie, no majority, no ratings). */
export function buildReference(d: DsInput, b: Exclude<ReferenceBuilder, { kind: 'given' }>): Int32Array {
  if (b.kind === 'majority') return vote(d, b.options).label;
  const res = dawidSkene(d, b.options);
  const lab = mapClasses(res.posterior, d.nClasses);
  for (let i = 0; i < d.nCases; i++) if (d.caseStart[i + 1] === d.caseStart[i]) lab[i] = -1;
  return lab;
}

/** The ratings of every reader except `drop`. */
export function withoutReader(d: DsInput, drop: number): DsInput {
  const n = d.caseStart[d.nCases];
  const caseStart = new Int32Array(d.nCases + 1);
  let m = 0;
  for (let j = 0; j < n; j++) if (d.reader[j] !== drop) m++;
  const reader = new Int32Array(m);
  const label = new Int32Array(m);
  let w = 0;
  for (let i = 0; i < d.nCases; i++) {
    caseStart[i] = w;
    for (let j = d.caseStart[i]; j < d.caseStart[i + 1]; j++) {
      if (d.reader[j] === drop) continue;
      reader[w] = d.reader[j];
      label[w] = d.label[j];
      w++;
    }
  }
  caseStart[d.nCases] = w;
  return { ...d, caseStart, reader, label };
}

/**
 * Scores every reader. `patient[i]` (optional) is the patient of case i: proportions are then
 * clustered by patient; without it, a reader's repeated ratings of one case are clustered by case.
 */
export function scoreReaders(d: DsInput, ref: ReferenceBuilder, opts: { patient?: Int32Array | null; weights?: WeightSpec | null; level?: number } = {}): ReaderScore[] {
  const K = d.nClasses;
  const level = opts.level ?? 0.95;
  const out: ReaderScore[] = [];
  const caseOf = new Int32Array(d.caseStart[d.nCases]);
  for (let i = 0; i < d.nCases; i++) for (let j = d.caseStart[i]; j < d.caseStart[i + 1]; j++) caseOf[j] = i;
  for (let r = 0; r < d.nReaders; r++) {
    const loro = ref.kind !== 'given';
    const truthByCase = ref.kind === 'given' ? ref.truth : buildReference(withoutReader(d, r), ref);
    const t: number[] = [];
    const p: number[] = [];
    const cl: number[] = [];
    let leftOut = 0;
    let repeated = false;
    const seenCase = new Set<number>();
    for (let j = 0; j < caseOf.length; j++) {
      if (d.reader[j] !== r) continue;
      const i = caseOf[j];
      const tc = truthByCase[i];
      if (tc < 0) {
        leftOut++;
        continue;
      }
      if (seenCase.has(i)) repeated = true;
      seenCase.add(i);
      t.push(tc);
      p.push(d.label[j]);
      cl.push(opts.patient ? opts.patient[i] : i);
    }
    const cluster = opts.patient || repeated ? Int32Array.from(cl) : null;
    const accuracy = readerAccuracy(t, p, K, { cluster, level });
    const wt = weightMatrix('identity', K);
    const kappa = cohenKappaTable(accuracy.confusion, K, wt, level);
    const weightedKappa = opts.weights ? cohenKappaTable(accuracy.confusion, K, weightMatrix(opts.weights, K), level) : null;
    out.push({ reader: r, accuracy, kappa, weightedKappa, leftOut, leaveOneReaderOut: loro });
  }
  return out;
}
