/**
 * Agreement by location, from the lesions of matchLesions:
 *  - detection: per lesion how many readers found it; per reader pair the matched lesions and
 *    the positive specific agreement 2·both / (2·both + only A + only B) (Fleiss 1975; the Dice of
 *    the two readers' lesion sets);
 *  - answers on matched lesions: a Ratings table (units = lesions found by ≥ 2 readers) for
 *    stats/categorical (κ, Fleiss, Krippendorff: references in stats-0001);
 *  - outline overlap: per lesion the mean IoU and Dice over its pairs of outlines, averaged over
 *    lesions, with a seeded bootstrap CI (BCa and percentile, stats/bootstrap, boot::boot.ci's
 *    definitions) resampling images (lesions of one image come along together: they are not
 *    independent).
 */
import { bootstrapMany, type BootstrapResult } from '../bootstrap/bootstrap.ts';
import { fromColumns, type RatingsOptions, type RawValue, type Ratings } from '../ratings.ts';
import { diceFromIoU } from './geometry.ts';
import type { LesionCluster, MatchResult } from './match.ts';
import type { Mark } from './types.ts';

export interface DetectionAgreement {
  readers: string[];
  lesions: number;
  /** byCount[k − 1] = lesions found by exactly k readers. */
  byCount: number[];
  /** Share of lesions found by every reader (null without lesions). */
  foundByAll: number | null;
  perReader: { reader: string; found: number; missed: number }[];
  pairs: { readers: [string, string]; both: number; onlyFirst: number; onlySecond: number; positiveAgreement: number | null }[];
}

export function detectionAgreement(m: MatchResult): DetectionAgreement {
  const R = m.readers.length;
  const byCount = new Array<number>(R).fill(0);
  for (const c of m.clusters) byCount[c.foundBy.length - 1]++;
  const pairs: DetectionAgreement['pairs'] = [];
  for (let a = 0; a < R; a++)
    for (let b = a + 1; b < R; b++) {
      let both = 0;
      let onlyFirst = 0;
      let onlySecond = 0;
      for (const c of m.clusters) {
        const fa = c.foundBy.includes(m.readers[a]);
        const fb = c.foundBy.includes(m.readers[b]);
        if (fa && fb) both++;
        else if (fa) onlyFirst++;
        else if (fb) onlySecond++;
      }
      const d = 2 * both + onlyFirst + onlySecond;
      pairs.push({ readers: [m.readers[a], m.readers[b]], both, onlyFirst, onlySecond, positiveAgreement: d ? (2 * both) / d : null });
    }
  return {
    readers: m.readers,
    lesions: m.clusters.length,
    byCount,
    foundByAll: m.clusters.length ? (byCount[R - 1] ?? 0) / m.clusters.length : null,
    perReader: m.readers.map((r) => {
      const found = m.clusters.filter((c) => c.foundBy.includes(r)).length;
      return { reader: r, found, missed: m.clusters.length - found };
    }),
    pairs,
  };
}

/**
 * The readers' answers on the lesions at least `minReaders` (default 2) of them found, as Ratings
 * (unit = lesion id, rater = readerKey) for stats/categorical. `answer` reads one answer of a mark
 * (e.g. its BI-RADS); null = not answered.
 */
export function matchedAnswers(
  m: MatchResult,
  answer: (readerKey: string, mark: Mark, lesion: LesionCluster) => RawValue,
  opts: RatingsOptions & { minReaders?: number } = {},
): Ratings {
  const { minReaders = 2, ...ratingOpts } = opts;
  const units: string[] = [];
  const raters: string[] = [];
  const values: RawValue[] = [];
  for (const c of m.clusters) {
    if (c.foundBy.length < minReaders) continue;
    for (const x of c.marks) {
      units.push(c.id);
      raters.push(x.readerKey);
      values.push(answer(x.readerKey, x.mark, c));
    }
  }
  return fromColumns(units, raters, values, ratingOpts);
}

export interface OverlapOptions {
  replicates?: number;
  seed?: number;
  level?: number;
}

export interface OutlineOverlap {
  /** Lesions with ≥ 2 outlines. */
  lesions: { id: string; imageKey: string; pairs: number; iou: number; dice: number }[];
  iou: OverlapSummary | null;
  dice: OverlapSummary | null;
  method: string;
}
export interface OverlapSummary {
  mean: number;
  se: number;
  bca: [number, number] | null;
  percentile: [number, number];
  level: number;
  images: number;
  replicates: number;
  seed: number;
}

export function outlineOverlap(m: MatchResult, opts: OverlapOptions = {}): OutlineOverlap {
  const lesions = m.clusters.flatMap((c) => {
    const ious = c.pairs.filter((p) => p.iou !== null).map((p) => p.iou!);
    if (ious.length === 0) return [];
    const iou = ious.reduce((a, b) => a + b, 0) / ious.length;
    const dice = ious.reduce((a, b) => a + diceFromIoU(b), 0) / ious.length;
    return [{ id: c.id, imageKey: c.imageKey, pairs: ious.length, iou, dice }];
  });
  const replicates = opts.replicates ?? 2000;
  const seed = opts.seed ?? 20;
  const method = `mean over lesions of the mean pairwise IoU and Dice of their outlines; ${replicates} bootstrap replicates resampling images (seed ${seed}, xoshiro128**), BCa and percentile intervals`;
  if (lesions.length === 0) return { lesions, iou: null, dice: null, method };
  const imageIds = new Map<string, number>();
  const clusters = lesions.map((l) => {
    if (!imageIds.has(l.imageKey)) imageIds.set(l.imageKey, imageIds.size);
    return imageIds.get(l.imageKey)!;
  });
  const stat = (idx: Int32Array) => {
    let i = 0;
    let d = 0;
    for (const k of idx) {
      i += lesions[k].iou;
      d += lesions[k].dice;
    }
    return [i / idx.length, d / idx.length];
  };
  const level = opts.level ?? 0.95;
  const [bi, bd] = bootstrapMany(lesions.length, stat, { replicates, seed, level, clusters, bca: imageIds.size > 1 });
  const summary = (b: BootstrapResult): OverlapSummary => ({
    mean: b.estimate,
    se: b.se,
    bca: b.bca,
    percentile: b.percentile,
    level,
    images: imageIds.size,
    replicates,
    seed,
  });
  return { lesions, iou: summary(bi), dice: summary(bd), method };
}
