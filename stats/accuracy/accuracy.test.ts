import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readerAccuracy, wilson, scoreReaders, withoutReader, buildReference } from './index.ts';
import { cohenKappaTable } from '../categorical/cohen.ts';
import { weightMatrix } from '../categorical/weights.ts';
import type { Proportion } from './accuracy.ts';

const fx = JSON.parse(readFileSync(new URL('../fixtures/accuracy/accuracy.json', import.meta.url), 'utf8'));

function close(actual: number, expected: number, what: string): void {
  const tol = 1e-9 + 1e-9 * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= tol)) throw new Error(`${what}: got ${actual}, expected ${expected} (diff ${actual - expected})`);
}

function checkProp(got: Proportion, ref: any, clustered: boolean, what: string): void {
  close(got.value, ref.value, `${what} value`);
  expect(got.den).toBe(ref.den);
  if (clustered && ref.cluster_se !== undefined) {
    close(got.se, ref.cluster_se, `${what} cluster se`);
    if (ref.cluster_wilson) {
      close(got.ci[0], ref.cluster_wilson[0], `${what} cluster lower`);
      close(got.ci[1], ref.cluster_wilson[1], `${what} cluster upper`);
    }
  } else {
    close(got.ci[0], ref.wilson[0], `${what} wilson lower`);
    close(got.ci[1], ref.wilson[1], `${what} wilson upper`);
  }
}

describe('reader accuracy against scikit-learn / statsmodels', () => {
  for (const [name, c] of Object.entries<any>(fx.cases)) {
    for (const clustered of [false, true]) {
      it(`${name}${clustered ? ' clustered by patient' : ''}`, () => {
        const acc = readerAccuracy(c.truth, c.pred, c.K, { cluster: clustered ? Int32Array.from(c.patient) : null });
        expect(Array.from(acc.confusion)).toEqual(c.confusion.value.flat());
        checkProp(acc.overall, c.overall, clustered, 'overall accuracy');
        for (const ref of c.per_class) {
          const m = acc.perClass[ref.category];
          for (const k of ['sensitivity', 'specificity', 'ppv', 'npv', 'accuracy'] as const) {
            checkProp(m[k], ref[k], clustered, `class ${ref.category} ${k}`);
          }
        }
        // κ from stats I's Cohen κ on the confusion matrix, against sklearn.
        close(cohenKappaTable(acc.confusion, c.K, weightMatrix('identity', c.K)).value, c.kappa.none, 'kappa');
        close(cohenKappaTable(acc.confusion, c.K, weightMatrix('linear', c.K)).value, c.kappa.linear, 'linear kappa');
        close(cohenKappaTable(acc.confusion, c.K, weightMatrix('quadratic', c.K)).value, c.kappa.quadratic, 'quadratic kappa');
      });
    }
  }

  it('Wilson interval: textbook case 0 of 10 and 10 of 10', () => {
    const [lo, hi] = wilson(0, 10);
    expect(lo).toBe(0);
    expect(hi).toBeCloseTo(0.2775327998628892, 12);
    const [lo2, hi2] = wilson(10, 10);
    expect(hi2).toBeCloseTo(1, 15);
    expect(lo2).toBeCloseTo(1 - 0.2775327998628892, 12);
  });
});

describe('leave-one-reader-out', () => {
  // 4 cases × 3 readers; reader 2 always says 1.
  const d = {
    nCases: 4,
    nReaders: 3,
    nClasses: 2,
    caseStart: Int32Array.from([0, 3, 6, 9, 12]),
    reader: Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]),
    label: Int32Array.from([0, 0, 1, 1, 1, 1, 0, 1, 1, 0, 0, 1]),
  };
  it('rebuilds the reference without the scored reader', () => {
    const without2 = withoutReader(d, 2);
    expect(Array.from(without2.caseStart)).toEqual([0, 2, 4, 6, 8]);
    // Without reader 2: case 0 → 0, case 1 → 1, case 2 tie, case 3 → 0.
    expect(Array.from(buildReference(without2, { kind: 'majority' }))).toEqual([0, 1, -1, 0]);
    const s = scoreReaders(d, { kind: 'majority' });
    expect(s[2].leaveOneReaderOut).toBe(true);
    expect(s[2].leftOut).toBe(1);
    expect(s[2].accuracy.n).toBe(3);
    // Reader 2 said 1 on cases 0, 1, 3 whose rebuilt truth is 0, 1, 0 → accuracy 1/3.
    expect(s[2].accuracy.overall.value).toBeCloseTo(1 / 3, 15);
    // With the full panel's majority (reader 2 included) it would look better: 2/4.
    const full = buildReference(d, { kind: 'majority' });
    expect(Array.from(full)).toEqual([0, 1, 1, 0]);
  });
  it('given truth is not leave-one-out', () => {
    const s = scoreReaders(d, { kind: 'given', truth: Int32Array.from([0, 1, 1, 0]) });
    expect(s.every((x) => !x.leaveOneReaderOut)).toBe(true);
    expect(s[2].accuracy.overall.value).toBe(0.5);
  });
});

describe('weighted κ of readers against a reference on an ordinal scale (scikit-learn)', () => {
  // stats/fixtures/accuracy/weighted-kappa.json: tool, version and call beside every value.
  const wk = JSON.parse(readFileSync(new URL('../fixtures/accuracy/weighted-kappa.json', import.meta.url), 'utf8')) as {
    K: number;
    truth: number[];
    readers: number[][];
    expected: Record<'none' | 'linear' | 'quadratic', { value: number; call: string }>[];
  };
  const n = wk.truth.length;
  const R = wk.readers.length;
  const d = {
    nCases: n,
    nReaders: R,
    nClasses: wk.K,
    caseStart: Int32Array.from({ length: n + 1 }, (_, i) => i * R),
    reader: Int32Array.from({ length: n * R }, (_, j) => j % R),
    label: Int32Array.from({ length: n * R }, (_, j) => wk.readers[j % R][Math.floor(j / R)]),
  };
  for (const w of ['linear', 'quadratic'] as const) {
    const scores = scoreReaders(d, { kind: 'given', truth: Int32Array.from(wk.truth) }, { weights: w });
    for (let r = 0; r < R; r++)
      it(`reader ${r + 1}, ${w} weights = ${wk.expected[r][w].value} (${wk.expected[r][w].call})`, () => {
        close(scores[r].weightedKappa!.value, wk.expected[r][w].value, `reader ${r + 1} ${w}`);
        close(scores[r].kappa.value, wk.expected[r].none.value, `reader ${r + 1} unweighted`);
      });
  }
});
