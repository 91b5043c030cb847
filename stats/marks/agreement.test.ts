/**
 * Agreement by location: detection counts, the answers on matched lesions handed to
 * stats/categorical (Cohen κ checked by hand), and outline overlap with its bootstrap CI.
 */
import { describe, expect, it } from 'vitest';
import { categoricalAgreement } from '../categorical/agreement.ts';
import { detectionAgreement, matchedAnswers, outlineOverlap } from './agreement.ts';
import { matchLesions } from './match.ts';
import type { Mark } from './types.ts';

const pt = (id: string, x: number, y: number, label: string, url = 'a.png'): Mark => ({ id, kind: 'point', image: { url }, points: [[x, y]], label });
const box = (id: string, x0: number, y0: number, x1: number, y1: number, url: string): Mark => ({
  id,
  kind: 'box',
  image: { url },
  points: [
    [x0, y0],
    [x1, y1],
  ],
});

describe('detectionAgreement', () => {
  it('counts lesions by how many readers found them and the positive specific agreement per pair', () => {
    const m = matchLesions({
      readers: [
        { readerKey: 'A', marks: [pt('a1', 0, 0, 'x'), pt('a2', 100, 0, 'x'), pt('a3', 200, 0, 'x')] },
        { readerKey: 'B', marks: [pt('b1', 1, 0, 'x'), pt('b2', 101, 0, 'x')] },
        { readerKey: 'C', marks: [pt('c1', 2, 0, 'x'), pt('c9', 300, 0, 'x')] },
      ],
      rule: { radiusPx: 5 },
    });
    const d = detectionAgreement(m);
    expect(d.lesions).toBe(4);
    expect(d.byCount).toEqual([2, 1, 1]);
    expect(d.foundByAll).toBe(0.25);
    expect(d.perReader).toEqual([
      { reader: 'A', found: 3, missed: 1 },
      { reader: 'B', found: 2, missed: 2 },
      { reader: 'C', found: 2, missed: 2 },
    ]);
    // A–B: both 2, only A 1 → 4 / 5.
    expect(d.pairs[0]).toEqual({ readers: ['A', 'B'], both: 2, onlyFirst: 1, onlySecond: 0, positiveAgreement: 0.8 });
  });
});

describe('matchedAnswers', () => {
  it('gives stats/categorical the answers on lesions both readers found (Cohen κ by hand)', () => {
    // 6 matched lesions: A/B answers (x,x) (x,x) (y,y) (y,x) (x,x) (y,y); one lesion only A found.
    const A = ['x', 'x', 'y', 'y', 'x', 'y'];
    const B = ['x', 'x', 'y', 'x', 'x', 'y'];
    const m = matchLesions({
      readers: [
        { readerKey: 'A', marks: [...A.map((l, i) => pt(`a${i}`, i * 50, 0, l)), pt('a9', 999, 0, 'y')] },
        { readerKey: 'B', marks: B.map((l, i) => pt(`b${i}`, i * 50 + 1, 0, l)) },
      ],
      rule: { radiusPx: 5 },
    });
    const r = matchedAnswers(m, (_, mark) => mark.label ?? null);
    expect(r.caseIds.length).toBe(6);
    const rep = categoricalAgreement(r);
    const kappa = rep.statistics.find((s) => s.id === 'cohen_kappa')!.value!;
    // po = 5/6; pA(x) = 3/6, pB(x) = 4/6; pe = 3/6·4/6 + 3/6·2/6 = 1/2; κ = (5/6 − 1/2)/(1/2) = 2/3.
    expect(kappa).toBeCloseTo(2 / 3, 12);
  });
});

describe('outlineOverlap', () => {
  it('averages IoU and Dice over lesions with a seeded image-level bootstrap CI', () => {
    const images = ['i1.png', 'i2.png', 'i3.png', 'i4.png', 'i5.png'];
    const m = matchLesions({
      readers: [
        { readerKey: 'A', marks: images.map((u, i) => box(`a${i}`, 0, 0, 10, 10, u)) },
        // widths 10..14: IoU 100 / (10·w) = 10/w
        { readerKey: 'B', marks: images.map((u, i) => box(`b${i}`, 0, 0, 10 + i, 10, u)) },
      ],
      rule: { minIoU: 0.5 },
    });
    const o = outlineOverlap(m, { replicates: 500, seed: 7 });
    const ious = [0, 1, 2, 3, 4].map((i) => 10 / (10 + i));
    expect(o.lesions.map((l) => l.iou)).toEqual(ious.map((x) => expect.closeTo(x, 12)));
    const mean = ious.reduce((a, b) => a + b) / 5;
    expect(o.iou!.mean).toBeCloseTo(mean, 12);
    expect(o.dice!.mean).toBeCloseTo(ious.reduce((a, j) => a + (2 * j) / (1 + j), 0) / 5, 12);
    const [lo, hi] = o.iou!.bca!;
    expect(lo).toBeLessThan(mean);
    expect(hi).toBeGreaterThan(mean);
    expect(lo).toBeGreaterThanOrEqual(ious[4] - 1e-12);
    expect(hi).toBeLessThanOrEqual(1 + 1e-12);
    // Seeded: the same interval again.
    expect(outlineOverlap(m, { replicates: 500, seed: 7 }).iou!.bca).toEqual(o.iou!.bca);
    expect(outlineOverlap({ readers: [], clusters: [] }).iou).toBeNull();
  });
});
