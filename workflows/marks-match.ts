/**
 * Matching marks of different readers by location, pure and deterministic: the case machine
 * (case@4) decides disputes with it and the adjudicator's page shows the same matching. The
 * statistics of matched marks (κ, Dice, FROC) live in stats/marks (h20a); the machine keeps its
 * own small matcher so a frozen machine version never changes with the statistics code.
 */
import type { MarkMatchRule } from './definition.ts';
import type { Lesion } from './marks.ts';
import { imageKey } from './marks-refs.ts';

type Pt = [number, number];

function bbox(pts: Pt[]): [number, number, number, number] {
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/** Whether image point (x, y) lies inside a region mark (box, ellipse, polygon). */
export function inside(m: Pick<Lesion, 'kind' | 'points'>, x: number, y: number): boolean {
  if (m.kind === 'point') return false;
  if (m.kind === 'box') {
    const [x0, y0, x1, y1] = bbox(m.points);
    return x >= x0 && x <= x1 && y >= y0 && y <= y1;
  }
  if (m.kind === 'ellipse') {
    const [x0, y0, x1, y1] = bbox(m.points);
    const rx = (x1 - x0) / 2;
    const ry = (y1 - y0) / 2;
    if (rx <= 0 || ry <= 0) return false;
    const dx = (x - (x0 + rx)) / rx;
    const dy = (y - (y0 + ry)) / ry;
    return dx * dx + dy * dy <= 1;
  }
  // Polygon: even-odd ray casting.
  let c = false;
  const p = m.points;
  for (let i = 0, j = p.length - 1; i < p.length; j = i++) {
    const [xi, yi] = p[i]!;
    const [xj, yj] = p[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

/** Region area and centre; a point has area 0. */
export function centre(m: Pick<Lesion, 'points'>): Pt {
  const [x0, y0, x1, y1] = bbox(m.points);
  return [(x0 + x1) / 2, (y0 + y1) / 2];
}

/**
 * IoU of two region marks. Box–box is exact; anything with an ellipse or polygon is counted on a
 * 200×200 sample grid over the union's bounding box (error well under 1% of the union area).
 */
export function iou(a: Pick<Lesion, 'kind' | 'points'>, b: Pick<Lesion, 'kind' | 'points'>): number {
  const [ax0, ay0, ax1, ay1] = bbox(a.points);
  const [bx0, by0, bx1, by1] = bbox(b.points);
  if (a.kind === 'box' && b.kind === 'box') {
    const iw = Math.max(0, Math.min(ax1, bx1) - Math.max(ax0, bx0));
    const ih = Math.max(0, Math.min(ay1, by1) - Math.max(ay0, by0));
    const inter = iw * ih;
    const union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter;
    return union > 0 ? inter / union : 0;
  }
  if (ax1 < bx0 || bx1 < ax0 || ay1 < by0 || by1 < ay0) return 0;
  const x0 = Math.min(ax0, bx0);
  const y0 = Math.min(ay0, by0);
  const w = Math.max(ax1, bx1) - x0;
  const h = Math.max(ay1, by1) - y0;
  const N = 200;
  let inter = 0;
  let union = 0;
  for (let i = 0; i < N; i++) {
    const y = y0 + ((i + 0.5) * h) / N;
    for (let j = 0; j < N; j++) {
      const x = x0 + ((j + 0.5) * w) / N;
      const ia = inside(a, x, y);
      const ib = inside(b, x, y);
      if (ia && ib) inter++;
      if (ia || ib) union++;
    }
  }
  return union ? inter / union : 0;
}

/**
 * How well two marks match under the rule, in (0, 1], or 0 when they do not. Points: 1 − d/r
 * within the radius (so nearer wins ties of count); regions: their IoU when ≥ the threshold;
 * a point inside a region: the threshold itself.
 */
export function similarity(a: Lesion, b: Lesion, rule: MarkMatchRule): number {
  if (imageKey(a.image) !== imageKey(b.image)) return 0;
  if (a.kind === 'point' && b.kind === 'point') {
    const [ax, ay] = a.points[0]!;
    const [bx, by] = b.points[0]!;
    const mm = rule.radiusMm !== undefined && a.spacing && b.spacing;
    // Spacing is [row, column] mm per pixel: rows are y, columns x.
    const dx = mm ? (ax - bx) * a.spacing![1] : ax - bx;
    const dy = mm ? (ay - by) * a.spacing![0] : ay - by;
    const d = Math.hypot(dx, dy);
    const r = mm ? rule.radiusMm! : rule.radiusPx;
    return d <= r ? 1 - d / (r * 2) : 0;
  }
  if (a.kind === 'point' || b.kind === 'point') {
    const [p, region] = a.kind === 'point' ? [a, b] : [b, a];
    return inside(region, p.points[0]![0], p.points[0]![1]) ? rule.iou : 0;
  }
  const v = iou(a, b);
  return v >= rule.iou - 1e-12 ? v : 0;
}

/**
 * Optimal assignment (Hungarian, O(n³)) maximising total similarity; pairs with similarity 0 are
 * not matched. Returns [row, column] pairs. Ties: the lower indices win (deterministic).
 */
export function assign(sim: number[][]): [number, number][] {
  const n = sim.length;
  const m = n ? sim[0]!.length : 0;
  if (!n || !m) return [];
  const size = Math.max(n, m);
  // Minimise cost = 1 − sim on a square matrix padded with cost 1 (= not matched).
  const cost = (i: number, j: number) => (i < n && j < m && sim[i]![j]! > 0 ? 1 - sim[i]![j]! : 1);
  const u = new Array<number>(size + 1).fill(0);
  const v = new Array<number>(size + 1).fill(0);
  const p = new Array<number>(size + 1).fill(0);
  const way = new Array<number>(size + 1).fill(0);
  for (let i = 1; i <= size; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array<number>(size + 1).fill(Number.POSITIVE_INFINITY);
    const used = new Array<boolean>(size + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0]!;
      let delta = Number.POSITIVE_INFINITY;
      let j1 = 0;
      for (let j = 1; j <= size; j++) {
        if (used[j]) continue;
        const cur = cost(i0 - 1, j - 1) - u[i0]! - v[j]!;
        if (cur < minv[j]! - 1e-12) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta - 1e-12) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= size; j++) {
        if (used[j]) {
          u[p[j]!] = u[p[j]!]! + delta;
          v[j] = v[j]! - delta;
        } else minv[j] = minv[j]! - delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0);
  }
  const out: [number, number][] = [];
  for (let j = 1; j <= size; j++) {
    const i = p[j]! - 1;
    if (i < n && j - 1 < m && sim[i]![j - 1]! > 0) out.push([i, j - 1]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

export type ReaderMarks = { readId: string; lesions: Lesion[] };
/** A matched lesion: at most one mark per read. */
export type Cluster = { label: string; members: { readId: string; lesion: Lesion }[] };

/**
 * Groups the marks of several reads into lesions. Reads are taken in order: the first read's
 * marks open clusters, each following read is assigned optimally (one-to-one) to the clusters so
 * far (similarity to the cluster's first mark), its unmatched marks open new clusters. For two
 * readers this is exactly the optimal one-to-one matching. Labels L1, L2, … in order of creation.
 */
export function matchMarks(reads: ReaderMarks[], rule: MarkMatchRule): Cluster[] {
  const clusters: Cluster[] = [];
  for (const r of reads) {
    const sim = r.lesions.map((l) => clusters.map((c) => similarity(l, c.members[0]!.lesion, rule)));
    const pairs = assign(sim);
    const matched = new Set<number>();
    for (const [i, j] of pairs) {
      clusters[j]!.members.push({ readId: r.readId, lesion: r.lesions[i]! });
      matched.add(i);
    }
    r.lesions.forEach((l, i) => {
      if (!matched.has(i)) clusters.push({ label: '', members: [{ readId: r.readId, lesion: l }] });
    });
  }
  clusters.forEach((c, i) => {
    c.label = `L${i + 1}`;
  });
  return clusters;
}

/** The consensus location of matched marks: the mean of their points (same kind and count), else the first mark's. */
export function mergedPoints(lesions: Lesion[]): [number, number][] {
  const first = lesions[0]!;
  const same = lesions.every((l) => l.kind === first.kind && l.points.length === first.points.length);
  if (!same) return first.points.map((p) => [p[0], p[1]]);
  const round = (x: number) => Math.round(x * 100) / 100;
  if (first.kind === 'box' || first.kind === 'ellipse') {
    // Normalise corners (top-left, bottom-right) before averaging.
    const boxes = lesions.map((l) => bbox(l.points));
    const mean = (k: number) => round(boxes.reduce((s, b) => s + b[k]!, 0) / boxes.length);
    return [
      [mean(0), mean(1)],
      [mean(2), mean(3)],
    ];
  }
  return first.points.map((_, k) => [
    round(lesions.reduce((s, l) => s + l.points[k]![0], 0) / lesions.length),
    round(lesions.reduce((s, l) => s + l.points[k]![1], 0) / lesions.length),
  ]);
}
