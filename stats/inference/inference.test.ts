import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dawidSkene, softMajority, vote, mapClasses, type DsInput } from './index.ts';

const fx = JSON.parse(readFileSync(new URL('../fixtures/inference/anesthesia-crowdkit.json', import.meta.url), 'utf8'));
const csv = readFileSync(new URL('../fixtures/inference/anesthesia.csv', import.meta.url), 'utf8').trim().split('\n').slice(1);

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

  for (const [key, model] of [['dawid_skene', 'full'], ['one_coin', 'one-coin']] as const) {
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
