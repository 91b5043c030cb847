import { describe, expect, it } from 'vitest';
import { accuracyVsReference, type ReaderRating, type UnitReference } from './reader-accuracy.ts';
import { aucWithCi, averageRoc, rocCurve } from './auc.ts';

const refs: UnitReference[] = [
  { unit: 'a', state: 'verified', positive: true },
  { unit: 'b', state: 'verified', positive: true },
  { unit: 'c', state: 'verified', positive: false },
  { unit: 'd', state: 'verified', positive: false },
  { unit: 'e', state: 'unverified', positive: false },
  { unit: 'f', state: 'other', positive: null },
];
const ratings: ReaderRating[] = [
  { reader: 'R1', unit: 'a', rank: 5 },
  { reader: 'R1', unit: 'b', rank: 3 },
  { reader: 'R1', unit: 'c', rank: 4 },
  { reader: 'R1', unit: 'd', rank: 1 },
  { reader: 'R1', unit: 'e', rank: 4 },
  { reader: 'R1', unit: 'f', rank: 2 },
];

describe('readers against the evidence reference', () => {
  it('verified only by default: unverified counted, not scored; AUC equals the DeLong function', () => {
    const r = accuracyVsReference(ratings, refs, 4).readers[0];
    expect([r.units, r.positives, r.negatives, r.unverified]).toEqual([4, 2, 2, 1]);
    expect(r.sensitivity.value).toBe(0.5);
    expect(r.specificity.value).toBe(0.5);
    expect(r.auc.value).toBe(aucWithCi([1, 1, 0, 0], [5, 3, 4, 1]).auc);
  });
  it('sensitivity analysis counts unverified units as negative', () => {
    const r = accuracyVsReference(ratings, refs, 4, 'unverified_negative').readers[0];
    expect([r.units, r.negatives]).toEqual([5, 3]);
    expect(r.specificity.value).toBeCloseTo(1 / 3, 12);
  });
});

describe('reader-average ROC curve', () => {
  const area = (pts: { fpr: number; tpr: number }[]) => pts.slice(1).reduce((a, p, i) => a + (p.fpr - pts[i].fpr) * ((p.tpr + pts[i].tpr) / 2), 0);
  it('lies between the readers and its area is the mean of their AUCs (binary calls and ties)', () => {
    const truth = [1, 1, 1, 1, 0, 0, 0, 0];
    const a = [2, 2, 2, 1, 2, 1, 1, 1];
    const b = [2, 2, 2, 2, 2, 2, 1, 1];
    const avg = averageRoc([rocCurve(truth, a), rocCurve(truth, b)]);
    expect(area(avg)).toBeCloseTo((aucWithCi(truth, a).auc + aucWithCi(truth, b).auc) / 2, 12);
    // At FPR 0.25 reader A is at 0.75 and reader B (linear from (0,0) to (0.5,1)) at 0.5.
    expect(Math.max(...avg.filter((p) => Math.abs(p.fpr - 0.25) < 1e-12).map((p) => p.tpr))).toBeCloseTo(0.625, 12);
  });
  it('κ intervals stay within [−1, 1]', () => {
    const r = accuracyVsReference(ratings, refs, 4).readers[0];
    expect(r.kappa.lower!).toBeGreaterThanOrEqual(-1);
    expect(r.kappa.upper!).toBeLessThanOrEqual(1);
  });
});
