/**
 * An MRMC reader study in long form (one row per arm × reader × case rating) turned into dense
 * arrays: ratings[(arm · R + reader) · C + case] (NaN where a reader did not read a case).
 *
 * Two designs: fully crossed (every reader rated every case in every arm) and split-plot (readers
 * fall into groups, each group rates its own cases, every reader of a group every case of the
 * group in every arm; Obuchowski, Gallas & Hillis 2012). The groups are read off the ratings:
 * readers with the same set of cases form a group, and two groups may share no case. Anything else
 * is an InputError naming the line or the first missing combination, so nothing is analysed
 * half-filled.
 */
import { InputError } from '../accuracy/truth.ts';

export interface StudyRow {
  /** 1-based source line (for error messages); 0 when not from a file. */
  line: number;
  caseId: string;
  truth: number;
  arm: string;
  readerId: string;
  rating: number;
}

export interface Study {
  arms: string[];
  readers: string[];
  cases: string[];
  /** 1 = diseased (positive), 0 = not, per case. */
  truth: Uint8Array;
  /** Index of each case in `cases`, positives first then negatives, in case order. */
  positives: Int32Array;
  negatives: Int32Array;
  ratings: Float64Array;
  /** Number of reader/case groups: 1 when fully crossed. */
  groups: number;
  /** Group of each reader and of each case (all 0 when fully crossed). */
  readerGroup: Int32Array;
  caseGroup: Int32Array;
}

export function ratingAt(s: Study, arm: number, reader: number, kase: number): number {
  return s.ratings[(arm * s.readers.length + reader) * s.cases.length + kase];
}

/** Ratings of one arm × reader, in case order (a view, not a copy). */
export function groupRatings(s: Study, arm: number, reader: number): Float64Array {
  const c = s.cases.length;
  const o = (arm * s.readers.length + reader) * c;
  return s.ratings.subarray(o, o + c);
}

function indexer(): { ids: string[]; get(id: string): number } {
  const ids: string[] = [];
  const map = new Map<string, number>();
  return {
    ids,
    get(id) {
      let i = map.get(id);
      if (i === undefined) {
        i = ids.length;
        ids.push(id);
        map.set(id, i);
      }
      return i;
    },
  };
}

