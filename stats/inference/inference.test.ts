import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dawidSkene, softMajority, vote, mapClasses, type DsInput } from './index.ts';

const fx = JSON.parse(readFileSync(new URL('../fixtures/inference/anesthesia-crowdkit.json', import.meta.url), 'utf8'));
const csv = readFileSync(new URL('../fixtures/inference/anesthesia.csv', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .slice(1);

function close(actual: number, expected: number, what: string): void {
  const tol = 1e-9 + 1e-9 * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= tol)) throw new Error(`${what}: got ${actual}, expected ${expected} (diff ${actual - expected})`);
}

/** Anaesthesia data as a DsInput: patients 1..45 → 0..44, observers 1..5 → 0..4, ratings 1..4 → 0..3. */
function anaesthesia(): DsInput {
  const rows = csv.map((l) => l.split(',').map(Number));
  rows.sort((a, b) => a[0] - b[0]);
  const nCases = 45;
  const caseStart = new Int32Array(nCases + 1);
  for (const r of rows) caseStart[r[0]]++;
  for (let i = 0; i < nCases; i++) caseStart[i + 1] += caseStart[i];
  return {
    nCases,
    nReaders: 5,
    nClasses: 4,
    caseStart,
    reader: Int32Array.from(rows.map((r) => r[1] - 1)),
    label: Int32Array.from(rows.map((r) => r[2] - 1)),
  };
}

describe('Dawid–Skene against crowd-kit on Dawid & Skene (1979) anaesthesia data', () => {
  const d = anaesthesia();
  it('has 315 ratings, observer 1 three per patient', () => {
    expect(d.caseStart[45]).toBe(315);
    expect(Array.from(d.reader).filter((r) => r === 0).length).toBe(135);
  });

  for (const [key, model] of [
    ['dawid_skene', 'full'],
    ['one_coin', 'one-coin'],
  ] as const) {
    for (const ref of fx[key]) {
      it(`${key}: ${ref.call} — priors, confusion, posterior, log-likelihood to 1e-9`, () => {
        const res = dawidSkene(d, { model, maxIter: ref.n_iter, tol: 0, floor: 1e-10 });
        expect(res.iterations).toBe(ref.n_iter);
        for (let k = 0; k < 4; k++) close(res.classPrior[k], ref.class_prior[String(k + 1)], `prior ${k + 1}`);
        for (const [w, byGiven] of Object.entries<any>(ref.confusion_by_worker_given_true)) {
          for (const [l, byTrue] of Object.entries<any>(byGiven)) {
            for (const [k, p] of Object.entries<number>(byTrue)) {
              close(res.confusion[((+w - 1) * 4 + (+k - 1)) * 4 + (+l - 1)], p, `θ worker ${w} true ${k} given ${l}`);
            }
          }
        }
        for (const [t, ps] of Object.entries<number[]>(ref.posterior_at_final_params.values)) {
          ps.forEach((p, k) => close(res.posterior[(+t - 1) * 4 + k], p, `posterior task ${t} class ${k + 1}`));
        }
        close(res.logLikelihood, ref.log_likelihood_at_final_params.value, 'log-likelihood');
        if (ref.skills_) for (const [w, s] of Object.entries<number>(ref.skills_)) close(res.skill![+w - 1], s, `skill ${w}`);
        if (ref.n_iter >= 2) {
          // crowd-kit's probas_ is the posterior of its last E-step = ours after one round less.
          const prev = dawidSkene(d, { model, maxIter: ref.n_iter - 1, tol: 0, floor: 1e-10 });
          for (const [t, ps] of Object.entries<number[]>(ref.probas_)) {
            ps.forEach((p, k) => close(prev.posterior[(+t - 1) * 4 + k], p, `probas_ task ${t} class ${k + 1}`));
          }
        }
      });
    }
  }

  it('without the 1e-10 floor, converges to the same estimates (to 1e-9) and reports convergence', () => {
    const ref = fx.dawid_skene.find((r: any) => r.n_iter === 500);
    const res = dawidSkene(d, { tol: 1e-12 });
    expect(res.converged).toBe(true);
    for (let k = 0; k < 4; k++) close(res.classPrior[k], ref.class_prior[String(k + 1)], `prior ${k + 1}`);
    close(res.logLikelihood, ref.log_likelihood_at_final_params.value, 'log-likelihood');
    // EM never decreases the likelihood.
    for (let i = 1; i < res.logLikelihoodTrace.length; i++) expect(res.logLikelihoodTrace[i]).toBeGreaterThanOrEqual(res.logLikelihoodTrace[i - 1] - 1e-9);
  });

  it('matches the paper (Dawid & Skene 1979, Table 2) to its printed precision', () => {
    const res = dawidSkene(d);
    // Estimated class proportions printed in the paper: 0.40, 0.42, 0.11, 0.07.
    expect(Array.from(res.classPrior).map((p) => +p.toFixed(2))).toEqual([0.4, 0.42, 0.11, 0.07]);
  });

  it('starts from the soft majority vote with repeated ratings counted', () => {
    const T = softMajority(d);
    // Patient 1: all 7 ratings say 1.
    expect(Array.from(T.subarray(0, 4))).toEqual([1, 0, 0, 0]);
    const sum = Array.from({ length: 45 }, (_, i) => T[i * 4] + T[i * 4 + 1] + T[i * 4 + 2] + T[i * 4 + 3]);
    sum.forEach((s) => expect(s).toBeCloseTo(1, 15));
  });
});

