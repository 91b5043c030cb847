/**
 * Every categorical agreement statistic that applies to the ratings' level, as report entries.
 *
 * nominal:  percent_agreement (all_agree, pairwise, rater_pair), cohen_kappa and scott_pi per
 *           rater pair, fleiss_kappa (complete_case, all_available), fleiss_kappa_category (both
 *           forms), light_kappa, conger_kappa, krippendorff_alpha (nominal), gwet_ac1,
 *           brennan_prediger.
 * ordinal:  the nominal set + weighted_kappa per pair and gwet_ac2 (linear, quadratic),
 *           krippendorff_alpha (ordinal).
 * interval / ratio: percent_agreement, weighted_kappa and gwet_ac2 (linear, quadratic, by
 *           category position), krippendorff_alpha (interval; ratio too at ratio level).
 */
import type { Ratings } from '../ratings.ts';
import { caseCounts, completeCases, pairTable, raterMatrix } from '../ratings.ts';
import { entry, type StatisticEntry, type Report, type ParamValue } from '../report.ts';
import { weightMatrix, weightsToArray, type WeightSpec } from './weights.ts';
import { brennanPredigerFW, fleissFW, fleissPairFW, gwetAC, percentAgreementFW, FRAMEWORK_CI_METHOD, type FrameworkResult } from './framework.ts';
import { cohenKappaTable, scottPiTable } from './cohen.ts';
import { dichotomise, fleissComplete } from './fleiss.ts';
import { congerKappa } from './conger.ts';
import { krippendorffAlpha, type AlphaMetric } from './krippendorff.ts';

export interface AgreementOptions {
  /** Confidence level, default 0.95. */
  level?: number;
  /** Weights for weighted_kappa and gwet_ac2 (ordinal and above). Default ['linear', 'quadratic']. */
  weights?: WeightSpec[];
  /** Per-pair entries (cohen_kappa, scott_pi, weighted_kappa, pairwise percent) only up to this many pairs. Default 45. */
  maxPairs?: number;
}

const WALD = 'normal (Wald): value ± z·se';

function fwEntry(id: string, res: FrameworkResult, method: string, parameters: Record<string, ParamValue>, level: number, raters: number, landisKoch = true): StatisticEntry {
  return entry({
    id,
    value: res.value,
    se: res.se,
    ci: { lower: res.ci[0], upper: res.ci[1], level, method: FRAMEWORK_CI_METHOD },
    test: { name: 't', value: res.t, df: res.df, null_hypothesis: `${id} = 0`, alternative: 'two-sided' },
    p: res.p,
    method,
    parameters,
    n: { cases: res.n, raters },
    landisKoch,
  });
}

function weightName(spec: WeightSpec): string {
  return Array.isArray(spec) ? 'custom' : spec;
}

function weightParam(spec: WeightSpec, q: number): ParamValue {
  return Array.isArray(spec) ? weightsToArray(weightMatrix(spec, q)) : spec;
}

