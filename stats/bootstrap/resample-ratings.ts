/**
 * Ratings on a resample of readers (with repeats): each drawn reader slot s becomes a reader of
 * its own ("<id>@<s+1>"), carrying all its raters (occasions) and ratings, so that a reader drawn
 * twice counts as two readers.
 */
import type { Ratings } from '../ratings.ts';

export function resampleReaders(r: Ratings, drawn: ArrayLike<number>): Ratings {
  const S = drawn.length;
  // New raters: for each slot, the raters of the drawn reader.
  const raterIds: string[] = [];
  const raterReader: number[] = [];
  const raterOccasion: number[] = [];
  const slotRaters: number[][] = Array.from({ length: r.nRaters }, () => []); // old rater → new raters
  for (let s = 0; s < S; s++) {
    for (let j = 0; j < r.nRaters; j++) {
      if (r.raterReader[j] !== drawn[s]) continue;
      slotRaters[j].push(raterIds.length);
      raterIds.push(`${r.raterIds[j]}@${s + 1}`);
      raterReader.push(s);
      raterOccasion.push(r.raterOccasion[j]);
    }
  }
  let n = 0;
  for (let k = 0; k < r.nRatings; k++) n += slotRaters[r.raterIndex[k]].length;
  const caseIndex = new Int32Array(n);
  const raterIndex = new Int32Array(n);
  const code = new Int32Array(n);
  const caseStart = new Int32Array(r.nCases + 1);
  let pos = 0;
  for (let i = 0; i < r.nCases; i++) {
    caseStart[i] = pos;
    for (let k = r.caseStart[i]; k < r.caseStart[i + 1]; k++) {
      for (const j of slotRaters[r.raterIndex[k]]) {
        caseIndex[pos] = i;
        raterIndex[pos] = j;
        code[pos] = r.code[k];
        pos++;
      }
    }
  }
  caseStart[r.nCases] = pos;
  return {
    ...r,
    readerIds: Array.from({ length: S }, (_, s) => `${r.readerIds[drawn[s]]}@${s + 1}`),
    raterIds,
    raterReader: Int32Array.from(raterReader),
    raterOccasion: Int32Array.from(raterOccasion),
    nReaders: S,
    nRaters: raterIds.length,
    nRatings: n,
    caseIndex,
    raterIndex,
    code,
    caseStart,
  };
}
