/**
 * A free-response (FROC) reader study in the layout RJafroc uses: per arm × reader × case the
 * ratings of the non-lesion localisations (NLs) and, per truth lesion, the rating of its lesion
 * localisation (LL) or −∞ when the lesion was not marked. Cases without lesions are normal.
 * Fully crossed: every arm × reader must have a reading of every case (a reading may hold no
 * marks); a missing one is an error naming it.
 */
import { type MatchRule, matchTwo, type SpacingSource } from '../marks/match.ts';
import { checkMark, imageKey, type Mark, MarkError, type PixelSpacing } from '../marks/types.ts';

export interface FrocCaseInput {
  id: string;
  /** Number of lesions (0 = normal case). */
  lesions: number;
  /** Lesion weights summing to 1 (RJafroc); default 1 / lesions each. */
  weights?: number[];
}

export interface FrocReadingInput {
  arm: string;
  reader: string;
  caseId: string;
  /** Ratings of non-lesion localisations (higher = more confident). */
  nl: number[];
  /** Per lesion of the case, the rating of its localisation or null when not marked. */
  ll: (number | null)[];
}

export interface FrocStudy {
  arms: string[];
  readers: string[];
  cases: string[];
  /** Case indices of normal and abnormal cases, in case order. */
  normals: Int32Array;
  abnormals: Int32Array;
  lesions: Int32Array;
  weights: Float64Array[];
  /** [(arm · R + reader) · K + case] */
  nl: Float64Array[];
  ll: Float64Array[];
}

export class FrocError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrocError';
  }
}

export function buildFrocStudy(input: { cases: FrocCaseInput[]; readings: FrocReadingInput[]; arms?: string[]; readers?: string[] }): FrocStudy {
  const arms = input.arms ?? [...new Set(input.readings.map((r) => r.arm))];
  const readers = input.readers ?? [...new Set(input.readings.map((r) => r.reader))];
  const cases = input.cases.map((c) => c.id);
  const K = cases.length;
  const caseIndex = new Map(cases.map((c, i) => [c, i]));
  if (caseIndex.size !== K) throw new FrocError('case ids must be unique');
  const lesions = Int32Array.from(input.cases, (c) => {
    if (!(Number.isInteger(c.lesions) && c.lesions >= 0)) throw new FrocError(`case ${c.id}: lesions must be an integer ≥ 0`);
    return c.lesions;
  });
  const weights = input.cases.map((c) => {
    const w = c.weights ?? Array.from({ length: c.lesions }, () => 1 / c.lesions);
    if (w.length !== c.lesions) throw new FrocError(`case ${c.id}: ${w.length} weights for ${c.lesions} lesions`);
    const s = w.reduce((a, b) => a + b, 0);
    if (c.lesions > 0 && (Math.abs(s - 1) > 1e-9 || w.some((x) => !(x >= 0)))) throw new FrocError(`case ${c.id}: lesion weights must be ≥ 0 and sum to 1`);
    return Float64Array.from(w);
  });
  const normals = Int32Array.from(cases.keys()).filter((k) => lesions[k] === 0);
  const abnormals = Int32Array.from(cases.keys()).filter((k) => lesions[k] > 0);
  if (normals.length === 0 || abnormals.length === 0) throw new FrocError('an FROC study needs normal and abnormal cases');
  const R = readers.length;
  const G = arms.length * R;
  const nl: (Float64Array | undefined)[] = new Array(G * K);
  const ll: (Float64Array | undefined)[] = new Array(G * K);
  const armIx = new Map(arms.map((a, i) => [a, i]));
  const readerIx = new Map(readers.map((r, i) => [r, i]));
  input.readings.forEach((r, n) => {
    const a = armIx.get(r.arm);
    const j = readerIx.get(r.reader);
    const k = caseIndex.get(r.caseId);
    const where = `reading ${n + 1} (arm ${r.arm}, reader ${r.reader}, case ${r.caseId})`;
    if (a === undefined || j === undefined || k === undefined) throw new FrocError(`${where}: unknown arm, reader or case`);
    const idx = (a * R + j) * K + k;
    if (nl[idx]) throw new FrocError(`${where}: repeated`);
    if (r.ll.length !== lesions[k]) throw new FrocError(`${where}: ${r.ll.length} lesion ratings for ${lesions[k]} lesions`);
    for (const x of r.nl) if (!Number.isFinite(x)) throw new FrocError(`${where}: NL ratings must be finite numbers`);
    for (const x of r.ll) if (x !== null && !Number.isFinite(x)) throw new FrocError(`${where}: LL ratings must be finite numbers or null`);
    nl[idx] = Float64Array.from(r.nl);
    ll[idx] = Float64Array.from(r.ll, (x) => (x === null ? -Infinity : x));
  });
  for (let a = 0; a < arms.length; a++)
    for (let j = 0; j < R; j++)
      for (let k = 0; k < K; k++) if (!nl[(a * R + j) * K + k]) throw new FrocError(`no reading for arm ${arms[a]}, reader ${readers[j]}, case ${cases[k]}`);
  return { arms, readers, cases, normals, abnormals, lesions, weights, nl: nl as Float64Array[], ll: ll as Float64Array[] };
}

