/**
 * Plane geometry of marks in image pixel coordinates: outlines as polygons, exact areas and
 * intersection areas, centres.
 *
 * Intersection of two polygons: Sutherland–Hodgman clipping is exact when the clip polygon is
 * convex (boxes and ellipses are). When neither is convex the second is ear-clipped into
 * triangles and the clipped areas are summed (|P ∩ Q| = Σ_t |P ∩ t|), which stays exact for simple
 * polygons. An ellipse is an area-preserving regular 128-gon in its bounding box (vertex radius
 * scaled so the polygon's area is exactly πab); its IoU against the true ellipse is > 0.9997.
 */
import { type Mark, MarkError } from './types.ts';

export type Pt = [number, number];
export type Poly = Pt[];

export const ELLIPSE_VERTICES = 128;

export function signedArea(p: Poly): number {
  let s = 0;
  for (let i = 0, j = p.length - 1; i < p.length; j = i++) s += p[j][0] * p[i][1] - p[i][0] * p[j][1];
  return s / 2;
}
export const area = (p: Poly) => Math.abs(signedArea(p));

function ccw(p: Poly): Poly {
  return signedArea(p) < 0 ? p.slice().reverse() : p;
}

export function bounds(p: Poly): [number, number, number, number] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of p) {
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return [x0, y0, x1, y1];
}

/** The outline of a box, ellipse or polygon mark (counter-clockwise in x-right / y-up terms). */
export function outline(m: Mark): Poly {
  if (m.kind === 'point') throw new MarkError('a point has no outline', m.id);
  if (m.kind === 'polygon') return ccw(m.points.map(([x, y]) => [x, y] as Pt));
  const [[ax, ay], [bx, by]] = m.points;
  const x0 = Math.min(ax, bx);
  const x1 = Math.max(ax, bx);
  const y0 = Math.min(ay, by);
  const y1 = Math.max(ay, by);
  if (m.kind === 'box')
    return [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
    ];
  const n = ELLIPSE_VERTICES;
  const k = Math.sqrt((2 * Math.PI) / n / Math.sin((2 * Math.PI) / n));
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const a = ((x1 - x0) / 2) * k;
  const b = ((y1 - y0) / 2) * k;
  const out: Poly = [];
  for (let i = 0; i < n; i++) {
    const t = (2 * Math.PI * i) / n;
    out.push([cx + a * Math.cos(t), cy + b * Math.sin(t)]);
  }
  return out;
}

/** Centre of a mark: the point, the bounding-box centre of a box or ellipse, the area centroid of a polygon. */
export function centre(m: Mark): Pt {
  if (m.kind === 'point') return [m.points[0][0], m.points[0][1]];
  if (m.kind !== 'polygon') return [(m.points[0][0] + m.points[1][0]) / 2, (m.points[0][1] + m.points[1][1]) / 2];
  const p = m.points;
  const a = signedArea(p as Poly);
  if (Math.abs(a) < 1e-12) {
    const sx = p.reduce((s, q) => s + q[0], 0);
    const sy = p.reduce((s, q) => s + q[1], 0);
    return [sx / p.length, sy / p.length];
  }
  let cx = 0;
  let cy = 0;
  for (let i = 0, j = p.length - 1; i < p.length; j = i++) {
    const c = p[j][0] * p[i][1] - p[i][0] * p[j][1];
    cx += (p[j][0] + p[i][0]) * c;
    cy += (p[j][1] + p[i][1]) * c;
  }
  return [cx / (6 * a), cy / (6 * a)];
}

export function isConvex(p: Poly): boolean {
  let sign = 0;
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const a = p[i];
    const b = p[(i + 1) % n];
    const c = p[(i + 2) % n];
    const z = (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0]);
    if (z !== 0) {
      const s = Math.sign(z);
      if (sign === 0) sign = s;
      else if (s !== sign) return false;
    }
  }
  return true;
}