describe('majority / plurality vote', () => {
  // case 0: a a b → a; case 1: a b → tie; case 2: a b c c → c (plurality, not majority); case 3: none
  const d = { nCases: 4, nClasses: 3, caseStart: Int32Array.from([0, 3, 5, 9, 9]), label: Int32Array.from([0, 0, 1, 0, 1, 0, 1, 2, 2]) };
  it('plurality with unresolved ties', () => {
    const v = vote(d);
    expect(Array.from(v.label)).toEqual([0, -1, 2, -1]);
    expect(v.status).toEqual(['winner', 'tie', 'winner', 'no_ratings']);
  });
  it('strict majority', () => {
    expect(Array.from(vote(d, { rule: 'majority' }).label)).toEqual([0, -1, -1, -1]);
  });
  it('tie policies first / last / seeded random', () => {
    expect(vote(d, { ties: 'first' }).label[1]).toBe(0);
    expect(vote(d, { ties: 'last' }).label[1]).toBe(1);
    const a = vote(d, { ties: 'random', seed: 42 }).label[1];
    expect(vote(d, { ties: 'random', seed: 42 }).label[1]).toBe(a);
    expect(() => vote(d, { ties: 'random' })).toThrow(/seed/);
  });
  it('MAP classes', () => {
    expect(Array.from(mapClasses(Float64Array.from([0.2, 0.8, 0.5, 0.5]), 2))).toEqual([1, 0]);
  });
});

describe('stringifyCompactArrays', () => {
  it('writes the same JSON value, primitive arrays on one line', async () => {
    const { stringifyCompactArrays } = await import('./json.ts');
    const v = {
      a: [1, 2, null],
      b: {
        c: [
          [0.5, 0.5],
          [1, 0],
        ],
        d: 'x',
        e: undefined,
      },
      f: [],
      g: [{ h: true }],
      m: [
        [1, null],
        ['],[', 2],
      ],
    };
    const s = stringifyCompactArrays(v);
    expect(JSON.parse(s)).toEqual(JSON.parse(JSON.stringify(v)));
    expect(s).toContain('"a": [1,2,null]');
    expect(s.endsWith('\n')).toBe(true);
  });
});

