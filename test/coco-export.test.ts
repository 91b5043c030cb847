/**
 * formats/coco.ts: a project's lesions written as one COCO file read back to the same lesions by
 * the COCO reader (cocoCasesToLesions) and placed by the marks import's reader (readCoco) on the
 * same images and cases; points and ellipses, which COCO cannot hold, counted as left out.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { casesToCoco, cocoCasesToLesions } from '../formats/coco.ts';
import { readCoco } from '../formats/marks-import.ts';
import type { Lesion } from '../workflows/marks.ts';

const box = (id: string, url: string, x: number, y: number, type: string): Lesion => ({
  id,
  kind: 'box',
  image: { url },
  points: [
    [x, y],
    [x + 40, y + 25.5],
  ],
  answers: { type, birads: '4' },
});
const poly = (id: string, url: string): Lesion => ({
  id,
  kind: 'polygon',
  image: { url },
  points: [
    [10, 10],
    [60, 12],
    [35, 70.25],
  ],
  answers: { type: 'mass', birads: '5', spiculated: true },
});

describe('COCO export of a project’s lesions', () => {
  const cases = [
    {
      caseId: 'acc-1',
      images: [{ url: '/img/a/lcc.png', width: 800, height: 1000 }, { url: '/img/a/rcc.png' }],
      lesions: [box('L1', '/img/a/lcc.png', 100, 200, 'mass'), poly('L2', '/img/a/rcc.png')],
    },
    { caseId: 'acc-2', images: [{ url: '/img/b/lcc.png' }], lesions: [box('L1', '/img/b/lcc.png', 5, 6, 'calcification')] },
    {
      caseId: 'acc-3',
      images: [{ url: '/img/c/lcc.png' }],
      lesions: [
        { id: 'P', kind: 'point', image: { url: '/img/c/lcc.png' }, points: [[1, 2]], answers: { type: 'mass' } } as Lesion,
        {
          id: 'E',
          kind: 'ellipse',
          image: { url: '/img/c/lcc.png' },
          points: [
            [1, 2],
            [3, 4],
          ],
          answers: { type: 'mass' },
        } as Lesion,
        box('X', '/img/elsewhere.png', 1, 1, 'mass'),
      ],
    },
  ];
  const coco = casesToCoco({ cases, categoryField: 'type', description: 'test', now: new Date('2026-01-01T00:00:00Z') });

  it('writes images with their case id and size when known, categories from the lesion field, and counts what COCO cannot hold', () => {
    expect(coco.images).toEqual([
      { id: 1, file_name: '/img/a/lcc.png', case_id: 'acc-1', width: 800, height: 1000 },
      { id: 2, file_name: '/img/a/rcc.png', case_id: 'acc-1' },
      { id: 3, file_name: '/img/b/lcc.png', case_id: 'acc-2' },
      { id: 4, file_name: '/img/c/lcc.png', case_id: 'acc-3' },
    ]);
    expect(coco.categories).toEqual([
      { id: 1, name: 'calcification' },
      { id: 2, name: 'mass' },
    ]);
    expect(coco.annotations.map((a) => [a.image_id, a.category_id, a.bbox, a.area])).toEqual([
      [1, 2, [100, 200, 40, 25.5], 1020],
      // Shoelace: (120 − 600) + (4215 − 420) + (350 − 702.5) = 2962.5, halved.
      [2, 2, [10, 10, 50, 60.25], 1481.25],
      [3, 1, [5, 6, 40, 25.5], 1020],
    ]);
    expect(coco.info.left_out).toEqual({ points: 1, ellipses: 1, unplaced: 1 });
  });

  it('reads back to the same lesions per case (import(export(x)) = x for boxes and outlines)', () => {
    const back = cocoCasesToLesions(JSON.stringify(coco), 'type');
    expect(back.get('acc-1')).toEqual(cases[0]!.lesions);
    expect(back.get('acc-2')).toEqual(cases[1]!.lesions);
    expect(back.has('acc-3')).toBe(false);
  });

  it('the marks import reads the file to the same lesions on the same images and cases (the category as its answer `category`)', () => {
    const file = readCoco(JSON.stringify(coco));
    expect(file.lesions.map((l) => [l.caseId, l.fileName, l.lesion.id, l.lesion.kind, l.lesion.points])).toEqual([
      ...cases[0]!.lesions.map((l) => ['acc-1', l.image.url, l.id, l.kind, l.points]),
      ...cases[1]!.lesions.map((l) => ['acc-2', l.image.url, l.id, l.kind, l.points]),
    ]);
    const { type, ...rest } = cases[0]!.lesions[1]!.answers;
    expect(file.lesions[1]!.lesion.answers).toEqual({ ...rest, category: type });
  });

  it('round-trips any boxes and polygons (property)', () => {
    const pt = fc.tuple(fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 0, max: 4000 })).map(([x, y]) => [x / 4, y / 4] as [number, number]);
    const lesion = fc.oneof(
      fc.tuple(pt, fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 400 })).map(([[x, y], w, h]) => ({
        kind: 'box' as const,
        points: [
          [x, y],
          [x + w, y + h],
        ] as [number, number][],
      })),
      fc.array(pt, { minLength: 3, maxLength: 8 }).map((points) => ({ kind: 'polygon' as const, points })),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(lesion, fc.constantFrom('mass', 'calcification', 'lesion-free')), { minLength: 1, maxLength: 6 }), (ls) => {
        const lesions: Lesion[] = ls.map(([l, type], i) => ({ id: `L${i + 1}`, image: { url: '/i.png' }, answers: { type, birads: String(1 + (i % 5)) }, ...l }));
        const out = cocoCasesToLesions(
          JSON.stringify(casesToCoco({ cases: [{ caseId: 'c', images: [{ url: '/i.png' }], lesions }], categoryField: 'type', description: '' })),
          'type',
        );
        expect(out.get('c')).toEqual(lesions);
      }),
      { numRuns: 200 },
    );
  });
});
