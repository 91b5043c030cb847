/**
 * Lesion matching: edge cases (one-to-many, ties, no pixel spacing, empty readers)
 * and properties (the Hungarian matching is optimal against brute force; the result does not
 * depend on input order).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { area, intersectionArea, iou, outline } from './geometry.ts';
import { maxWeightMatching } from './hungarian.ts';
import { matchLesions, matchTwo, pairScore } from './match.ts';
import type { ImageRef, Mark } from './types.ts';

const img = { sopInstanceUid: '1.2.3', frame: 1 };
const pt = (id: string, x: number, y: number, image: ImageRef = img): Mark => ({ id, kind: 'point', image, points: [[x, y]] });
const box = (id: string, x0: number, y0: number, x1: number, y1: number): Mark => ({
  id,
  kind: 'box',
  image: img,
  points: [
    [x0, y0],
    [x1, y1],
  ],
});
const ids = (r: ReturnType<typeof matchLesions>) => r.clusters.map((c) => c.marks.map((m) => m.mark.id).join('+'));

describe('matchLesions', () => {
  it('matches points within the radius in mm using DICOM [row, column] spacing', () => {
    // 10 px apart along x: 10 × 0.5 mm = 5 mm (column spacing), along y 10 × 2 mm = 20 mm.
    const r = matchLesions({
      readers: [
        { readerKey: 'A', marks: [pt('a1', 100, 100), pt('a2', 300, 300)] },
        { readerKey: 'B', marks: [pt('b1', 110, 100), pt('b2', 300, 310)] },
      ],
      rule: { radiusMm: 6, radiusPx: 50 },
      pixelSpacing: [2, 0.5],
    });
    expect(ids(r)).toEqual(['a1+b1', 'a2', 'b2']);
    expect(r.clusters[0].pairs[0]).toMatchObject({ distance: 5, unit: 'mm' });
    expect(r.clusters[0].pairs[0].affinity).toBeCloseTo(1 / 6, 12);
    expect(r.clusters[1]).toMatchObject({ foundBy: ['A'], missedBy: ['B'] });
  });

  it('falls back to the radius in px when the pixel spacing is unknown, and says it needs one otherwise', () => {
    const readers = [
      { readerKey: 'A', marks: [pt('a1', 100, 100)] },
      { readerKey: 'B', marks: [pt('b1', 100, 120)] },
    ];
    const r = matchLesions({ readers, rule: { radiusMm: 5, radiusPx: 25 } });
    expect(ids(r)).toEqual(['a1+b1']);
    expect(r.clusters[0].pairs[0]).toMatchObject({ distance: 20, unit: 'px' });
    // Per-image spacing: known for this image → mm (20 px × 1 mm = 20 mm > 5 mm).
    expect(ids(matchLesions({ readers, rule: { radiusMm: 5, radiusPx: 25 }, pixelSpacing: () => [1, 1] }))).toEqual(['a1', 'b1']);
    expect(() => matchLesions({ readers, rule: { radiusMm: 5 } })).toThrow(/no pixel spacing and the rule has no radiusPx/);
  });

  it('one-to-many: one large box against two small ones keeps one match, the better one', () => {
    const r = matchLesions({
      readers: [
        { readerKey: 'A', marks: [box('a1', 0, 0, 100, 100)] },
        { readerKey: 'B', marks: [box('b1', 0, 0, 60, 100), box('b2', 30, 0, 100, 100)] },
      ],
      rule: { minIoU: 0.5 },
    });
    // IoU(a1, b1) = 0.6, IoU(a1, b2) = 0.7
    expect(ids(r)).toEqual(['a1+b2', 'b1']);
    expect(r.clusters[0].pairs[0].iou).toBeCloseTo(0.7, 12);
  });

  it('prefers more matches over a higher total affinity (optimal, not greedy)', () => {
    // Greedy would pair a1–b1 (closest) and leave a2 and b2 unmatched.
    const r = matchLesions({
      readers: [
        { readerKey: 'A', marks: [pt('a1', 10, 0), pt('a2', 0, 0)] },
        { readerKey: 'B', marks: [pt('b1', 12, 0), pt('b2', 20, 0)] },
      ],
      rule: { radiusPx: 12 },
    });
    expect(ids(r).sort()).toEqual(['a1+b2', 'a2+b1']);
  });

  it('ties go to the lower mark id, whatever the input order', () => {
    const a = { readerKey: 'A', marks: [pt('a1', 10, 10)] };
    const b1 = pt('b1', 5, 10);
    const b2 = pt('b2', 15, 10);
    for (const marks of [
      [b1, b2],
      [b2, b1],
    ]) {
      const r = matchLesions({ readers: [{ readerKey: 'B', marks }, a], rule: { radiusPx: 10 } });
      expect(ids(r)).toEqual(['a1+b1', 'b2']);
    }
  });

  it('empty readers are listed as missing every lesion; no readers, no lesions', () => {
    const r = matchLesions({
      readers: [
        { readerKey: 'B', marks: [] },
        { readerKey: 'A', marks: [pt('a1', 1, 1)] },
      ],
      rule: { radiusPx: 5 },
    });
    expect(r.readers).toEqual(['A', 'B']);
    expect(r.clusters).toMatchObject([{ foundBy: ['A'], missedBy: ['B'] }]);
    expect(matchLesions({ readers: [], rule: { radiusPx: 5 } })).toEqual({ readers: [], clusters: [] });
  });

  it('matches per image only', () => {
    const other = { url: '/x.png' };
    const r = matchLesions({
      readers: [
        { readerKey: 'A', marks: [pt('a1', 1, 1)] },
        { readerKey: 'B', marks: [pt('b1', 1, 1, other)] },
      ],
      rule: { radiusPx: 5 },
    });
    expect(r.clusters.map((c) => [c.imageKey, c.foundBy])).toEqual([
      ['sop:1.2.3#1', ['A']],
      ['url:/x.png', ['B']],
    ]);
  });

  it('three readers: a lesion holds one mark per reader, each within the rule of all others', () => {
    const r = matchLesions({
      readers: [
        { readerKey: 'A', marks: [pt('a1', 0, 0)] },
        { readerKey: 'B', marks: [pt('b1', 8, 0)] },
        // 16 px from a1: within 10 of b1 but not of a1 → its own lesion.
        { readerKey: 'C', marks: [pt('c1', 16, 0), pt('c2', 2, 0)] },
      ],
      rule: { radiusPx: 10 },
    });
    expect(ids(r)).toEqual(['a1+b1+c2', 'c1']);
    expect(r.clusters[0].pairs.map((p) => p.readers.join(''))).toEqual(['AB', 'AC', 'BC']);
  });

  it('names the mark when its points do not fit its kind, and refuses repeated ids', () => {
    const bad = { id: 'x', kind: 'box', image: img, points: [[1, 1]] } as Mark;
    expect(() => matchLesions({ readers: [{ readerKey: 'A', marks: [bad] }], rule: { minIoU: 0.5 } })).toThrow('mark x: box has 1 point(s)');
    expect(() => matchLesions({ readers: [{ readerKey: 'A', marks: [pt('p', 1, 1), pt('p', 2, 2)] }], rule: { radiusPx: 1 } })).toThrow(/id repeated/);
  });
});

describe('geometry', () => {
  it('exact areas for boxes, ellipses (area-preserving polygon) and non-convex polygons', () => {
    expect(area(outline(box('b', 10, 20, 0, 0)))).toBe(200);
    const e: Mark = {
      id: 'e',
      kind: 'ellipse',
      image: img,
      points: [
        [0, 0],
        [20, 10],
      ],
    };
    expect(area(outline(e))).toBeCloseTo(Math.PI * 10 * 5, 9);
    const L: Mark = {
      id: 'l',
      kind: 'polygon',
      image: img,
      points: [
        [0, 0],
        [2, 0],
        [2, 1],
        [1, 1],
        [1, 2],
        [0, 2],
      ],
    };
    const L2: Mark = {
      id: 'l2',
      kind: 'polygon',
      image: img,
      points: [
        [0, 0],
        [0, 2],
        [1, 2],
        [1, 1],
        [2, 1],
        [2, 0],
      ],
    };
    expect(intersectionArea(outline(L), outline(L2))).toBeCloseTo(3, 12);
    expect(iou(outline(L), outline(L2))).toBeCloseTo(1, 12);
    // L against its mirror (a U-turned L): the overlap is the two unit squares on the diagonal... computed by hand: 2.
    const M: Mark = {
      id: 'm',
      kind: 'polygon',
      image: img,
      points: [
        [0, 0],
        [2, 0],
        [2, 2],
        [1, 2],
        [1, 1],
        [0, 1],
      ],
    };
    expect(intersectionArea(outline(L), outline(M))).toBeCloseTo(2, 12);
  });
});

// ---------------------------------------------------------------- properties
function brute(w: (number | null)[][], m: number): [number, number] {
  let best: [number, number] = [0, 0];
  const used = new Array<boolean>(m).fill(false);
  const go = (i: number, count: number, total: number) => {
    if (i === w.length) {
      if (count > best[0] || (count === best[0] && total > best[1] + 1e-12)) best = [count, total];
      return;
    }
    go(i + 1, count, total);
    for (let j = 0; j < m; j++)
      if (!used[j] && w[i][j] !== null) {
        used[j] = true;
        go(i + 1, count + 1, total + w[i][j]!);
        used[j] = false;
      }
  };
  go(0, 0, 0);
  return best;
}

describe('properties', () => {
  it('the Hungarian matching is optimal: as many pairs and as much total weight as brute force', () => {
    const matrix = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 })).chain(([n, m]) =>
      fc.tuple(
        fc.array(
          fc.array(
            fc.option(
              fc.integer({ min: 0, max: 4 }).map((x) => x / 4),
              { nil: null, freq: 3 },
            ),
            { minLength: m, maxLength: m },
          ),
          {
            minLength: n,
            maxLength: n,
          },
        ),
        fc.constant(m),
      ),
    );
    fc.assert(
      fc.property(matrix, ([w, m]) => {
        const a = maxWeightMatching(w, m);
        let count = 0;
        let total = 0;
        const cols = new Set<number>();
        a.forEach((j, i) => {
          if (j >= 0) {
            expect(w[i][j]).not.toBeNull();
            expect(cols.has(j)).toBe(false);
            cols.add(j);
            count++;
            total += w[i][j]!;
          }
        });
        const [bc, bt] = brute(w, m);
        expect(count).toBe(bc);
        expect(total).toBeCloseTo(bt, 9);
      }),
      { numRuns: 400 },
    );
  });

  const markArb = (prefix: string) =>
    fc
      .uniqueArray(fc.record({ n: fc.integer({ min: 0, max: 99 }), x: fc.integer({ min: 0, max: 40 }), y: fc.integer({ min: 0, max: 40 }), w: fc.integer({ min: 0, max: 12 }) }), {
        maxLength: 5,
        selector: (r) => r.n,
      })
      .map((rs) => rs.map((r): Mark => (r.w === 0 ? pt(`${prefix}${r.n}`, r.x, r.y) : box(`${prefix}${r.n}`, r.x, r.y, r.x + r.w, r.y + r.w))));

  it('two readers: matchLesions finds as many pairs and as much affinity as brute force, whatever the input order', () => {
    const rule = { radiusPx: 8, minIoU: 0.3 };
    fc.assert(
      fc.property(markArb('a'), markArb('b'), fc.boolean(), (a, b, flip) => {
        const readers = [
          { readerKey: 'A', marks: a },
          { readerKey: 'B', marks: b },
        ];
        const r = matchLesions({ readers, rule });
        const shuffled = matchLesions({ readers: (flip ? readers.slice().reverse() : readers).map((x) => ({ ...x, marks: x.marks.slice().reverse() })), rule });
        expect(ids(shuffled)).toEqual(ids(r));
        const pairs = r.clusters.filter((c) => c.marks.length === 2);
        const [bc, bt] = brute(
          a.map((x) => b.map((y) => pairScore(x, y, rule)?.affinity ?? null)),
          b.length,
        );
        expect(matchTwo(a, b, rule).pairs.length).toBe(bc);
        expect(pairs.length).toBe(bc);
        expect(pairs.reduce((s, c) => s + c.pairs[0].affinity, 0)).toBeCloseTo(bt, 9);
        // Every mark appears exactly once.
        expect(r.clusters.flatMap((c) => c.marks.map((m) => m.mark.id)).sort()).toEqual([...a, ...b].map((m) => m.id).sort());
      }),
      { numRuns: 300 },
    );
  });

  it('three or four readers: one mark per reader per lesion, every pair within the rule, every mark once, input order irrelevant', () => {
    const rule = { radiusPx: 8, minIoU: 0.3 };
    fc.assert(
      fc.property(fc.array(markArb('m'), { minLength: 3, maxLength: 4 }), (lists) => {
        const readers = lists.map((marks, i) => ({ readerKey: `R${i}`, marks: marks.map((m) => ({ ...m, id: `${i}-${m.id}` })) }));
        const r = matchLesions({ readers, rule });
        for (const c of r.clusters) {
          expect(new Set(c.foundBy).size).toBe(c.foundBy.length);
          for (let i = 0; i < c.marks.length; i++) for (let j = i + 1; j < c.marks.length; j++) expect(pairScore(c.marks[i].mark, c.marks[j].mark, rule)).not.toBeNull();
          expect([...c.foundBy, ...c.missedBy].sort()).toEqual(r.readers);
        }
        expect(r.clusters.flatMap((c) => c.marks.map((m) => m.mark.id)).sort()).toEqual(readers.flatMap((x) => x.marks.map((m) => m.id)).sort());
        const shuffled = matchLesions({
          readers: readers
            .slice()
            .reverse()
            .map((x) => ({ ...x, marks: x.marks.slice().reverse() })),
          rule,
        });
        expect(ids(shuffled)).toEqual(ids(r));
      }),
      { numRuns: 200 },
    );
  });
});

describe('maxWeightMatching fast path', () => {
  it('one row or one column gives what the general algorithm gives (padding with a dead row/column)', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }), { minLength: 1, maxLength: 6 }), (row) => {
        const fast = maxWeightMatching([row], row.length);
        // Two rows (the second never admissible) takes the general path.
        const general = maxWeightMatching([row, row.map(() => null)], row.length);
        expect(fast[0]).toBe(general[0]);
        const col = maxWeightMatching(
          row.map((w) => [w]),
          1,
        );
        const colGeneral = maxWeightMatching(
          row.map((w) => [w, null]),
          2,
        );
        expect(Array.from(col)).toEqual(Array.from(colGeneral));
      }),
      { numRuns: 300 },
    );
  });
});
