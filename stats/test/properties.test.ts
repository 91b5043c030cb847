import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromColumns, fromCodes, caseCounts, RatingsError, multiLabel } from '../ratings.ts';
import { categoricalAgreement } from '../categorical/agreement.ts';
import { validate } from '../schema.ts';
import { landisKoch } from '../report.ts';
import { fixtureRatings, loadFixtures } from './fixtures.ts';

/** Random ratings: up to 12 cases × 4 raters × 4 categories, some missing. */
const ratingsArb = fc
  .record({
    nCases: fc.integer({ min: 3, max: 12 }),
    nRaters: fc.integer({ min: 2, max: 4 }),
    cells: fc.array(fc.integer({ min: -1, max: 3 }), { minLength: 48, maxLength: 48 }),
  })
  .map(({ nCases, nRaters, cells }) => {
    const c: string[] = [];
    const r: string[] = [];
    const v: (string | null)[] = [];
    for (let i = 0; i < nCases; i++)
      for (let g = 0; g < nRaters; g++) {
        const x = cells[i * 4 + g];
        c.push(`c${i}`);
        r.push(`r${g}`);
        v.push(x < 0 ? null : 'abcd'[x]);
      }
    return { c, r, v };
  });

const key = (e: { id: string; parameters: Record<string, unknown> }) => `${e.id} ${JSON.stringify(e.parameters)}`;