/** Sutherland–Hodgman: subject (any simple polygon) clipped by a convex counter-clockwise polygon. */
export function clipConvex(subject: Poly, clip: Poly): Poly {
  let out = subject;
  for (let i = 0; i < clip.length && out.length > 0; i++) {
    const a = clip[i];
    const b = clip[(i + 1) % clip.length];
    const side = (p: Pt) => (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
    const input = out;
    out = [];
    for (let k = 0; k < input.length; k++) {
      const cur = input[k];
      const prev = input[(k + input.length - 1) % input.length];
      const sc = side(cur);
      const sp = side(prev);
      if (sc >= 0) {
        if (sp < 0) out.push(cross(prev, cur, sp, sc));
        out.push(cur);
      } else if (sp >= 0) out.push(cross(prev, cur, sp, sc));
    }
  }
  return out;
}
function cross(p: Pt, q: Pt, sp: number, sq: number): Pt {
  const t = sp / (sp - sq);
  return [p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])];
}

/** Drops repeated and collinear vertices (they are never ears and would stall ear clipping). */
function simplify(p: Poly): Poly {
  let out = p;
  for (let changed = true; changed && out.length > 3; ) {
    changed = false;
    const next: Poly = [];
    for (let i = 0; i < out.length; i++) {
      const a = next.length ? next[next.length - 1] : out[out.length - 1];
      const b = out[i];
      const c = out[(i + 1) % out.length];
      if ((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]) === 0) changed = true;
      else next.push(b);
    }
    out = next;
  }
  return out;
}

/** Ear clipping of a simple counter-clockwise polygon into triangles. */
export function triangulate(poly: Poly): Poly[] {
  const p = simplify(ccw(poly));
  const idx = p.map((_, i) => i);
  const tris: Poly[] = [];
  const orient = (a: Pt, b: Pt, c: Pt) => (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
  let guard = 0;
  while (idx.length > 3 && guard++ < 10 * p.length * p.length) {
    let cut = -1;
    for (let i = 0; i < idx.length && cut < 0; i++) {
      const a = p[idx[(i + idx.length - 1) % idx.length]];
      const b = p[idx[i]];
      const c = p[idx[(i + 1) % idx.length]];
      if (orient(a, b, c) <= 0) continue;
      let inside = false;
      for (const j of idx) {
        const q = p[j];
        if (q === a || q === b || q === c) continue;
        if (orient(a, b, q) >= 0 && orient(b, c, q) >= 0 && orient(c, a, q) >= 0) {
          inside = true;
          break;
        }
      }
      if (!inside) cut = i;
    }
    // A self-intersecting freehand outline may have no ear: cut the first vertex anyway.
    if (cut < 0) cut = 0;
    const i = cut;
    tris.push([p[idx[(i + idx.length - 1) % idx.length]], p[idx[i]], p[idx[(i + 1) % idx.length]]]);
    idx.splice(i, 1);
  }
  if (idx.length === 3) tris.push([p[idx[0]], p[idx[1]], p[idx[2]]]);
  return tris.filter((t) => signedArea(t) > 0);
}

export function intersectionArea(a: Poly, b: Poly): number {
  const [ax0, ay0, ax1, ay1] = bounds(a);
  const [bx0, by0, bx1, by1] = bounds(b);
  if (ax1 <= bx0 || bx1 <= ax0 || ay1 <= by0 || by1 <= ay0) return 0;
  const A = ccw(a);
  const B = ccw(b);
  if (isConvex(B)) return area(clipConvex(A, B));
  if (isConvex(A)) return area(clipConvex(B, A));
  let s = 0;
  for (const t of triangulate(B)) s += area(clipConvex(A, t));
  return s;
}

/** Intersection over union of two outlines; 0 when both are empty. */
export function iou(a: Poly, b: Poly): number {
  const i = intersectionArea(a, b);
  const u = area(a) + area(b) - i;
  return u > 0 ? Math.min(1, i / u) : 0;
}

/** Dice = 2|A∩B| / (|A| + |B|) = 2 IoU / (1 + IoU). */
export const diceFromIoU = (j: number) => (2 * j) / (1 + j);
