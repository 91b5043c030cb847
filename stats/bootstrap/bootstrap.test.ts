import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { bootstrap, xoshiro128ss, xoshiro128ssFromState, normInter } from './index.ts';
import { scenarios } from './scenarios.ts';

const xo = JSON.parse(readFileSync(new URL('../fixtures/bootstrap/xoshiro128ss.json', import.meta.url), 'utf8'));
const boot = JSON.parse(readFileSync(new URL('../fixtures/bootstrap/boot-ci.json', import.meta.url), 'utf8'));

function close(actual: number, expected: number, what: string): void {
  const tol = 1e-9 + 1e-9 * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= tol)) throw new Error(`${what}: got ${actual}, expected ${expected} (diff ${actual - expected})`);
}

describe('xoshiro128** PRNG', () => {
  it('matches the C reference algorithm', () => {
    const a = xoshiro128ssFromState(1, 2, 3, 4);
    expect(Array.from({ length: 20 }, () => a.nextUint32())).toEqual(xo.state_1_2_3_4);
    const b = xoshiro128ssFromState(0x9e3779b9, 0xdeadbeef, 0x01234567, 0xfedcba98);
    expect(Array.from({ length: 20 }, () => b.nextUint32())).toEqual(xo.state_9e3779b9_deadbeef_01234567_fedcba98);
  });
  it('is reproducible from a seed, and int(n) stays in range', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 1000 }), (seed, n) => {
        const a = xoshiro128ss(seed);
        const b = xoshiro128ss(seed);
        for (let i = 0; i < 20; i++) {
          const v = a.int(n);
          expect(v).toBe(b.int(n));
          expect(v >= 0 && v < n).toBe(true);
        }
      }),
    );
  });
});

describe('bootstrap CIs against R boot::boot.ci on the same replicates', () => {
  for (const s of scenarios()) {
    it(s.name, () => {
      const ref = boot.results[s.name];
      const r = bootstrap(s.nCases, s.stat, s.opts);
      close(r.percentile[0], ref.percentile[0], 'percentile lower');
      close(r.percentile[1], ref.percentile[1], 'percentile upper');
      close(r.bca![0], ref.bca[0], 'BCa lower');
      close(r.bca![1], ref.bca[1], 'BCa upper');
      // For the plain mean the jackknife influence values come from R's empinf.
      ref.L.forEach((l: number, i: number) => close(r.influence![i], l, `L[${i}]`));
      // Same seed → same replicates.
      expect(Array.from(bootstrap(s.nCases, s.stat, s.opts).replicates)).toEqual(Array.from(r.replicates));
      expect(r.unit).toBe(s.opts.clusters ? 'clusters' : 'cases');
    });
  }

  it('different seeds give different replicates', () => {
    const s = scenarios()[0];
    const a = bootstrap(s.nCases, s.stat, { ...s.opts, seed: 1 }).replicates;
    const b = bootstrap(s.nCases, s.stat, { ...s.opts, seed: 2 }).replicates;
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it('drops non-finite replicates and counts them', () => {
    const r = bootstrap(10, (idx) => (idx[0] === 0 ? NaN : idx.length), { replicates: 200, seed: 5, bca: false });
    expect(r.failed).toBeGreaterThan(0);
    expect(r.percentile).toEqual([10, 10]);
  });

  it('clustered resampling keeps patients whole', () => {
    const clusters = [0, 0, 0, 1, 1, 2, 3, 3, 3, 3];
    bootstrap(
      10,
      (idx) => {
        const count = new Map<number, number>();
        for (const i of idx) count.set(i, (count.get(i) ?? 0) + 1);
        // every case of a drawn patient appears equally often
        for (const [i, c] of count) for (let j = 0; j < 10; j++) if (clusters[j] === clusters[i]) expect(count.get(j)).toBe(c);
        return idx.length;
      },
      { replicates: 50, seed: 9, clusters, bca: false },
    );
  });

  it('normInter uses exact order statistics when (R+1)α is an integer', () => {
    const t = Float64Array.from({ length: 999 }, (_, i) => i + 1);
    expect(normInter(t, [0.025, 0.975])).toEqual([25, 975]);
  });
});
