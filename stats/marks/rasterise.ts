/**
 * Outlines to binary masks: pixel (c, r) of a grid covers [x0 + c, x0 + c + 1) × [y0 + r, y0 + r + 1)
 * in image pixel coordinates ((0,0) = top-left corner of the first pixel) and is inside when its
 * centre is: boxes by their extent, ellipses by the exact ellipse equation, polygons by the
 * even–odd rule (scanline crossings at the pixel-centre row).
 */
import { bounds, outline, type Poly } from './geometry.ts';
import { type Mark, MarkError } from './types.ts';

export interface Grid {
  x0: number;
  y0: number;
  width: number;
  height: number;
}

export function rasterise(m: Mark, g: Grid): Uint8Array {
  if (!(Number.isInteger(g.width) && Number.isInteger(g.height) && g.width >= 0 && g.height >= 0)) throw new MarkError('grid width and height must be integers ≥ 0');
  const out = new Uint8Array(g.width * g.height);
  if (m.kind === 'point') throw new MarkError('a point has no outline to rasterise', m.id);
  if (m.kind === 'box' || m.kind === 'ellipse') {
    const [[ax, ay], [bx, by]] = m.points;
    const x0 = Math.min(ax, bx);
    const x1 = Math.max(ax, bx);
    const y0 = Math.min(ay, by);
    const y1 = Math.max(ay, by);
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    const a = (x1 - x0) / 2;
    const b = (y1 - y0) / 2;
    for (let r = 0; r < g.height; r++) {
      const y = g.y0 + r + 0.5;
      if (y < y0 || y > y1) continue;
      for (let c = 0; c < g.width; c++) {
        const x = g.x0 + c + 0.5;
        if (x < x0 || x > x1) continue;
        if (m.kind === 'box') out[r * g.width + c] = 1;
        else if (a > 0 && b > 0 && ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 <= 1) out[r * g.width + c] = 1;
      }
    }
    return out;
  }
  const p = outline(m);
  const xs: number[] = [];
  for (let r = 0; r < g.height; r++) {
    const y = g.y0 + r + 0.5;
    xs.length = 0;
    for (let i = 0, j = p.length - 1; i < p.length; j = i++) {
      const [xi, yi] = p[i];
      const [xj, yj] = p[j];
      if (yi > y !== yj > y) xs.push(xi + ((y - yi) / (yj - yi)) * (xj - xi));
    }
    xs.sort((u, v) => u - v);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const from = Math.max(0, Math.ceil(xs[k] - g.x0 - 0.5));
      const to = Math.min(g.width - 1, Math.floor(xs[k + 1] - g.x0 - 0.5));
      for (let c = from; c <= to; c++) out[r * g.width + c] = 1;
    }
  }
  return out;
}

/** The smallest integer grid holding every outline, widened by `margin` pixels on each side. */
export function gridAround(marks: readonly Mark[], margin = 0): Grid {
  if (marks.length === 0) return { x0: 0, y0: 0, width: 0, height: 0 };
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const m of marks) {
    // Boxes and ellipses by their corners (an ellipse's polygon reaches slightly beyond its box).
    const [a, b, c, d] = bounds(m.kind === 'polygon' ? outline(m) : (m.points as Poly));
    x0 = Math.min(x0, a);
    y0 = Math.min(y0, b);
    x1 = Math.max(x1, c);
    y1 = Math.max(y1, d);
  }
  const gx = Math.floor(x0) - margin;
  const gy = Math.floor(y0) - margin;
  return { x0: gx, y0: gy, width: Math.ceil(x1) + margin - gx, height: Math.ceil(y1) + margin - gy };
}
