/**
 * Measurement-scale statistics of a Ratings object as report entries (ids icc, kendall_w,
 * bland_altman, lin_ccc). Values are the categories' numeric values (interval/ratio) or their
 * positions 1..q (ordinal). Raters are the columns (with --repeated, reader×occasion raters).
 *
 *  interval / ratio: icc (six forms), kendall_w, bland_altman (bias, lower and upper limit) and
 *                    lin_ccc for each rater pair;
 *  ordinal:          kendall_w.
 */
import { raterMatrix, type Ratings } from '../ratings.ts';
import { entry, type ParamValue, type StatisticEntry } from '../report.ts';
import { icc } from './icc.ts';
import { blandAltman, linCcc } from './agreement.ts';
import { kendallW } from './kendall.ts';

export const KOO_LI_SCALE = 'Koo & Li (2016) ICC bands: < 0.5 poor, 0.5–0.75 moderate, 0.75–0.9 good, > 0.9 excellent (a convention, not a finding)';

export interface MeasurementOptions {
  level?: number;
  /** Per-pair entries only up to this many rater pairs. Default 45. */
  maxPairs?: number;
}

/** Case × rater matrix of numeric values, NaN = no rating. */
export function valueMatrix(r: Ratings): number[][] {
  const m = raterMatrix(r);
  const R = r.nRaters;
  return Array.from({ length: r.nCases }, (_, i) => Array.from({ length: R }, (_, j) => (m[i * R + j] < 0 ? NaN : r.categoryValues[m[i * R + j]])));
}

