/**
 * Outline intersection areas and IoU against Shapely 1.8.5 / GEOS 3.11 (values, tool and call in
 * stats/fixtures/marks/iou.json, written by stats/fixtures/scripts/stats4-iou.py): exact polygons
 * to 1e-9; ellipses (our area-preserving 128-gon against GEOS's near-exact ellipse) to 2e-3.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { intersectionArea, iou, outline } from './geometry.ts';
import type { Mark } from './types.ts';

const fx = JSON.parse(readFileSync(new URL('../fixtures/marks/iou.json', import.meta.url), 'utf8')) as {
  tool: string;
  pairs: { marks: [Mark, Mark]; intersection: number; iou: number; exact: boolean }[];
};

describe(`outline IoU against ${fx.tool}`, () => {
  it(`${fx.pairs.length} pairs (polygons, boxes, ellipses)`, () => {
    expect(fx.pairs.filter((p) => p.iou > 0).length).toBeGreaterThan(20);
    for (const p of fx.pairs) {
      const [a, b] = p.marks.map(outline);
      const j = iou(a, b);
      const tol = p.exact ? 1e-9 : 2e-3;
      if (!(Math.abs(j - p.iou) <= tol)) expect.fail(`${p.marks[0].id}: IoU ${j} vs ${p.iou}`);
      if (p.exact && !(Math.abs(intersectionArea(a, b) - p.intersection) <= 1e-9 * (1 + p.intersection)))
        expect.fail(`${p.marks[0].id}: intersection ${intersectionArea(a, b)} vs ${p.intersection}`);
      // Symmetric.
      expect(Math.abs(iou(b, a) - j)).toBeLessThan(1e-12);
    }
  });
});
