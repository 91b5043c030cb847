/**
 * Lesion matching: the marks of two or more readers on the same image, matched one-to-one by a
 * rule, into lesions ("clusters") with who found each.
 *
 * Rule:
 *  - any pair involving a point: centres within a radius, in mm when the image's pixel spacing is
 *    known and the rule gives radiusMm, else in px (radiusPx); affinity 1 − d / radius;
 *  - box / ellipse / polygon pairs: IoU ≥ minIoU; affinity = IoU.
 * Two readers: the Hungarian algorithm maximises the number of matched pairs, then the total
 * affinity (maxWeightMatching). More readers: readers in readerKey order, each reader's marks
 * matched (Hungarian) to the lesions built so far; a mark may join a lesion only when the rule
 * holds with every mark already in it (complete linkage), with the mean affinity as weight. A
 * lesion holds at most one mark per reader; an unmatched mark starts a lesion of its own.
 * Determinism: readers sorted by key and marks by id (code-unit order) before matching, so the
 * result does not depend on input order; ties go to the lower id (see hungarian.ts).
 */
import { centre, iou, outline, type Poly } from './geometry.ts';
import { maxWeightMatching } from './hungarian.ts';
import { checkMark, type ImageRef, imageKey, type Mark, MarkError, type PixelSpacing } from './types.ts';

export interface MatchRule {
  /** Radius for pairs involving a point, in mm; used when the image's pixel spacing is known. */
  radiusMm?: number;
  /** Radius in pixels; used when the pixel spacing is unknown (or the rule has no radiusMm). */
  radiusPx?: number;
  /** Outline pairs (box, ellipse, polygon) match when IoU ≥ minIoU, 0 < minIoU ≤ 1. */
  minIoU?: number;
}

/** One spacing for every image, or per image (undefined = unknown: radiusPx applies). */
export type SpacingSource = PixelSpacing | ((image: ImageRef) => PixelSpacing | undefined);

export interface ReaderMarks {
  readerKey: string;
  marks: Mark[];
}

export interface PairScore {
  affinity: number;
  /** Outline pairs: their IoU. */
  iou: number | null;
  /** Pairs involving a point: the centre distance, in `unit`. */
  distance: number | null;
  unit: 'mm' | 'px' | null;
}

export interface ClusterPair extends PairScore {
  readers: [string, string];
}

export interface LesionCluster {
  /** `${imageKey}|L${n}`, n = 1, 2, … in the order lesions were formed. */
  id: string;
  imageKey: string;
  image: ImageRef;
  /** One mark per reader who found the lesion, in readerKey order. */
  marks: { readerKey: string; mark: Mark }[];
  foundBy: string[];
  missedBy: string[];
  /** Mean of the members' centres (px). */
  centre: [number, number];
  /** Scores of every pair of members. */
  pairs: ClusterPair[];
}

export interface MatchInput {
  readers: ReaderMarks[];
  rule: MatchRule;
  pixelSpacing?: SpacingSource;
}

export interface MatchResult {
  readers: string[];
  clusters: LesionCluster[];
}

const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function checkRule(rule: MatchRule): void {
  for (const k of ['radiusMm', 'radiusPx'] as const) {
    const v = rule[k];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new MarkError(`rule.${k} must be a number ≥ 0`);
  }
  if (rule.minIoU !== undefined && !(rule.minIoU > 0 && rule.minIoU <= 1)) throw new MarkError('rule.minIoU must be in (0, 1]');
}

function spacingFor(src: SpacingSource | undefined, image: ImageRef): PixelSpacing | undefined {
  const s = typeof src === 'function' ? src(image) : src;
  if (s === undefined) return undefined;
  if (!(s.length === 2 && s[0] > 0 && s[1] > 0 && Number.isFinite(s[0]) && Number.isFinite(s[1])))
    throw new MarkError('pixel spacing must be two positive numbers [row, column] in mm');
  return s;
}

/** Cache of outlines: marks are compared many times. */
class Outlines {
  private cache = new Map<Mark, Poly>();
  get(m: Mark): Poly {
    let p = this.cache.get(m);
    if (!p) {
      p = outline(m);
      this.cache.set(m, p);
    }
    return p;
  }
}

/**
 * Score of a pair of marks on the same image under the rule; null when the rule does not let
 * them match.
 */
export function pairScore(a: Mark, b: Mark, rule: MatchRule, spacing?: PixelSpacing, outlines = new Outlines()): PairScore | null {
  if (a.kind !== 'point' && b.kind !== 'point') {
    if (rule.minIoU === undefined) throw new MarkError('the rule has no minIoU for outlines', a.id);
    const j = iou(outlines.get(a), outlines.get(b));
    return j >= rule.minIoU && j > 0 ? { affinity: j, iou: j, distance: null, unit: null } : null;
  }
  const useMm = spacing !== undefined && rule.radiusMm !== undefined;
  const radius = useMm ? rule.radiusMm! : rule.radiusPx;
  if (radius === undefined) throw new MarkError(spacing ? 'the rule has no radiusMm or radiusPx for points' : 'no pixel spacing and the rule has no radiusPx for points', a.id);
  const [ax, ay] = centre(a);
  const [bx, by] = centre(b);
  const dx = (ax - bx) * (useMm ? spacing![1] : 1);
  const dy = (ay - by) * (useMm ? spacing![0] : 1);
  const d = Math.hypot(dx, dy);
  if (d > radius) return null;
  return { affinity: radius > 0 ? 1 - d / radius : 1, iou: null, distance: d, unit: useMm ? 'mm' : 'px' };
}