describe('properties', () => {
  it('nominal statistics are invariant under relabelling the categories', () => {
    fc.assert(
      fc.property(ratingsArb, fc.constantFrom('dcba', 'badc', 'cadb'), ({ c, r, v }, perm) => {
        const relabel = v.map((x) => (x === null ? null : perm['abcd'.indexOf(x)]));
        let a, b;
        try {
          a = categoricalAgreement(fromColumns(c, r, v, { categories: ['a', 'b', 'c', 'd'] }));
          b = categoricalAgreement(fromColumns(c, r, relabel, { categories: ['a', 'b', 'c', 'd'] }));
        } catch (e) {
          if (e instanceof RatingsError) return; // all missing
          throw e;
        }
        const byKey = new Map(b.statistics.filter((e) => e.id !== 'fleiss_kappa_category').map((e) => [key(e), e]));
        for (const e of a.statistics) {
          if (e.id === 'fleiss_kappa_category') continue;
          const f = byKey.get(key(e))!;
          if (e.value === null) expect(f.value).toBeNull();
          else expect(Math.abs(e.value - f.value!)).toBeLessThan(1e-12);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('perfect agreement gives alpha = 1, kappa = 1, percent = 1', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 30 }), fc.integer({ min: 2, max: 5 }), (truth, R) => {
        fc.pre(new Set(truth).size >= 2);
        const c: string[] = [];
        const r: string[] = [];
        const v: string[] = [];
        truth.forEach((t, i) => {
          for (let g = 0; g < R; g++) {
            c.push(`${i}`);
            r.push(`${g}`);
            v.push(String(t + 1));
          }
        });
        for (const level of ['nominal', 'ordinal', 'interval'] as const) {
          const rep = categoricalAgreement(fromColumns(c, r, v, { level }));
          for (const e of rep.statistics) {
            if (['krippendorff_alpha', 'percent_agreement', 'fleiss_kappa', 'cohen_kappa', 'weighted_kappa', 'gwet_ac1', 'gwet_ac2', 'conger_kappa'].includes(e.id)) {
              expect(e.value, key(e)).toBeCloseTo(1, 12);
            }
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('bounds: coefficients ≤ 1, SE ≥ 0, p ∈ [0, 1], CI contains the value; the JSON validates', () => {
    fc.assert(
      fc.property(ratingsArb, ({ c, r, v }) => {
        let rep;
        try {
          rep = categoricalAgreement(fromColumns(c, r, v, { level: 'ordinal', categories: ['a', 'b', 'c', 'd'] }));
        } catch (e) {
          if (e instanceof RatingsError) return;
          throw e;
        }
        expect(validate(JSON.parse(JSON.stringify(rep)))).toEqual([]);
        for (const e of rep.statistics) {
          if (e.value === null) continue;
          expect(e.value).toBeLessThanOrEqual(1 + 1e-12);
          if (e.id === 'percent_agreement') expect(e.value).toBeGreaterThanOrEqual(0);
          if (e.se !== null) expect(e.se).toBeGreaterThanOrEqual(0);
          if (e.p !== null) expect(e.p >= 0 && e.p <= 1).toBe(true);
          if (e.ci && e.ci.lower !== null && e.ci.upper !== null) {
            expect(e.ci.lower).toBeLessThanOrEqual(e.value + 1e-12);
            expect(e.ci.upper).toBeGreaterThanOrEqual(Math.min(1, e.value) - 1e-12);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('schema', () => {
  it('every fixture report validates against stats/agreement.schema.json', () => {
    for (const fx of loadFixtures()) {
      for (const run of fx.runs) {
        const rep = JSON.parse(JSON.stringify(categoricalAgreement(fixtureRatings(fx, run.level))));
        expect(validate(rep), `${fx.dataset} ${run.level}`).toEqual([]);
      }
    }
  });
  it('rejects a malformed document', () => {
    expect(validate({ statistics: [{ id: 'Bad Id', value: 'x' }] }).length).toBeGreaterThan(0);
    expect(validate({})).toEqual(['$: missing statistics']);
  });
  it('Landis–Koch bands are labelled as conventions', () => {
    expect(landisKoch(0.5)).toEqual(expect.objectContaining({ label: 'moderate', convention: true }));
    expect(landisKoch(-0.1)?.label).toBe('poor');
    expect(landisKoch(null)).toBeNull();
  });
});

describe('ratings', () => {
  it('codes, sorts by case, counts missing, unequal raters per case', () => {
    const r = fromColumns(['2', '1', '1', '2', '3'], ['a', 'a', 'b', 'b', 'a'], ['y', 'x', 'NA', 'y', 'x']);
    expect(r.categories).toEqual(['x', 'y']);
    expect(r.caseIds).toEqual(['2', '1', '3']);
    expect(Array.from(r.caseIndex)).toEqual([0, 0, 1, 2]);
    expect(r.missingRows).toBe(1);
    expect(Array.from(caseCounts(r).totals)).toEqual([2, 1, 1]);
  });
  it('errors name the row', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as RatingsError;
      }
      throw new Error('no error');
    };
    expect(err(() => fromColumns(['1', '1'], ['a', 'a'], ['x', 'y']))).toMatchObject({ row: 1, code: 'repeated_rating' });
    expect(err(() => fromColumns(['1', '2'], ['a', 'a'], ['x', 'z'], { categories: ['x', 'y'] }))).toMatchObject({ row: 1, code: 'unknown_category' });
    expect(err(() => fromColumns(['1', '2'], ['a', 'a'], ['1', 'two'], { level: 'interval' }))).toMatchObject({ row: 1, code: 'not_a_number' });
    expect(err(() => fromColumns(['1'], ['a'], ['lo'], { level: 'ordinal' }))).toMatchObject({ code: 'needs_categories' });
  });
  it('repeated: k-th rating by R becomes rater R#k', () => {
    const r = fromColumns(['1', '1', '2', '2'], ['a', 'a', 'a', 'a'], ['x', 'x', 'x', 'y'], { repeated: true });
    expect(r.raterIds).toEqual(['a', 'a#2']);
    const rep = categoricalAgreement(r);
    expect(rep.statistics.find((e) => e.id === 'cohen_kappa')?.parameters.raters).toEqual(['a', 'a#2']);
  });
  it('interval: categories are the numbers, ordered', () => {
    const r = fromColumns(['1', '1', '2'], ['a', 'b', 'a'], ['10', '2.5', '1e1'], { level: 'interval' });
    expect(Array.from(r.categoryValues)).toEqual([2.5, 10]);
  });
  it('multi-label: one binary variable per label', () => {
    const vars = multiLabel(['1', '1', '2', '2'], ['a', 'b', 'a', 'b'], ['x;y', 'x', '', 'y']);
    expect(vars.map((v) => v.label)).toEqual(['x', 'y']);
    expect(Array.from(vars[1].ratings.code)).toEqual([1, 0, 0, 1]);
  });
  it('fromCodes equals fromColumns', () => {
    const a = fromCodes({
      categories: ['1', '2'],
      nCases: 2,
      nRaters: 2,
      caseIndex: Int32Array.of(1, 0, 0, 1),
      raterIndex: Int32Array.of(0, 0, 1, 1),
      code: Int32Array.of(1, 0, 0, 0),
    });
    expect(Array.from(caseCounts(a).counts)).toEqual([2, 0, 1, 1]);
  });
});
