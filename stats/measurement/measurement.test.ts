import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { icc, blandAltman, linCcc, kendallW, kooLiBand } from './index.ts';

const fx = JSON.parse(readFileSync(new URL('../fixtures/measurement/measurement.json', import.meta.url), 'utf8'));

function close(actual: number, expected: number, what: string): void {
  const tol = 1e-9 + 1e-9 * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= tol)) throw new Error(`${what}: got ${actual}, expected ${expected} (diff ${actual - expected})`);
}
const toRows = (m: (number | null)[][]): number[][] => m.map((r) => r.map((v) => (v === null ? NaN : v)));

describe('ICC against R psych::ICC (all six forms)', () => {
  for (const [name, d] of Object.entries<any>(fx.datasets)) {
    it(name, () => {
      const out = icc(toRows(d.matrix));
      for (const ref of d.icc.psych) {
        const f = out.forms.find((x) => x.form === ref.form)!;
        close(f.value, ref.value, `${name} ${ref.form} value`);
        close(f.F, ref.F, `${name} ${ref.form} F`);
        close(f.df1, ref.df1, `${name} ${ref.form} df1`);
        close(f.df2, ref.df2, `${name} ${ref.form} df2`);
        close(f.p, ref.p, `${name} ${ref.form} p`);
        close(f.ci[0], ref.lower, `${name} ${ref.form} lower`);
        close(f.ci[1], ref.upper, `${name} ${ref.form} upper`);
      }
    });
  }
});

describe('ICC against R irr::icc', () => {
  const formOf = (r: any): string =>
    r.model === 'oneway' ? (r.unit === 'single' ? 'ICC1' : 'ICC1k') : `${r.type === 'agreement' ? 'ICC2' : 'ICC3'}${r.unit === 'single' ? '' : 'k'}`;
  for (const [name, d] of Object.entries<any>(fx.datasets)) {
    it(`${name}: estimates of all forms; F, p and CI except where irr departs from McGraw & Wong`, () => {
      const out = icc(toRows(d.matrix));
      for (const ref of d.icc.irr) {
        const f = out.forms.find((x) => x.form === formOf(ref))!;
        close(f.value, ref.value, `${name} ${ref.call} value`);
        close(f.F, ref.F, `${name} ${ref.call} F`);
        if (ref.type === 'agreement') {
          // irr tests ρ = 0 on Satterthwaite df computed at the estimate, we (and psych) use the
          // exact (n−1)(k−1); for the average form irr also computes v at ICC(A,k) instead of
          // ICC(A,1). See docs/decisions/stats2-icc-average-agreement-ci.md.
          if (ref.unit === 'single') {
            close(f.ci[0], ref.lower, `${name} ${ref.call} lower`);
            close(f.ci[1], ref.upper, `${name} ${ref.call} upper`);
          } else {
            expect(Math.abs(f.ci[0] - ref.lower)).toBeGreaterThan(1e-6);
          }
          continue;
        }
        close(f.df2, ref.df2, `${name} ${ref.call} df2`);
        close(f.p, ref.p, `${name} ${ref.call} p`);
        close(f.ci[0], ref.lower, `${name} ${ref.call} lower`);
        close(f.ci[1], ref.upper, `${name} ${ref.call} upper`);
      }
    });
  }

  it('drops incomplete rows and counts them', () => {
    const out = icc(toRows(fx.datasets.random_na.matrix));
    expect(out.droppedRows).toBe(3);
    expect(out.anova.n).toBe(37);
  });
});

describe("Kendall's W against irr::kendall", () => {
  for (const [name, d] of Object.entries<any>(fx.datasets)) {
    it(name, () => {
      const w = kendallW(toRows(d.matrix));
      close(w.value, d.kendall.value, `${name} W`);
      close(w.uncorrected, d.kendall.uncorrected, `${name} W uncorrected`);
      close(w.chisq, d.kendall.chisq, `${name} chisq`);
      expect(w.df).toBe(d.kendall.df);
      close(w.p, d.kendall.p, `${name} p`);
    });
  }
});

describe('Bland–Altman (BlandAltmanLeh) and Lin CCC (DescTools) on raters 1 vs 2', () => {
  for (const [name, d] of Object.entries<any>(fx.datasets)) {
    it(name, () => {
      const rows = toRows(d.matrix);
      const x = rows.map((r) => r[0]);
      const y = rows.map((r) => r[1]);
      // BlandAltmanLeh and DescTools get the complete rows of the whole matrix.
      const keep = rows.map((r) => r.every(Number.isFinite));
      const xs = x.filter((_, i) => keep[i]);
      const ys = y.filter((_, i) => keep[i]);
      const ba = blandAltman(xs, ys);
      const r = d.pairs_1_2.bland_altman;
      close(ba.bias, r.bias, 'bias');
      close(ba.lower, r.lower, 'lower');
      close(ba.upper, r.upper, 'upper');
      close(ba.biasCi[0], r.ci['mean.diff.ci.lower'], 'bias ci lower');
      close(ba.biasCi[1], r.ci['mean.diff.ci.upper'], 'bias ci upper');
      close(ba.lowerCi[0], r.ci['lower.limit.ci.lower'], 'lower limit ci lower');
      close(ba.lowerCi[1], r.ci['lower.limit.ci.upper'], 'lower limit ci upper');
      close(ba.upperCi[0], r.ci['upper.limit.ci.lower'], 'upper limit ci lower');
      close(ba.upperCi[1], r.ci['upper.limit.ci.upper'], 'upper limit ci upper');
      const c = linCcc(xs, ys);
      const rc = d.pairs_1_2.ccc;
      close(c.value, rc.value, 'ccc');
      close(c.ci[0], rc.lower, 'ccc lower');
      close(c.ci[1], rc.upper, 'ccc upper');
      close(c.ciAsymptotic[0], rc.lower_asymptotic, 'ccc lower asymptotic');
      close(c.ciAsymptotic[1], rc.upper_asymptotic, 'ccc upper asymptotic');
      close(c.cb, rc.C_b, 'C_b');
    });
  }

  it('drops incomplete pairs itself', () => {
    const ba = blandAltman([1, 2, NaN, 4], [1.5, 2, 3, 3]);
    expect(ba.n).toBe(3);
    expect(ba.droppedPairs).toBe(1);
  });
});

describe('Koo & Li bands', () => {
  it('are labelled conventionally', () => {
    expect([0.3, 0.5, 0.8, 0.95].map(kooLiBand)).toEqual(['poor', 'moderate', 'good', 'excellent']);
  });
});
