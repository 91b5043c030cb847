/**
 * Sample size against R (stats/fixtures/mrmc/sample-size.json: tool, version and call recorded
 * there): MRMC power by Hillis–Obuchowski–Berbaum (2011) eqn 10 with R's non-central F/χ², on the
 * Van Dyke OR components; Buderer (1996) case counts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { budererSensitivity, budererSpecificity, casesForPower, mrmcPower, pfNoncentral, type Generalise, type OrPilot } from './sample-size.ts';

const ref = JSON.parse(readFileSync(new URL('./fixtures/mrmc/sample-size.json', import.meta.url), 'utf8')) as {
  pilot: OrPilot;
  power: { readers: number; cases: number; effect: number; analysis: Generalise; power: number; ncp: number; df2?: number }[];
  buderer: { kind: 'sensitivity' | 'specificity'; value: number; prevalence: number; halfWidth: number; expected: { inClass: number; total: number } }[];
};

describe('MRMC power (R stats::pf with ncp, Hillis et al. 2011 eqn 10 as in RJafroc 2.1.3)', () => {
  for (const c of ref.power)
    it(`${c.analysis} J=${c.readers} K=${c.cases} d=${c.effect}: power ${c.power}`, () => {
      const r = mrmcPower(ref.pilot, c.readers, c.cases, c.effect, 0.05, c.analysis);
      expect(Math.abs(r.power - c.power)).toBeLessThan(1e-9);
      expect(Math.abs(r.ncp - c.ncp)).toBeLessThan(1e-9 * c.ncp);
      if (c.df2 !== undefined) expect(Math.abs(r.df2! - c.df2)).toBeLessThan(1e-9 * c.df2);
    });
  it('non-central F reduces to the central F at λ = 0 and grows less likely to be small as λ grows', () => {
    expect(pfNoncentral(2, 1, 10, 0)).toBeCloseTo(0.8123, 3);
    expect(pfNoncentral(2, 1, 10, 5)).toBeLessThan(pfNoncentral(2, 1, 10, 1));
  });
  it('casesForPower returns the smallest K reaching the target', () => {
    const r = casesForPower(ref.pilot, 6, 0.05, 0.8)!;
    expect(r.power).toBeGreaterThanOrEqual(0.8);
    expect(mrmcPower(ref.pilot, 6, r.cases - 1, 0.05).power).toBeLessThan(0.8);
    expect(casesForPower(ref.pilot, 2, 0.001, 0.99, 0.05, 'rrrc', 500)).toBeNull();
  });
});

describe('Buderer (1996)', () => {
  for (const b of ref.buderer)
    it(`${b.kind} ${b.value}, prevalence ${b.prevalence}, ±${b.halfWidth}`, () => {
      const f = b.kind === 'sensitivity' ? budererSensitivity : budererSpecificity;
      expect(f(b.value, b.prevalence, b.halfWidth)).toEqual(b.expected);
    });
  it('rejects impossible inputs with a named field', () => {
    expect(() => budererSensitivity(0.9, 0, 0.05)).toThrow(/prevalence/);
  });
});