export function buildStudy(rows: readonly StudyRow[]): Study {
  if (rows.length === 0) throw new InputError('no ratings', 0);
  const arms = indexer();
  const readers = indexer();
  const cases = indexer();
  const truthOf: number[] = [];
  const truthLine: number[] = [];
  for (const r of rows) {
    if (!r.caseId) throw new InputError(`line ${r.line}: case_id is empty`, r.line);
    if (!r.readerId) throw new InputError(`line ${r.line}: reader_id is empty`, r.line);
    if (!r.arm) throw new InputError(`line ${r.line}: arm is empty`, r.line);
    if (r.truth !== 0 && r.truth !== 1) throw new InputError(`line ${r.line}: truth must be 0 or 1, got ${r.truth}`, r.line);
    if (!Number.isFinite(r.rating)) throw new InputError(`line ${r.line}: rating must be a finite number`, r.line);
    arms.get(r.arm);
    readers.get(r.readerId);
    const k = cases.get(r.caseId);
    if (truthOf[k] === undefined) {
      truthOf[k] = r.truth;
      truthLine[k] = r.line;
    } else if (truthOf[k] !== r.truth) {
      throw new InputError(`line ${r.line}: case ${r.caseId} has truth ${r.truth} here but ${truthOf[k]} on line ${truthLine[k]}`, r.line);
    }
  }
  const A = arms.ids.length;
  const R = readers.ids.length;
  const C = cases.ids.length;
  const ratings = new Float64Array(A * R * C).fill(NaN);
  const seen = new Int32Array(A * R * C);
  const armIdx = new Map(arms.ids.map((a, i) => [a, i]));
  const readerIdx = new Map(readers.ids.map((a, i) => [a, i]));
  const caseIdx = new Map(cases.ids.map((a, i) => [a, i]));
  for (const r of rows) {
    const at = (armIdx.get(r.arm)! * R + readerIdx.get(r.readerId)!) * C + caseIdx.get(r.caseId)!;
    if (seen[at]) throw new InputError(`line ${r.line}: reader ${r.readerId} rated case ${r.caseId} in arm ${r.arm} twice (first on line ${seen[at]})`, r.line);
    seen[at] = r.line || 1;
    ratings[at] = r.rating;
  }
  // Each reader's cases in the first arm; readers with the same cases form a group.
  const readerGroup = new Int32Array(R);
  const caseGroup = new Int32Array(C).fill(-1);
  const groupKeys = new Map<string, number>();
  for (let j = 0; j < R; j++) {
    const mine: number[] = [];
    for (let k = 0; k < C; k++) if (seen[j * C + k]) mine.push(k);
    const key = mine.join(',');
    let g = groupKeys.get(key);
    if (g === undefined) {
      g = groupKeys.size;
      groupKeys.set(key, g);
      for (const k of mine) {
        if (caseGroup[k] >= 0)
          throw new InputError(
            `the design is neither fully crossed nor split-plot: case ${cases.ids[k]} was read by reader ${readers.ids[j]} and by a reader with other cases (readers who share a case must read the same cases)`,
            0,
          );
        caseGroup[k] = g;
      }
    }
    readerGroup[j] = g;
  }
  const groups = groupKeys.size;
  for (let k = 0; k < C; k++) if (caseGroup[k] < 0) throw new InputError(`case ${cases.ids[k]} has no rating in arm ${arms.ids[0]}`, 0);
  for (let a = 0; a < A; a++)
    for (let j = 0; j < R; j++)
      for (let k = 0; k < C; k++)
        if (caseGroup[k] === readerGroup[j] && !seen[(a * R + j) * C + k])
          throw new InputError(
            groups === 1
              ? `the design is not fully crossed: reader ${readers.ids[j]} has no rating of case ${cases.ids[k]} in arm ${arms.ids[a]} (every reader must rate every case in every arm)`
              : `reader ${readers.ids[j]} has no rating of case ${cases.ids[k]} in arm ${arms.ids[a]} (in a split-plot study every reader rates every case of their group in every arm)`,
            0,
          );
        else if (caseGroup[k] !== readerGroup[j] && seen[(a * R + j) * C + k])
          throw new InputError(
            `line ${seen[(a * R + j) * C + k]}: reader ${readers.ids[j]} rated case ${cases.ids[k]} in arm ${arms.ids[a]} but not in arm ${arms.ids[0]}`,
            seen[(a * R + j) * C + k],
          );
  const truth = Uint8Array.from(truthOf);
  const pos: number[] = [];
  const neg: number[] = [];
  for (let k = 0; k < C; k++) (truth[k] ? pos : neg).push(k);
  if (R < 2) throw new InputError('need at least 2 readers for an MRMC analysis', 0);
  for (let g = 0; g < groups; g++) {
    let p = 0;
    let n = 0;
    for (let k = 0; k < C; k++) if (caseGroup[k] === g) truth[k] ? p++ : n++;
    if (p < 2 || n < 2) {
      const who = readers.ids.filter((_, j) => readerGroup[j] === g).join(', ');
      throw new InputError(
        groups === 1
          ? `need at least 2 positive and 2 negative cases (have ${p} and ${n})`
          : `split-plot group of readers ${who}: need at least 2 positive and 2 negative cases (have ${p} and ${n})`,
        0,
      );
    }
  }
  return {
    arms: arms.ids,
    readers: readers.ids,
    cases: cases.ids,
    truth,
    positives: Int32Array.from(pos),
    negatives: Int32Array.from(neg),
    ratings,
    groups,
    readerGroup,
    caseGroup,
  };
}

/** The fully crossed study of one split-plot group: its readers, its cases, every arm. */
export function groupStudy(s: Study, g: number): { study: Study; readers: number[]; cases: number[] } {
  const readers: number[] = [];
  const cases: number[] = [];
  for (let j = 0; j < s.readers.length; j++) if (s.readerGroup[j] === g) readers.push(j);
  for (let k = 0; k < s.cases.length; k++) if (s.caseGroup[k] === g) cases.push(k);
  const A = s.arms.length;
  const R = readers.length;
  const C = cases.length;
  const ratings = new Float64Array(A * R * C);
  for (let a = 0; a < A; a++) for (let j = 0; j < R; j++) for (let k = 0; k < C; k++) ratings[(a * R + j) * C + k] = ratingAt(s, a, readers[j], cases[k]);
  const truth = Uint8Array.from(cases, (k) => s.truth[k]);
  const pos: number[] = [];
  const neg: number[] = [];
  for (let k = 0; k < C; k++) (truth[k] ? pos : neg).push(k);
  return {
    study: {
      arms: s.arms,
      readers: readers.map((j) => s.readers[j]),
      cases: cases.map((k) => s.cases[k]),
      truth,
      positives: Int32Array.from(pos),
      negatives: Int32Array.from(neg),
      ratings,
      groups: 1,
      readerGroup: new Int32Array(R),
      caseGroup: new Int32Array(C),
    },
    readers,
    cases,
  };
}
