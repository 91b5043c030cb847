/**
 * FROC from marks, FOMs by hand, and properties: the closed-form jackknife equals refitting without
 * the case; the trapezoidal area under the empirical wAFROC / AFROC points equals the FOM.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Mark } from '../marks/types.ts';
import { afrocPoints, FROC_FOMS, frocFom, frocFomsWithJackknife, frocPoints } from './fom.ts';
import { jafroc } from './jafroc.ts';
import { buildFrocStudy, type FrocCaseInput, type FrocReadingInput, frocFromMarks } from './study.ts';

const pt = (id: string, x: number, y: number, url = 'img'): Mark => ({ id, kind: 'point', image: { url }, points: [[x, y]] });

describe('frocFromMarks', () => {
  it('a mark matched to a truth lesion is its LL, every other mark an NL', () => {
    const s = frocFromMarks({
      truth: [
        { caseId: 'n1', lesions: [] },
        { caseId: 'a1', lesions: [pt('L1', 10, 10, 'a1'), pt('L2', 100, 100, 'a1')] },
      ],
      readings: [
        { arm: 'AI', reader: 'r1', caseId: 'n1', marks: [{ mark: pt('m1', 5, 5, 'n1'), rating: 2 }] },
        {
          arm: 'AI',
          reader: 'r1',
          caseId: 'a1',
          marks: [
            { mark: pt('m2', 12, 10, 'a1'), rating: 4 },
            // second mark on L1: the Hungarian keeps one, the other is an NL
            { mark: pt('m3', 9, 10, 'a1'), rating: 5 },
            { mark: pt('m4', 60, 60, 'a1'), rating: 1 },
          ],
        },
      ],
      rule: { radiusPx: 5 },
    });
    expect(Array.from(s.ll[1])).toEqual([5, -Infinity]);
    expect(Array.from(s.nl[1]).sort()).toEqual([1, 4]);
    expect(Array.from(s.nl[0])).toEqual([2]);
    // wAFROC: normal FP 2 vs lesions 5 (1) and −∞ (0), weights ½: (½ + 0) / 1 = 0.5
    expect(frocFom(s, 'wAFROC', 0, 0)).toBe(0.5);
  });

  it('names the missing reading and refuses weights that do not sum to 1', () => {
    const cases: FrocCaseInput[] = [
      { id: 'n', lesions: 0 },
      { id: 'a', lesions: 1 },
    ];
    expect(() => buildFrocStudy({ cases, readings: [{ arm: 'A', reader: 'r', caseId: 'n', nl: [], ll: [] }] })).toThrow('no reading for arm A, reader r, case a');
    expect(() => buildFrocStudy({ cases: [cases[0], { id: 'a', lesions: 2, weights: [0.5, 0.6] }], readings: [] })).toThrow(/sum to 1/);
    expect(() =>
      buildFrocStudy({
        cases,
        readings: [
          { arm: 'A', reader: 'r', caseId: 'n', nl: [], ll: [] },
          { arm: 'A', reader: 'r', caseId: 'a', nl: [], ll: [] },
        ],
      }),
    ).toThrow('reading 2 (arm A, reader r, case a): 0 lesion ratings for 1 lesions');
  });
});

describe('FOMs by hand', () => {
  // Normals: n1 highest NL 3, n2 none (−∞). Abnormal a1: lesions rated 4 and −∞ (weights .75/.25), NL 5; a2: lesion 3.
  const s = buildFrocStudy({
    cases: [
      { id: 'n1', lesions: 0 },
      { id: 'n2', lesions: 0 },
      { id: 'a1', lesions: 2, weights: [0.75, 0.25] },
      { id: 'a2', lesions: 1 },
    ],
    readings: [
      { arm: 'A', reader: 'r', caseId: 'n1', nl: [1, 3], ll: [] },
      { arm: 'A', reader: 'r', caseId: 'n2', nl: [], ll: [] },
      { arm: 'A', reader: 'r', caseId: 'a1', nl: [5], ll: [4, null] },
      { arm: 'A', reader: 'r', caseId: 'a2', nl: [], ll: [3] },
    ],
  });
  it('wAFROC, AFROC, wAFROC1, AFROC1', () => {
    // ψ(FP, LL): n1 (3): a1 [1, 0], a2 [½]; n2 (−∞): a1 [1, ½], a2 [1].
    expect(frocFom(s, 'wAFROC', 0, 0)).toBeCloseTo((0.75 + 0.5 + 0.75 + 0.125 + 1) / 4, 15);
    expect(frocFom(s, 'AFROC', 0, 0)).toBeCloseTo((1 + 0 + 0.5 + 1 + 0.5 + 1) / 6, 15);
    // wAFROC1 adds FP rows of a1 (5: all 0) and a2 (−∞: a1 [1, ½] → .875, a2 [0 vs 3 → 1]).
    expect(frocFom(s, 'wAFROC1', 0, 0)).toBeCloseTo((0.75 + 0.5 + 0.75 + 0.125 + 1 + 0 + 0.875 + 1) / 8, 15);
    expect(frocFom(s, 'AFROC1', 0, 0)).toBeCloseTo((1 + 0 + 0.5 + 1 + 0.5 + 1 + 0 + 1 + 0.5 + 1) / 12, 15);
  });
  it('FROC points: NL per case over all cases, LL fraction of all lesions', () => {
    expect(frocPoints(s, 0, 0)).toEqual([
      { threshold: null, nlf: 0, llf: 0 },
      { threshold: 5, nlf: 0.25, llf: 0 },
      { threshold: 4, nlf: 0.25, llf: 1 / 3 },
      { threshold: 3, nlf: 0.5, llf: 2 / 3 },
      { threshold: 1, nlf: 0.75, llf: 2 / 3 },
    ]);
  });
});

// ------------------------------------------------------------------ properties
const studyArb = fc
  .record({
    normals: fc.integer({ min: 2, max: 4 }),
    abnormal: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 4 }),
    arms: fc.integer({ min: 1, max: 2 }),
    readers: fc.integer({ min: 1, max: 3 }),
  })
  .chain(({ normals, abnormal, arms, readers }) => {
    const cases: FrocCaseInput[] = [...Array.from({ length: normals }, (_, i) => ({ id: `n${i}`, lesions: 0 })), ...abnormal.map((l, i) => ({ id: `a${i}`, lesions: l }))];
    const rating = fc.integer({ min: 1, max: 5 });
    const groups = arms * readers;
    return fc
      .array(
        fc.tuple(...cases.map((c) => fc.tuple(fc.array(rating, { maxLength: 2 }), fc.array(fc.option(rating, { nil: null }), { minLength: c.lesions, maxLength: c.lesions })))),
        { minLength: groups, maxLength: groups },
      )
      .map((gs) => {
        const readings: FrocReadingInput[] = [];
        gs.forEach((g, gi) => g.forEach(([nl, ll], k) => readings.push({ arm: `t${Math.floor(gi / readers)}`, reader: `r${gi % readers}`, caseId: cases[k].id, nl, ll })));
        return { cases, readings };
      });
  });

describe('properties', () => {
  it('the closed-form jackknife equals the FOM refitted without the case', () => {
    fc.assert(
      fc.property(studyArb, ({ cases, readings }) => {
        const s = buildFrocStudy({ cases, readings });
        for (const fom of FROC_FOMS) {
          const { theta, jk } = frocFomsWithJackknife(s, fom);
          cases.forEach((c, k) => {
            const rest = cases.filter((x) => x !== c);
            if (rest.every((x) => x.lesions > 0) || rest.every((x) => x.lesions === 0)) return;
            const sub = buildFrocStudy({ cases: rest, readings: readings.filter((r) => r.caseId !== c.id), arms: s.arms, readers: s.readers });
            for (let a = 0; a < s.arms.length; a++)
              for (let j = 0; j < s.readers.length; j++) {
                const g = a * s.readers.length + j;
                expect(jk[g * cases.length + k]).toBeCloseTo(frocFom(sub, fom, a, j), 12);
                expect(theta[g]).toBeCloseTo(frocFom(s, fom, a, j), 12);
              }
          });
        }
      }),
      { numRuns: 60 },
    );
  });

  it('the trapezoidal area under the empirical wAFROC (AFROC) points is the wAFROC (AFROC) FOM', () => {
    fc.assert(
      fc.property(studyArb, ({ cases, readings }) => {
        const s = buildFrocStudy({ cases, readings });
        for (const weighted of [true, false]) {
          const p = afrocPoints(s, 0, 0, weighted);
          let area = 0;
          for (let i = 1; i < p.length; i++) area += ((p[i].fpf - p[i - 1].fpf) * (p[i].llf + p[i - 1].llf)) / 2;
          expect(area).toBeCloseTo(frocFom(s, weighted ? 'wAFROC' : 'AFROC', 0, 0), 12);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('identical arms: F = 0 and p = 1', () => {
    const { cases, readings } = fc.sample(studyArb, { numRuns: 1, seed: 3 })[0];
    const one = readings.filter((r) => r.arm === 't0');
    const s = buildFrocStudy({ cases, readings: [...one, ...one.map((r) => ({ ...r, arm: 'copy' }))] });
    const d = jafroc(s);
    expect(d.or.rrrc.F).toBe(0);
    expect(d.or.rrrc.p).toBe(1);
  });
});

describe('frocSummary', () => {
  it('gives per arm × reader FOMs and the all-marks operating point', async () => {
    const { frocSummary } = await import('./summary.ts');
    const s = buildFrocStudy({
      cases: [
        { id: 'n', lesions: 0 },
        { id: 'a', lesions: 2 },
      ],
      readings: [
        { arm: 'A', reader: 'r', caseId: 'n', nl: [2, 1], ll: [] },
        { arm: 'A', reader: 'r', caseId: 'a', nl: [], ll: [3, null] },
      ],
    });
    const [r] = frocSummary(s);
    expect(r).toMatchObject({ arm: 'A', reader: 'r', llf: 0.5, nlf: 1, wAFROC: 0.5, AFROC: 0.5 });
    // FP on the normal case is 2: the lesion rated 3 beats it (ψ = 1, weight ½), the unmarked one does not.
  });
});