export interface TruthCase {
  caseId: string;
  /** Truth lesions (their marks locate them); none = normal case. */
  lesions: Mark[];
  weights?: number[];
}
export interface MarkedReading {
  arm: string;
  reader: string;
  caseId: string;
  marks: { mark: Mark; rating: number }[];
}

/**
 * Scores marks against truth lesions: per case and image, the reader's marks are matched one-to-one
 * to the truth lesions by the lesion-matching rule (Hungarian, stats/marks/match.ts); a matched
 * mark is the lesion's localisation (LL, its rating), every other mark a non-lesion localisation (NL).
 */
export function frocFromMarks(input: {
  truth: TruthCase[];
  readings: MarkedReading[];
  rule: MatchRule;
  pixelSpacing?: SpacingSource;
  arms?: string[];
  readers?: string[];
}): FrocStudy {
  const truth = new Map(input.truth.map((t) => [t.caseId, t]));
  const readings: FrocReadingInput[] = input.readings.map((r) => {
    const t = truth.get(r.caseId);
    if (!t) throw new FrocError(`reading of unknown case ${r.caseId}`);
    const ll: (number | null)[] = t.lesions.map(() => null);
    const nl: number[] = [];
    const keys = new Set([...t.lesions.map((m) => imageKey(m.image)), ...r.marks.map((m) => imageKey(m.mark.image))]);
    for (const key of keys) {
      const lesionIx = t.lesions.flatMap((m, i) => (imageKey(m.image) === key ? [i] : []));
      const marks = r.marks.filter((m) => imageKey(m.mark.image) === key).sort((x, y) => (x.mark.id < y.mark.id ? -1 : x.mark.id > y.mark.id ? 1 : 0));
      for (const m of marks) {
        checkMark(m.mark);
        if (!Number.isFinite(m.rating)) throw new MarkError('rating must be a finite number', m.mark.id);
      }
      const image = (lesionIx.length ? t.lesions[lesionIx[0]] : marks[0].mark).image;
      const spacing: PixelSpacing | undefined = typeof input.pixelSpacing === 'function' ? input.pixelSpacing(image) : input.pixelSpacing;
      const res = matchTwo(
        lesionIx.map((i) => t.lesions[i]),
        marks.map((m) => m.mark),
        input.rule,
        spacing,
      );
      for (const p of res.pairs) ll[lesionIx[p.a]] = marks[p.b].rating;
      for (const b of res.unmatchedB) nl.push(marks[b].rating);
    }
    return { arm: r.arm, reader: r.reader, caseId: r.caseId, nl, ll };
  });
  return buildFrocStudy({
    cases: input.truth.map((t) => ({ id: t.caseId, lesions: t.lesions.length, weights: t.weights })),
    readings,
    arms: input.arms,
    readers: input.readers,
  });
}
