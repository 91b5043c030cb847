/**
 * Every statistic against the reference tools (R irr, irrCAC; statsmodels, scikit-learn) on
 * irr's diagnoses/anxiety/video/vision, Krippendorff's example and random data with missing
 * ratings, to 1e-9 absolute + relative. Values, tools and calls: stats/fixtures/*.json.
 */
import { describe, expect, it } from 'vitest';
import { categoricalAgreement } from '../categorical/agreement.ts';
import type { StatisticEntry } from '../report.ts';
import { fixtureRatings, loadFixtures } from './fixtures.ts';

const TOL = 1e-9;

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function matches(e: StatisticEntry, id: string, match: Record<string, unknown>): boolean {
  if (e.id !== id) return false;
  // Rater pairs are unordered (every pairwise statistic here is symmetric).
  const norm = (k: string, v: unknown) => (k === 'raters' && Array.isArray(v) ? [...v].sort() : v);
  return Object.entries(match).every(([k, v]) => deepEqual(norm(k, e.parameters[k]), norm(k, v)));
}

function field(e: StatisticEntry, f: string): number | null | undefined {
  switch (f) {
    case 'value':
      return e.value;
    case 'se':
      return e.se;
    case 'p':
      return e.p;
    case 'ci.lower':
      return e.ci?.lower;
    case 'ci.upper':
      return e.ci?.upper;
    case 'test.value':
      return e.test?.value;
    case 'test.se_null':
      return e.test?.se_null;
    default:
      throw new Error(`unknown field ${f}`);
  }
}

for (const fx of loadFixtures()) {
  describe(`reference: ${fx.dataset}`, () => {
    for (const run of fx.runs) {
      const report = categoricalAgreement(fixtureRatings(fx, run.level));
      const expected = fx.expected.filter((e) => e.match.level === run.level);
      it(`level ${run.level}: ${expected.length} reference values`, () => {
        expect(expected.length).toBeGreaterThan(0);
        const failures: string[] = [];
        for (const ex of expected) {
          const hits = report.statistics.filter((e) => matches(e, ex.id, ex.match));
          if (hits.length !== 1) {
            failures.push(`${ex.id} ${JSON.stringify(ex.match)}: ${hits.length} entries match`);
            continue;
          }
          const got = field(hits[0], ex.field);
          const ok = typeof got === 'number' && Math.abs(got - ex.expected) <= TOL + TOL * Math.abs(ex.expected);
          if (!ok) failures.push(`${ex.id} ${JSON.stringify(ex.match)} ${ex.field}: got ${got}, ${ex.tool} ${ex.expected} (${ex.call})`);
        }
        expect(failures).toEqual([]);
      });
    }
  });
}
