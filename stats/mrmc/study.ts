/**
 * An MRMC reader study in long form (one row per arm × reader × case rating) turned into dense
 * arrays: ratings[(arm · R + reader) · C + case]. The design must be fully crossed (every reader
 * rated every case in every arm); anything else is an InputError naming the line or the first
 * missing combination, so nothing is analysed half-filled.
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
  for (let a = 0; a < A; a++)
    for (let j = 0; j < R; j++)
      for (let k = 0; k < C; k++)
        if (!seen[(a * R + j) * C + k])
          throw new InputError(
            `the design is not fully crossed: reader ${readers.ids[j]} has no rating of case ${cases.ids[k]} in arm ${arms.ids[a]} (every reader must rate every case in every arm)`,
            0,
          );
  const truth = Uint8Array.from(truthOf);
  const pos: number[] = [];
  const neg: number[] = [];
  for (let k = 0; k < C; k++) (truth[k] ? pos : neg).push(k);
  if (pos.length < 2 || neg.length < 2) throw new InputError(`need at least 2 positive and 2 negative cases (have ${pos.length} and ${neg.length})`, 0);
  if (R < 2) throw new InputError('need at least 2 readers for an MRMC analysis', 0);
  return { arms: arms.ids, readers: readers.ids, cases: cases.ids, truth, positives: Int32Array.from(pos), negatives: Int32Array.from(neg), ratings };
}