describe('Dawid–Skene internals (pattern compression, linear-space E-step) against a naive EM', async () => {
  const fc = (await import('fast-check')).default;
  /** Textbook EM in log space, one case at a time, no pattern sharing. */
  function naive(d: DsInput, iters: number): { prior: number[]; post: number[][]; ll: number } {
    const { nCases: N, nReaders: R, nClasses: K, caseStart, reader, label } = d;
    let T = Array.from({ length: N }, (_, i) => {
      const t = new Array(K).fill(0);
      for (let j = caseStart[i]; j < caseStart[i + 1]; j++) t[label[j]] += 1 / (caseStart[i + 1] - caseStart[i]);
      return t;
    });
    let prior: number[] = [];
    let theta: number[][][] = [];
    const m = () => {
      const rated = T.filter((_, i) => caseStart[i + 1] > caseStart[i]);
      prior = Array.from({ length: K }, (_, k) => rated.reduce((s, t) => s + t[k], 0) / rated.length);
      const c = Array.from({ length: R }, () => Array.from({ length: K }, () => new Array(K).fill(0)));
      for (let i = 0; i < N; i++) for (let j = caseStart[i]; j < caseStart[i + 1]; j++) for (let k = 0; k < K; k++) c[reader[j]][k][label[j]] += T[i][k];
      theta = c.map((byK, r) =>
        byK.map((row) => {
          const s = row.reduce((a, b) => a + b, 0);
          if (s > 0) return row.map((x) => x / s);
          const seen = Array.from({ length: K }, (_, l) => (Array.from(label).some((x, j) => x === l && reader[j] === r) ? 1 : 0));
          const ns = seen.reduce((a: number, b) => a + b, 0);
          return seen.map((x) => x / ns);
        }),
      );
    };
    let ll = 0;
    const e = () => {
      ll = 0;
      T = Array.from({ length: N }, (_, i) => {
        const lp = prior.map((p) => Math.log(p));
        for (let j = caseStart[i]; j < caseStart[i + 1]; j++) for (let k = 0; k < K; k++) lp[k] += Math.log(theta[reader[j]][k][label[j]]);
        const mx = Math.max(...lp);
        const ex = lp.map((x) => Math.exp(x - mx));
        const s = ex.reduce((a, b) => a + b, 0);
        if (caseStart[i + 1] > caseStart[i]) ll += mx + Math.log(s);
        return ex.map((x) => x / s);
      });
    };
    m();
    for (let it = 0; it < iters; it++) {
      e();
      m();
    }
    e();
    return { prior, post: T, ll };
  }
  const arb = fc
    .record({ N: fc.integer({ min: 3, max: 25 }), R: fc.integer({ min: 1, max: 4 }), K: fc.integer({ min: 2, max: 4 }), seed: fc.integer() })
    .map(({ N, R, K, seed }) => {
      let a = seed >>> 0;
      const rnd = () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0), a / 4294967296);
      const caseStart = new Int32Array(N + 1);
      const reader: number[] = [];
      const label: number[] = [];
      for (let i = 0; i < N; i++) {
        const n = Math.floor(rnd() * 5); // 0..4 ratings, repeats by a reader allowed
        for (let q = 0; q < n; q++) {
          reader.push(Math.floor(rnd() * R));
          label.push(Math.floor(rnd() * K));
        }
        caseStart[i + 1] = reader.length;
      }
      if (reader.length === 0) {
        reader.push(0);
        label.push(0);
        caseStart.fill(1, 1);
      }
      return { nCases: N, nReaders: R, nClasses: K, caseStart, reader: Int32Array.from(reader), label: Int32Array.from(label) } as DsInput;
    });
  it('matches to 1e-9 on random data with missing and repeated ratings', () => {
    fc.assert(
      fc.property(arb, (d) => {
        const ref = naive(d, 7);
        const res = dawidSkene(d, { maxIter: 7, tol: 0 });
        // Cases with impossible data under the fitted model (NaN) are compared as NaN.
        for (let k = 0; k < d.nClasses; k++) close(res.classPrior[k], ref.prior[k], `prior ${k}`);
        for (let i = 0; i < d.nCases; i++) {
          for (let k = 0; k < d.nClasses; k++) {
            const a = res.posterior[i * d.nClasses + k];
            const b = ref.post[i][k];
            if (Number.isNaN(b)) expect(a).toBeNaN();
            else close(a, b, `posterior ${i} ${k}`);
          }
        }
        if (Number.isFinite(ref.ll)) close(res.logLikelihood, ref.ll, 'log-likelihood');
      }),
      { numRuns: 200 },
    );
  });
});