export function measurementEntries(r: Ratings, opts: MeasurementOptions = {}): { statistics: StatisticEntry[]; warnings: string[] } {
  const level = opts.level ?? 0.95;
  const maxPairs = opts.maxPairs ?? 45;
  const out: StatisticEntry[] = [];
  const warnings: string[] = [];
  if (r.level === 'nominal' || r.nRaters < 2) return { statistics: out, warnings };
  const rows = valueMatrix(r);
  const complete = rows.filter((row) => row.every(Number.isFinite)).length;
  const common: Record<string, ParamValue> = { level: r.level };
  if (r.repeated) common.repeated = 'reader×occasion raters';
  const dropNote = complete < rows.length ? [`${rows.length - complete} cases without a rating from every rater left out (complete cases only)`] : [];

  if (complete >= 2) {
    const kw = kendallW(rows);
    out.push(
      entry({
        id: 'kendall_w',
        value: kw.value,
        test: { name: 'chi2', value: kw.chisq, df: kw.df, null_hypothesis: 'no concordance (W = 0)', alternative: 'greater' },
        p: kw.p,
        method: "Kendall's W with tie correction (Kendall 1948), χ² = m(n−1)W (as irr::kendall(correct = TRUE)); complete cases",
        parameters: { ...common, tie_correction: true, uncorrected: kw.uncorrected },
        n: { cases: kw.n, raters: kw.m },
        notes: dropNote,
      }),
    );
  } else warnings.push('kendall_w: fewer than 2 cases rated by every rater');

  if (r.level !== 'interval' && r.level !== 'ratio') return { statistics: out, warnings };

  if (complete >= 2) {
    const res = icc(rows, { level });
    for (const f of res.forms) {
      out.push(
        entry({
          id: 'icc',
          value: f.value,
          ci: {
            lower: f.ci[0],
            upper: f.ci[1],
            level,
            method:
              f.type === 'absolute agreement' && f.model !== 'one-way random'
                ? 'McGraw & Wong (1996) with Satterthwaite df at ICC(A,1) (as psych::ICC; see docs/decisions/stats2-icc-average-agreement-ci.md)'
                : 'F distribution (Shrout & Fleiss 1979; McGraw & Wong 1996)',
          },
          test: { name: 'F', value: f.F, df: [f.df1, f.df2], null_hypothesis: 'ICC = 0', alternative: 'greater' },
          p: f.p,
          method: `${f.name} (Shrout & Fleiss ${f.form}): ${f.model}, ${f.type}, ${f.unit} measures; ANOVA mean squares (as psych::ICC / irr::icc)`,
          parameters: { ...common, form: f.form, name: f.name, model: f.model, type: f.type, unit: f.unit },
          n: { cases: res.anova.n, raters: res.anova.k },
          notes: dropNote,
        }),
      );
      out[out.length - 1].interpretation = { scale: KOO_LI_SCALE, label: f.band, convention: true };
    }
  } else warnings.push('icc: fewer than 2 cases rated by every rater');

  const R = r.nRaters;
  const nPairs = (R * (R - 1)) / 2;
  if (nPairs > maxPairs) {
    warnings.push(`${nPairs} rater pairs: Bland–Altman and Lin CCC entries omitted (more than ${maxPairs})`);
    return { statistics: out, warnings };
  }
  for (let a = 0; a < R; a++) {
    for (let b = a + 1; b < R; b++) {
      const x = rows.map((row) => row[a]);
      const y = rows.map((row) => row[b]);
      const raters: ParamValue = [r.raterIds[a], r.raterIds[b]];
      let nPair = 0;
      for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]) && Number.isFinite(y[i])) nPair++;
      if (nPair < 3) {
        warnings.push(`bland_altman/lin_ccc ${r.raterIds[a]} vs ${r.raterIds[b]}: fewer than 3 cases rated by both`);
        continue;
      }
      const ba = blandAltman(x, y, { level });
      const baMethod = `Bland & Altman (1986): differences ${r.raterIds[a]} − ${r.raterIds[b]}, limits = bias ± ${ba.multiplier}·SD (as BlandAltmanLeh::bland.altman.stats)`;
      const tq = `t(n−1)`;
      const n = { cases: ba.n, raters: 2 };
      out.push(
        entry({
          id: 'bland_altman',
          value: ba.bias,
          se: ba.sd / Math.sqrt(ba.n),
          ci: { lower: ba.biasCi[0], upper: ba.biasCi[1], level, method: `${tq}: bias ± t·SD/√n` },
          method: baMethod,
          parameters: { ...common, raters, variant: 'bias', sd: ba.sd },
          n,
        }),
        entry({
          id: 'bland_altman',
          value: ba.lower,
          se: ba.loaSe,
          ci: { lower: ba.lowerCi[0], upper: ba.lowerCi[1], level, method: `${tq}: limit ± t·√(3SD²/n) (Bland & Altman 1986)` },
          method: baMethod,
          parameters: { ...common, raters, variant: 'lower_limit', multiplier: ba.multiplier },
          n,
        }),
        entry({
          id: 'bland_altman',
          value: ba.upper,
          se: ba.loaSe,
          ci: { lower: ba.upperCi[0], upper: ba.upperCi[1], level, method: `${tq}: limit ± t·√(3SD²/n) (Bland & Altman 1986)` },
          method: baMethod,
          parameters: { ...common, raters, variant: 'upper_limit', multiplier: ba.multiplier },
          n,
        }),
      );
      const c = linCcc(x, y, { level });
      out.push(
        entry({
          id: 'lin_ccc',
          value: c.value,
          se: c.se,
          ci: {
            lower: c.ci[0],
            upper: c.ci[1],
            level,
            method: "Fisher z-transform of ρc with SE/(1 − ρc²), back-transformed (Lin 1989; DescTools::CCC ci = 'z-transform', epiR::epi.ccc)",
          },
          method: "Lin's (1989, 2000) concordance correlation coefficient, asymptotic SE (as DescTools::CCC)",
          parameters: { ...common, raters, pearson_r: c.r, bias_correction_factor: c.cb },
          n: { cases: c.n, raters: 2 },
        }),
      );
    }
  }
  return { statistics: out, warnings };
}