/** All applicable statistics for `r`. */
export function categoricalAgreement(r: Ratings, opts: AgreementOptions = {}): Report {
  const level = opts.level ?? 0.95;
  const maxPairs = opts.maxPairs ?? 45;
  const q = r.nCategories;
  const R = r.nRaters;
  const stats: StatisticEntry[] = [];
  const warnings: string[] = [];
  const cc = caseCounts(r);
  const identity = weightMatrix('identity', q);
  const nominalSet = r.level === 'nominal' || r.level === 'ordinal';
  const weighted = r.level !== 'nominal';
  const weightSpecs = opts.weights ?? (['linear', 'quadratic'] as WeightSpec[]);
  const repeatedNote = r.repeated
    ? 'repeated ratings: the k-th rating of a case by reader R counts as rater "R#k"; exchangeable-rater statistics pool all ratings of a case'
    : undefined;
  const common: Record<string, ParamValue> = { level: r.level, categories: r.categories.length };
  if (r.repeated) common.repeated = 'reader×occasion raters';

  if (q < 2) warnings.push('only one category observed: chance-corrected coefficients are undefined');

  // --- percent agreement ---
  {
    let all = 0;
    let n2 = 0;
    for (let i = 0; i < cc.nCases; i++) {
      if (cc.totals[i] < 2) continue;
      n2++;
      const o = i * q;
      for (let k = 0; k < q; k++) {
        if (cc.counts[o + k] === cc.totals[i]) {
          all++;
          break;
        }
      }
    }
    stats.push(
      entry({
        id: 'percent_agreement',
        value: all / n2,
        method: 'Proportion of cases (with ≥ 2 ratings) on which all ratings are identical (irr::agree on complete data)',
        parameters: { ...common, variant: 'all_agree' },
        n: { cases: n2, raters: R },
      }),
    );
    stats.push(
      fwEntry(
        'percent_agreement',
        percentAgreementFW(cc, identity, level),
        'Mean over cases of the proportion of agreeing rating pairs (Gwet 2014; irrCAC pa.coeff.raw)',
        { ...common, variant: 'pairwise' },
        level,
        R,
        false,
      ),
    );
  }

  // --- pairwise (two-rater) statistics ---
  const nPairs = (R * (R - 1)) / 2;
  const mat = R >= 2 ? raterMatrix(r) : new Int32Array(0);
  const emitPairs = nPairs <= maxPairs;
  if (!emitPairs && R >= 2) warnings.push(`${nPairs} rater pairs: per-pair entries omitted (more than ${maxPairs})`);
  const lightKappas: number[] = [];
  if (R >= 2) {
    for (let a = 0; a < R; a++) {
      for (let b = a + 1; b < R; b++) {
        const { table, n } = pairTable(r, mat, a, b);
        if (n === 0) continue;
        const raters = [r.raterIds[a], r.raterIds[b]];
        const k = cohenKappaTable(table, q, identity, level);
        if (nominalSet) lightKappas.push(k.value);
        if (!emitPairs) continue;
        const pc = { ...common, raters, variant: 'rater_pair' };
        if (R > 2) {
          stats.push(
            entry({
              id: 'percent_agreement',
              value: k.po,
              method: 'Proportion of identical ratings over the cases both raters rated',
              parameters: pc,
              n: { cases: n, raters: 2 },
            }),
          );
        }
        if (nominalSet) {
          stats.push(
            entry({
              id: 'cohen_kappa',
              value: k.value,
              se: k.se,
              ci: { lower: k.ci[0], upper: k.ci[1], level, method: WALD },
              test: { name: 'z', value: k.z, df: null, null_hypothesis: 'kappa = 0', alternative: 'two-sided', se_null: k.se0 },
              p: k.p,
              method: 'Cohen (1960) over the cases both raters rated; SE: Fleiss, Cohen & Everitt (1969) large-sample; z test with the SE under H0 (as irr::kappa2)',
              parameters: { ...common, raters },
              n: { cases: n, raters: 2 },
              landisKoch: true,
            }),
          );
          const s = scottPiTable(table, q);
          const sfw = fleissPairFW(mat, R, a, b, table, q, level);
          stats.push(
            entry({
              id: 'scott_pi',
              value: s.value,
              se: sfw.se,
              ci: { lower: sfw.ci[0], upper: sfw.ci[1], level, method: FRAMEWORK_CI_METHOD },
              test: { name: 't', value: sfw.t, df: sfw.df, null_hypothesis: 'pi = 0', alternative: 'two-sided' },
              p: sfw.p,
              method: "Scott (1955) over the cases both raters rated; SE: Gwet (2014) for Fleiss' κ with 2 raters (irrCAC)",
              parameters: { ...common, raters },
              n: { cases: n, raters: 2 },
              landisKoch: true,
            }),
          );
        }
        if (weighted) {
          for (const spec of weightSpecs) {
            const wk = cohenKappaTable(table, q, weightMatrix(spec, q), level);
            stats.push(
              entry({
                id: 'weighted_kappa',
                value: wk.value,
                se: wk.se,
                ci: { lower: wk.ci[0], upper: wk.ci[1], level, method: WALD },
                test: { name: 'z', value: wk.z, df: null, null_hypothesis: 'kappa = 0', alternative: 'two-sided', se_null: wk.se0 },
                p: wk.p,
                method: 'Cohen (1968) weighted κ, agreement weights by category position; SE: Fleiss, Cohen & Everitt (1969); z test with the SE under H0',
                parameters: { ...common, raters, weights: weightParam(spec, q) },
                n: { cases: n, raters: 2 },
                landisKoch: true,
              }),
            );
          }
        }
      }
    }
  }

  if (nominalSet && q >= 2) {
    // --- Fleiss ---
    // Complete data (the usual case): the complete-case form works on the same counts.
    const comp = allCasesComplete(r) ? r : completeCases(r);
    let fwComplete: FrameworkResult | null = null;
    if (R >= 2 && comp.nCases >= 1) {
      const ccc = comp === r ? cc : caseCounts(comp);
      const fc = fleissComplete(ccc);
      const fw = fleissFW(ccc, identity, level);
      if (comp === r) fwComplete = fw;
      stats.push(
        entry({
          id: 'fleiss_kappa',
          value: fc.value,
          se: fw.se,
          ci: { lower: fw.ci[0], upper: fw.ci[1], level, method: FRAMEWORK_CI_METHOD },
          test: { name: 'z', value: fc.z, df: null, null_hypothesis: 'kappa = 0', alternative: 'two-sided', se_null: fc.se0 },
          p: fc.p,
          method:
            'Fleiss (1971) on the cases rated by all raters; SE for the CI: Gwet (2014) (irrCAC fleiss.kappa.raw); z test: SE under H0 of Fleiss, Nee & Landis (1979) (irr::kappam.fleiss)',
          parameters: { ...common, variant: 'complete_case' },
          n: { cases: fc.n, raters: fc.m },
          landisKoch: true,
          notes: comp.nCases < r.nCases ? [`${r.nCases - comp.nCases} case(s) without all ${R} raters dropped`] : undefined,
        }),
      );
      fc.categories.forEach((c, j) => {
        stats.push(
          entry({
            id: 'fleiss_kappa_category',
            value: c.value,
            se: c.se0,
            ci: null,
            test: { name: 'z', value: c.z, df: null, null_hypothesis: 'kappa_j = 0', alternative: 'two-sided', se_null: c.se0 },
            p: c.p,
            method: 'Fleiss (1971) κ for one category vs the rest, cases rated by all raters; SE √(2/(N m (m−1))) is valid under H0 only (no CI)',
            parameters: { ...common, variant: 'complete_case', category: r.categories[j] },
            n: { cases: fc.n, raters: fc.m },
          }),
        );
      });
    } else if (R >= 2) {
      warnings.push('no case was rated by all raters: complete-case Fleiss κ omitted');
    }
    if (R >= 2) {
      const fa = fwComplete ?? fleissFW(cc, identity, level);
      stats.push(fwEntry('fleiss_kappa', fa, "Fleiss' κ on all available ratings (Gwet 2014; irrCAC fleiss.kappa.raw)", { ...common, variant: 'all_available' }, level, R));
      for (let j = 0; j < q; j++) {
        const fj = fleissFW(dichotomise(cc, j), weightMatrix('identity', 2), level);
        stats.push(
          fwEntry(
            'fleiss_kappa_category',
            fj,
            "Fleiss' κ for one category vs the rest on all available ratings (Gwet 2014; irrCAC fleiss.kappa.raw on the dichotomised data)",
            { ...common, variant: 'all_available', category: r.categories[j] },
            level,
            R,
            false,
          ),
        );
      }
    }
    // --- Light ---
    if (R > 2 && lightKappas.length > 0) {
      stats.push(
        entry({
          id: 'light_kappa',
          value: lightKappas.reduce((s, x) => s + x, 0) / lightKappas.length,
          method: "Light (1971): mean of Cohen's κ over rater pairs, each pair on the cases both rated (irr::kappam.light on complete data). No closed-form SE: use a bootstrap",
          parameters: { ...common, pairs: lightKappas.length, variant: 'pairwise_available' },
          n: { cases: r.nCases, raters: R },
          landisKoch: true,
        }),
      );
    }
    // --- Conger ---
    if (R >= 2) {
      stats.push(
        fwEntry(
          'conger_kappa',
          congerKappa(r, identity, level, { cc, mat }),
          "Conger (1980) κ (Cohen's κ generalised to m raters) on all available ratings; SE: Gwet (2014) (irrCAC conger.kappa.raw)",
          { ...common },
          level,
          R,
        ),
      );
    }
    // --- Gwet AC1, Brennan–Prediger ---
    stats.push(fwEntry('gwet_ac1', gwetAC(cc, identity, level), "Gwet's AC1 (Gwet 2008) on all available ratings (irrCAC gwet.ac1.raw)", { ...common }, level, R));
    stats.push(
      fwEntry(
        'brennan_prediger',
        brennanPredigerFW(cc, identity, level),
        `Brennan & Prediger (1981) coefficient, chance agreement 1/q with q = ${q} ${r.categoriesDeclared ? 'declared' : 'observed'} categories (irrCAC bp.coeff.raw)`,
        { ...common },
        level,
        R,
      ),
    );
  }

  if (weighted && q >= 2) {
    for (const spec of weightSpecs) {
      stats.push(
        fwEntry(
          'gwet_ac2',
          gwetAC(cc, weightMatrix(spec, q), level),
          `Gwet's AC2 (Gwet 2014), ${weightName(spec)} weights by category position (irrCAC gwet.ac1.raw with weights)`,
          { ...common, weights: weightParam(spec, q) },
          level,
          R,
        ),
      );
    }
  }

  // --- Krippendorff ---
  if (q >= 2) {
    const metrics: AlphaMetric[] =
      r.level === 'nominal' ? ['nominal'] : r.level === 'ordinal' ? ['nominal', 'ordinal'] : r.level === 'interval' ? ['interval'] : ['interval', 'ratio'];
    for (const metric of metrics) {
      const a = krippendorffAlpha(cc, metric, r.categoryValues, level);
      const inf = a.inference;
      stats.push(
        entry({
          id: 'krippendorff_alpha',
          value: a.value,
          se: inf.se,
          ci: { lower: inf.ci[0], upper: inf.ci[1], level, method: FRAMEWORK_CI_METHOD },
          test: { name: 't', value: inf.t, df: inf.df, null_hypothesis: 'alpha = 0', alternative: 'two-sided' },
          p: inf.p,
          method: `Krippendorff's α, ${metric} metric, coincidence matrix over pairable cases (Krippendorff 2011); SE: Gwet (2014) (irrCAC krippen.alpha.raw)`,
          parameters: { ...common, metric },
          n: { cases: a.cases, raters: R, ratings: a.pairable },
          landisKoch: false,
        }),
      );
    }
  }

  if (repeatedNote) warnings.push(repeatedNote);
  return {
    statistics: stats,
    data: {
      level: r.level,
      categories: r.categories,
      cases: r.nCases,
      readers: r.nReaders,
      raters: R,
      ratings: r.nRatings,
      missing_rows: r.missingRows,
      repeated: r.repeated,
    },
    ...(warnings.length ? { warnings } : {}),
  };
}

/** Whether every case has a rating from every rater (then completeCases(r) would copy r). */
function allCasesComplete(r: Ratings): boolean {
  const R = r.nRaters;
  const seen = new Int32Array(R).fill(-1);
  for (let i = 0; i < r.nCases; i++) {
    if (r.caseStart[i + 1] - r.caseStart[i] < R) return false;
    let distinct = 0;
    for (let k = r.caseStart[i]; k < r.caseStart[i + 1]; k++) {
      if (seen[r.raterIndex[k]] !== i) {
        seen[r.raterIndex[k]] = i;
        distinct++;
      }
    }
    if (distinct !== R) return false;
  }
  return true;
}
