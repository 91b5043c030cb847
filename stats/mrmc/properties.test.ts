/**
 * Properties of the ROC/MRMC core on random studies (fast-check): the empirical AUC is invariant
 * to strictly increasing transforms of the ratings; swapping two arms negates the difference and
 * leaves its SE and p unchanged; identical arms give difference 0 and p = 1. Also the seeded
 * bootstrap covariance and the fully crossed input check.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { empiricalAuc, delongPairedTest } from '../roc/auc.ts';
import { mrmc } from './analysis.ts';
import { buildStudy, type StudyRow } from './study.ts';
import { InputError } from '../accuracy/truth.ts';

const studyArb = fc
  .record({
    readers: fc.integer({ min: 2, max: 4 }),
    cases: fc.integer({ min: 6, max: 30 }),
    seed: fc.integer(),
  })
  .map(({ readers, cases, seed }) => {
    let x = seed >>> 0 || 1;
    const rnd = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const rows: StudyRow[] = [];
    for (let k = 0; k < cases; k++) {
      const truth = k < 2 ? 1 : k < 4 ? 0 : rnd() < 0.4 ? 1 : 0;
      for (const arm of ['A', 'B'])
        for (let r = 0; r < readers; r++)
          rows.push({ line: rows.length + 2, caseId: `c${k}`, truth, arm, readerId: `r${r}`, rating: Math.floor(rnd() * 5) + truth * (arm === 'B' ? 2 : 1) });
    }
    return rows;
  });

describe('properties', () => {
  it('AUC is invariant to strictly increasing transforms of the ratings', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: -50, max: 50 })), { minLength: 2, maxLength: 60 }), (obs) => {
        const truth = obs.map(([t]) => (t ? 1 : 0));
        if (!truth.includes(1) || !truth.includes(0)) return;
        const r = obs.map(([, v]) => v);
        const a = empiricalAuc(truth, r);
        expect(
          empiricalAuc(
            truth,
            r.map((v) => Math.exp(v / 10)),
          ),
        ).toBeCloseTo(a, 12);
        expect(
          empiricalAuc(
            truth,
            r.map((v) => 3 * v ** 3 + 7),
          ),
        ).toBeCloseTo(a, 12);
      }),
    );
  });

  it('swapping arms negates the difference, keeps SE and p (RRRC, FRRC, RRFC)', () => {
    fc.assert(
      fc.property(studyArb, (rows) => {
        const a = mrmc(buildStudy(rows));
        const swapped = rows.map((r) => ({ ...r, arm: r.arm === 'A' ? 'B' : 'A' }));
        const b = mrmc(buildStudy([...swapped].sort((x, y) => (x.arm < y.arm ? -1 : x.arm > y.arm ? 1 : 0))));
        for (const k of ['rrrc', 'frrc', 'rrfc'] as const) {
          const da = a.or[k].differences[0];
          const db = b.or[k].differences[0];
          expect(da.arms).toEqual(['A', 'B']);
          expect(db.arms).toEqual(['A', 'B']);
          // b's arm "A" holds a's arm "B" ratings.
          expect(db.estimate).toBeCloseTo(-da.estimate, 12);
          expect(db.se).toBeCloseTo(da.se, 12);
          if (Number.isFinite(da.p)) expect(db.p).toBeCloseTo(da.p, 10);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('identical arms: difference 0 and p = 1', () => {
    fc.assert(
      fc.property(studyArb, (rows) => {
        const a = rows.filter((r) => r.arm === 'A');
        const doc = mrmc(buildStudy([...a, ...a.map((r) => ({ ...r, arm: 'B' }))]));
        for (const k of ['rrrc', 'frrc', 'rrfc'] as const) {
          expect(doc.or[k].differences[0].estimate).toBe(0);
          expect(doc.or[k].differences[0].p).toBe(1);
        }
        expect(doc.or.rrrc.p).toBe(1);
        const s = buildStudy(a);
        const t = delongPairedTest(s.truth, s.ratings.subarray(0, s.cases.length), s.ratings.subarray(0, s.cases.length));
        expect([t.difference, t.p]).toEqual([0, 1]);
      }),
      { numRuns: 30 },
    );
  });
});

// Split-plot: two reader groups, each rating its own cases in both arms.
const splitArb = fc
  .tuple(studyArb, studyArb)
  .map(([a, b]) => [
    ...a.map((r) => ({ ...r, caseId: `g1-${r.caseId}`, readerId: `g1-${r.readerId}` })),
    ...b.map((r) => ({ ...r, caseId: `g2-${r.caseId}`, readerId: `g2-${r.readerId}`, line: r.line + 10_000 })),
  ]);

describe('split-plot properties', () => {
  it('two groups are found; swapping arms negates the difference; identical arms give 0 and p = 1', () => {
    fc.assert(
      fc.property(splitArb, (rows) => {
        const s = buildStudy(rows);
        expect(s.groups).toBe(2);
        const a = mrmc(s);
        expect(a.design.crossed).toBe('split-plot');
        const b = mrmc(buildStudy(rows.map((r) => ({ ...r, arm: r.arm === 'A' ? 'B' : 'A' })).sort((x, y) => (x.arm < y.arm ? -1 : x.arm > y.arm ? 1 : 0))));
        for (const k of ['rrrc', 'frrc', 'rrfc'] as const) {
          expect(b.or[k].differences[0].estimate).toBeCloseTo(-a.or[k].differences[0].estimate, 12);
          expect(b.or[k].differences[0].se).toBeCloseTo(a.or[k].differences[0].se, 12);
        }
        const onlyA = rows.filter((r) => r.arm === 'A');
        const same = mrmc(buildStudy([...onlyA, ...onlyA.map((r) => ({ ...r, arm: 'B' }))]));
        for (const k of ['rrrc', 'frrc', 'rrfc'] as const) expect([same.or[k].differences[0].estimate, same.or[k].differences[0].p]).toEqual([0, 1]);
      }),
      { numRuns: 25 },
    );
  });
  it('no covariance is taken across groups: Cov2 averages pairs within a group only', () => {
    const rows = fc.sample(splitArb, { seed: 5, numRuns: 1 })[0];
    const s = buildStudy(rows);
    const d = mrmc(s, { covariance: { kind: 'delong' } });
    const g1 = mrmc(buildStudy(rows.filter((r) => r.readerId.startsWith('g1-'))), { covariance: { kind: 'delong' } });
    const g2 = mrmc(buildStudy(rows.filter((r) => r.readerId.startsWith('g2-'))), { covariance: { kind: 'delong' } });
    const n1 = g1.design.readers.length;
    const n2 = g2.design.readers.length;
    const pairs = (n: number) => n * (n - 1);
    const cov2 = (g1.or.components.cov2 * pairs(n1) + g2.or.components.cov2 * pairs(n2)) / (pairs(n1) + pairs(n2));
    expect(d.or.components.cov2).toBeCloseTo(cov2, 12);
    expect(d.or.components.varError).toBeCloseTo((g1.or.components.varError * n1 + g2.or.components.varError * n2) / (n1 + n2), 12);
  });
});

describe('bootstrap covariance', () => {
  const rows = fc.sample(studyArb, { seed: 7, numRuns: 1 })[0];
  const s = buildStudy(rows);
  it('is reproducible for a seed and differs across seeds', () => {
    const a = mrmc(s, { covariance: { kind: 'bootstrap', replicates: 200, seed: 1 } });
    const b = mrmc(s, { covariance: { kind: 'bootstrap', replicates: 200, seed: 1 } });
    const c = mrmc(s, { covariance: { kind: 'bootstrap', replicates: 200, seed: 2 } });
    expect(a.or.components).toEqual(b.or.components);
    expect(a.or.components.varError).not.toBe(c.or.components.varError);
    expect(a.dbm).toBeNull();
  });
  it('approaches the DeLong error variance with many replicates', () => {
    const boot = mrmc(s, { covariance: { kind: 'bootstrap', replicates: 4000, seed: 3 } });
    const del = mrmc(s, { covariance: { kind: 'delong' } });
    expect(Math.abs(boot.or.components.varError / del.or.components.varError - 1)).toBeLessThan(0.25);
  });
});

describe('input', () => {
  const base: StudyRow[] = [];
  for (const c of ['a', 'b', 'c', 'd']) for (const r of ['r1', 'r2']) base.push({ line: base.length + 2, caseId: c, truth: c < 'c' ? 1 : 0, arm: 'X', readerId: r, rating: 1 });
  it('names the missing combination when not fully crossed', () => {
    // r1 without case a while r2 read it: neither crossed nor split-plot (they share b, c, d).
    expect(() => buildStudy(base.slice(1))).toThrow(/neither fully crossed nor split-plot: case/);
    const twoArms = [...base, ...base.map((r) => ({ ...r, arm: 'Y', line: r.line + 100 }))];
    expect(() => buildStudy(twoArms.filter((r) => !(r.arm === 'Y' && r.readerId === 'r1' && r.caseId === 'a')))).toThrow(/reader r1 has no rating of case a in arm Y/);
  });
  it('names the line of a duplicate and of inconsistent truth', () => {
    expect(() => buildStudy([...base, { ...base[0], line: 99 }])).toThrow(/line 99: .*twice \(first on line 2\)/);
    expect(() => buildStudy([...base, { ...base[0], readerId: 'r3', truth: 0, line: 50 }])).toThrow(InputError);
  });
});
