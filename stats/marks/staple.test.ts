/**
 * STAPLE against ITK 5.2.1's STAPLEImageFilter (values, tool and call in
 * stats/fixtures/marks/staple.json, written by stats/fixtures/scripts/stats4-staple.ts through
 * bench/reference/staple-itk.cxx), and the rasteriser on hand-counted cases.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gridAround, rasterise } from './rasterise.ts';
import { staple } from './staple.ts';
import type { Mark } from './types.ts';

interface Fx {
  tool: string;
  cases: {
    name: string;
    marks: Mark[] | null;
    grid: { x0: number; y0: number; width: number; height: number };
    masksRle: number[][];
    expected: { iterations: number; consensusCount: number; sensitivity: number[]; specificity: number[]; wByPattern: Record<string, number> };
  }[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/marks/staple.json', import.meta.url), 'utf8')) as Fx;

function unRle(runs: number[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let i = 0;
  runs.forEach((len, k) => {
    if (k % 2 === 1) out.fill(1, i, i + len);
    i += len;
  });
  expect(i).toBe(n);
  return out;
}

describe(`STAPLE against ${fx.tool}`, () => {
  for (const c of fx.cases)
    it(c.name, () => {
      const n = c.grid.width * c.grid.height;
      const masks = c.masksRle.map((r) => unRle(r, n));
      if (c.marks) c.marks.forEach((m, k) => expect(Array.from(rasterise(m, c.grid))).toEqual(Array.from(masks[k])));
      const r = staple(masks);
      expect(r.iterations).toBe(c.expected.iterations);
      r.sensitivity.forEach((s, k) => expect(Math.abs(s! - c.expected.sensitivity[k])).toBeLessThan(1e-12));
      r.specificity.forEach((s, k) => expect(Math.abs(s! - c.expected.specificity[k])).toBeLessThan(1e-12));
      for (let i = 0; i < n; i++) {
        const pattern = masks.map((m) => m[i]).join('');
        expect(Math.abs(r.probability[i] - c.expected.wByPattern[pattern])).toBeLessThan(1e-12);
      }
      expect(r.consensus.reduce((s, v) => s + v, 0)).toBe(c.expected.consensusCount);
    });
});

describe('rasterise', () => {
  const image = { url: 'x.png' };
  const grid = { x0: 0, y0: 0, width: 6, height: 5 };
  const count = (m: Uint8Array) => m.reduce((s, v) => s + v, 0);
  it('a box holds the pixels whose centres it covers', () => {
    const m = rasterise(
      {
        id: 'b',
        kind: 'box',
        image,
        points: [
          [1, 1],
          [4, 3],
        ],
      },
      grid,
    );
    expect(count(m)).toBe(6);
    expect(m[1 * 6 + 1]).toBe(1);
    expect(m[3 * 6 + 1]).toBe(0);
  });
  it('a triangle by the even–odd rule, an ellipse by its equation', () => {
    // Right triangle (0,0)-(6,0)-(0,6): centres (c+.5, r+.5) with c + r + 1 ≤ 6 → rows 0..4 hold 6,5,4,3,2 (edge centres inside).
    const t: Mark = {
      id: 't',
      kind: 'polygon',
      image,
      points: [
        [0, 0],
        [6, 0],
        [0, 6],
      ],
    };
    expect(count(rasterise(t, grid))).toBe(6 + 5 + 4 + 3 + 2);
    const e: Mark = {
      id: 'e',
      kind: 'ellipse',
      image,
      points: [
        [0, 0],
        [6, 4],
      ],
    };
    // a = 3, b = 2 centred (3,2): rows y=.5,1.5,2.5,3.5 → |x−3| ≤ 3√(1 − ((y−2)/2)²): 1.98, 2.90, 2.90, 1.98 → 4, 6, 6, 4
    expect(count(rasterise(e, grid))).toBe(20);
  });
  it('gridAround covers every outline with the margin', () => {
    expect(
      gridAround(
        [
          {
            id: 'b',
            kind: 'box',
            image,
            points: [
              [1.5, 2],
              [4, 3.2],
            ],
          },
        ],
        2,
      ),
    ).toEqual({ x0: -1, y0: 0, width: 7, height: 6 });
  });
});

describe('staple edge cases', () => {
  it('identical raters: perfect sensitivity and specificity, W equals the masks', () => {
    const m = Uint8Array.from([0, 1, 1, 0, 1]);
    const r = staple([m, m.slice()]);
    expect(r.sensitivity).toEqual([1, 1]);
    expect(r.specificity).toEqual([1, 1]);
    expect(Array.from(r.consensus)).toEqual(Array.from(m));
  });
  it('refuses masks of different sizes', () => {
    expect(() => staple([new Uint8Array(3), new Uint8Array(4)])).toThrow(/same size/);
  });
});

describe('stapleLesion', () => {
  it('rasterises the outlines of a matched lesion around their union and runs STAPLE', async () => {
    const { matchLesions } = await import('./match.ts');
    const image = { url: 'x.png' };
    const e = (id: string, x0: number, x1: number): Mark => ({
      id,
      kind: 'ellipse',
      image,
      points: [
        [x0, 10],
        [x1, 40],
      ],
    });
    const m = matchLesions({
      readers: [
        { readerKey: 'A', marks: [e('a', 10, 40)] },
        { readerKey: 'B', marks: [e('b', 12, 42)] },
        { readerKey: 'C', marks: [e('c', 11, 38)] },
      ],
      rule: { minIoU: 0.5 },
    });
    const { stapleLesion } = await import('./staple.ts');
    const s = stapleLesion(m.clusters[0], { margin: 5 });
    expect(s.readers).toEqual(['A', 'B', 'C']);
    expect(s.grid).toEqual({ x0: 5, y0: 5, width: 42, height: 40 });
    const masks = m.clusters[0].marks.map((x) => rasterise(x.mark, s.grid));
    expect(s.sensitivity).toEqual(staple(masks).sensitivity);
    expect(s.consensusPixels).toBeGreaterThan(0);
    expect(() => stapleLesion({ marks: [m.clusters[0].marks[0]] })).toThrow(/two outlines/);
  });
});