/**
 * Two sets of marks on one image: the optimal one-to-one matching. Returns index pairs into the
 * arrays as given (no sorting: callers that need order independence sort first).
 */
export function matchTwo(
  a: readonly Mark[],
  b: readonly Mark[],
  rule: MatchRule,
  spacing?: PixelSpacing,
): { pairs: { a: number; b: number; score: PairScore }[]; unmatchedA: number[]; unmatchedB: number[] } {
  checkRule(rule);
  const outlines = new Outlines();
  const scores = a.map((x) => b.map((y) => pairScore(x, y, rule, spacing, outlines)));
  const assign = maxWeightMatching(
    scores.map((r) => r.map((s) => (s ? s.affinity : null))),
    b.length,
  );
  const pairs: { a: number; b: number; score: PairScore }[] = [];
  const usedB = new Set<number>();
  assign.forEach((j, i) => {
    if (j >= 0) {
      pairs.push({ a: i, b: j, score: scores[i][j]! });
      usedB.add(j);
    }
  });
  return {
    pairs,
    unmatchedA: a.map((_, i) => i).filter((i) => assign[i] < 0),
    unmatchedB: b.map((_, j) => j).filter((j) => !usedB.has(j)),
  };
}

/** Matches the readers' marks image by image into lesions. */
export function matchLesions(input: MatchInput): MatchResult {
  checkRule(input.rule);
  const seen = new Set<string>();
  for (const r of input.readers) {
    if (seen.has(r.readerKey)) throw new MarkError(`reader ${r.readerKey} appears twice`);
    seen.add(r.readerKey);
    const ids = new Set<string>();
    for (const m of r.marks) {
      checkMark(m);
      if (ids.has(m.id)) throw new MarkError(`id repeated for reader ${r.readerKey}`, m.id);
      ids.add(m.id);
    }
  }
  const readers = input.readers.map((r) => r.readerKey).sort(byCode);
  const byReader = new Map(input.readers.map((r) => [r.readerKey, r.marks]));
  // image key → reader → marks sorted by id
  const images = new Map<string, { image: ImageRef; marks: Map<string, Mark[]> }>();
  for (const rk of readers)
    for (const m of byReader.get(rk)!) {
      const k = imageKey(m.image);
      let img = images.get(k);
      if (!img) images.set(k, (img = { image: m.image, marks: new Map() }));
      const list = img.marks.get(rk) ?? [];
      list.push(m);
      img.marks.set(rk, list);
    }
  const clusters: LesionCluster[] = [];
  const outlines = new Outlines();
  for (const key of [...images.keys()].sort(byCode)) {
    const { image, marks } = images.get(key)!;
    const spacing = spacingFor(input.pixelSpacing, image);
    const groups: { readerKey: string; mark: Mark }[][] = [];
    for (const rk of readers) {
      const list = (marks.get(rk) ?? []).slice().sort((x, y) => byCode(x.id, y.id));
      if (list.length === 0) continue;
      const weights = list.map((m) =>
        groups.map((g) => {
          let sum = 0;
          for (const member of g) {
            const s = pairScore(m, member.mark, input.rule, spacing, outlines);
            if (!s) return null;
            sum += s.affinity;
          }
          return sum / g.length;
        }),
      );
      const assign = maxWeightMatching(weights, groups.length);
      const fresh: { readerKey: string; mark: Mark }[][] = [];
      list.forEach((m, i) => {
        if (assign[i] >= 0) groups[assign[i]].push({ readerKey: rk, mark: m });
        else fresh.push([{ readerKey: rk, mark: m }]);
      });
      groups.push(...fresh);
    }
    groups.forEach((g, n) => {
      const foundBy = g.map((x) => x.readerKey);
      const pairs: ClusterPair[] = [];
      for (let i = 0; i < g.length; i++)
        for (let j = i + 1; j < g.length; j++) {
          const s = pairScore(g[i].mark, g[j].mark, input.rule, spacing, outlines)!;
          pairs.push({ readers: [g[i].readerKey, g[j].readerKey], ...s });
        }
      const cs = g.map((x) => centre(x.mark));
      clusters.push({
        id: `${key}|L${n + 1}`,
        imageKey: key,
        image,
        marks: g,
        foundBy,
        missedBy: readers.filter((r) => !foundBy.includes(r)),
        centre: [cs.reduce((s, c) => s + c[0], 0) / cs.length, cs.reduce((s, c) => s + c[1], 0) / cs.length],
        pairs,
      });
    });
  }
  return { readers, clusters };
}
