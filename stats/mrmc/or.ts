/**
 * Obuchowski–Rockette (1995) analysis of a fully crossed arm × reader × case study, with Hillis's
 * (2007) denominator degrees of freedom, for random readers & random cases (RRRC), fixed readers
 * & random cases (FRRC) and random readers & fixed cases (RRFC), as OR-DBM MRMC 2.51, MRMCaov
 * and RJafroc report them (formulas: Hillis 2007; Hillis, Berbaum & Metz 2008).
 *
 * From the T × R table of FOMs θ_ij: MS(T), MS(R), MS(T×R) of the two-way ANOVA, and from the
 * covariance matrix of the FOMs the OR error components Var = mean of the diagonal, Cov1 = same
 * reader / different arms, Cov2 = different readers / same arm, Cov3 = different readers and arms.
 *
 * RRRC: F = MS(T) / [MS(T×R) + R·max(Cov2 − Cov3, 0)], ddf_H = den² / (MS(T×R)² / ((T−1)(R−1))).
 * FRRC: X² = (T−1) MS(T) / [Var − Cov1 + (R−1) max(Cov2 − Cov3, 0)] on T − 1 df; per arm
 * SE √([Var_i + (R−1) max(Cov2_i, 0)] / R); per reader SE √(2 (Var_j − Cov1_j)).
 * RRFC: F = MS(T) / MS(T×R) on (T − 1, (T − 1)(R − 1)) df.
 * Variance components are the unconstrained ANOVA estimates (they may be negative); only the
 * test denominators use max(·, 0), as the references do (docs/decisions/stats-0002-mrmc.md).
 *
 * Split-plot (readers in groups, each group reading its own cases): FOMs of readers in different
 * groups share no case, so Cov2 and Cov3 are averaged over pairs of readers of the same group
 * only, and every R − 1 = (R·(R−1))/R above becomes P = Σ_g J_g (J_g − 1) / R, the mean number
 * of other readers sharing a reader's cases (J_g readers in group g). The moment estimators
 * follow from E[MS(T×R)] = σ²_TR + Var − Cov1 − P/(R−1)·(Cov2 − Cov3): RRRC denominator
 * MS(T×R) + R·P/(R−1)·max(Cov2 − Cov3, 0); FRRC Var − Cov1 + P·max(Cov2 − Cov3, 0). One group
 * gives the fully crossed formulas exactly; one reader per group gives Cov2 = Cov3 = 0 (MRMCaov's
 * "cases nested within readers"). Decision: docs/decisions/stats-0002-mrmc.md §8.
 */
import { pchisq, pf, pnorm, pt, qnorm, qt } from '../distributions.ts';
import type { Study } from './study.ts';

export interface Difference {
  arms: [string, string];
  estimate: number;
  se: number;
  /** t (RRRC, RRFC) or z (FRRC). */
  statistic: number;
  /** Denominator df; null for the normal (z) reference. */
  df: number | null;
  p: number;
  ci: [number, number];
}

export interface ArmEstimate {
  arm: string;
  estimate: number;
  se: number;
  df: number | null;
  ci: [number, number];
}

export interface OrComponents {
  varR: number;
  varTR: number;
  cov1: number;
  cov2: number;
  cov3: number;
  varError: number;
  corr1: number;
  corr2: number;
  corr3: number;
}

export interface OrResult {
  foms: { arm: string; reader: string; value: number }[];
  armMeans: { arm: string; value: number }[];
  anova: { msT: number; msR: number; msTR: number; dfT: number; dfR: number; dfTR: number; ssT: number; ssR: number; ssTR: number };
  /** Per arm: MS(R) of that arm's readers, Var and Cov2 within the arm. */
  perArm: { arm: string; msR: number; varError: number; cov2: number }[];
  components: OrComponents;
  rrrc: { F: number; df1: number; df2: number; p: number; denominator: number; differences: Difference[]; arms: ArmEstimate[] };
  frrc: {
    chisq: number;
    df: number;
    p: number;
    differences: Difference[];
    arms: ArmEstimate[];
    readers: { reader: string; varError: number; cov1: number; differences: Difference[] }[];
  };
  rrfc: { F: number; df1: number; df2: number; p: number; differences: Difference[]; arms: ArmEstimate[] };
}

function pTwoT(t: number, df: number): number {
  return 2 * pt(-Math.abs(t), df);
}
function pTwoZ(z: number): number {
  return 2 * pnorm(-Math.abs(z));
}

/** Two-sided p for an F test; a zero numerator gives 1 (no evidence), a zero denominator NaN. */
function pUpperF(F: number, d1: number, d2: number): number {
  if (!(F > 0)) return F === 0 ? 1 : NaN;
  return 1 - pf(F, d1, d2);
}

function pairs(T: number): [number, number][] {
  const out: [number, number][] = [];
  for (let a = 0; a < T; a++) for (let b = a + 1; b < T; b++) out.push([a, b]);
  return out;
}

function diff(arms: string[], a: number, b: number, est: number, se: number, df: number | null, level: number): Difference {
  const statistic = se > 0 ? est / se : est === 0 ? 0 : Math.sign(est) * Infinity;
  const q = df === null ? qnorm(1 - (1 - level) / 2) : qt(1 - (1 - level) / 2, df);
  const p = se > 0 ? (df === null ? pTwoZ(statistic) : pTwoT(statistic, df)) : est === 0 ? 1 : 0;
  return { arms: [arms[a], arms[b]], estimate: est, se, statistic, df, p, ci: se === 0 ? [est, est] : [est - q * se, est + q * se] };
}

function armCi(arm: string, est: number, se: number, df: number | null, level: number): ArmEstimate {
  const q = df === null ? qnorm(1 - (1 - level) / 2) : qt(1 - (1 - level) / 2, df);
  // Every FOM here (AUC, sensitivity, specificity) lies in [0, 1]: the CI is clipped there, as MRMCaov does.
  return { arm, estimate: est, se, df, ci: [Math.max(0, est - q * se), Math.min(1, est + q * se)] };
}

/** Average of cov[g][h] over the (g, h) pairs selected by `keep(arm_g, reader_g, arm_h, reader_h)`. */
function meanCov(cov: Float64Array, T: number, R: number, keep: (a: number, r: number, b: number, s: number) => boolean): number {
  const G = T * R;
  let sum = 0;
  let n = 0;
  for (let a = 0; a < T; a++)
    for (let r = 0; r < R; r++)
      for (let b = 0; b < T; b++)
        for (let s = 0; s < R; s++)
          if (keep(a, r, b, s)) {
            sum += cov[(a * R + r) * G + (b * R + s)];
            n++;
          }
  return n ? sum / n : 0;
}

export interface OrOptions {
  level?: number;
  /**
   * FRRC denominator Var − Cov1 + (R − 1)·max(Cov2 − Cov3, 0) as Hillis (2007) and OR-DBM MRMC
   * (default); false drops the max(·, 0) as MRMCaov 0.3.0 does (docs/decisions/stats-0002-mrmc.md).
   */
  frrcFloor?: boolean;
  /** Split-plot group of each reader (default: one group, fully crossed). */
  readerGroup?: Int32Array;
}

export function orAnalysis(study: Pick<Study, 'arms' | 'readers'>, theta: Float64Array, cov: Float64Array, opts: OrOptions = {}): OrResult {
  const level = opts.level ?? 0.95;
  const floor = opts.frrcFloor ?? true;
  const { arms, readers } = study;
  const T = arms.length;
  const R = readers.length;
  const th = (a: number, r: number) => theta[a * R + r];
  const grp = opts.readerGroup ?? new Int32Array(R);
  const sizes = new Map<number, number>();
  for (const g of grp) sizes.set(g, (sizes.get(g) ?? 0) + 1);
  let pairsSum = 0;
  for (const n of sizes.values()) pairsSum += n * (n - 1);
  /** Mean number of other readers who read a reader's cases (R − 1 when fully crossed). */
  const P = pairsSum / R;
  const same = (r: number, s: number) => grp[r] === grp[s];
  let grand = 0;
  for (let g = 0; g < T * R; g++) grand += theta[g];
  grand /= T * R;
  const armMean = arms.map((_, a) => {
    let s = 0;
    for (let r = 0; r < R; r++) s += th(a, r);
    return s / R;
  });
  const readerMean = readers.map((_, r) => {
    let s = 0;
    for (let a = 0; a < T; a++) s += th(a, r);
    return s / T;
  });
  // Centred on the mean of the arm means (equal to the grand mean) so identical arms give exactly 0.
  const meanOfArms = armMean.reduce((x, y) => x + y, 0) / T;
  let ssT = 0;
  for (let a = 0; a < T; a++) ssT += R * (armMean[a] - meanOfArms) ** 2;
  let ssR = 0;
  for (let r = 0; r < R; r++) ssR += T * (readerMean[r] - grand) ** 2;
  let ssTR = 0;
  for (let a = 0; a < T; a++) for (let r = 0; r < R; r++) ssTR += (th(a, r) - armMean[a] - readerMean[r] + grand) ** 2;
  const dfT = T - 1;
  const dfR = R - 1;
  const dfTR = (T - 1) * (R - 1);
  const msT = dfT > 0 ? ssT / dfT : NaN;
  const msR = ssR / dfR;
  const msTR = dfTR > 0 ? ssTR / dfTR : NaN;

  const varError = meanCov(cov, T, R, (a, r, b, s) => a === b && r === s);
  const cov1 = T > 1 ? meanCov(cov, T, R, (a, r, b, s) => a !== b && r === s) : NaN;
  const cov2 = meanCov(cov, T, R, (a, r, b, s) => a === b && r !== s && same(r, s));
  const cov3 = T > 1 ? meanCov(cov, T, R, (a, r, b, s) => a !== b && r !== s && same(r, s)) : NaN;
  // R·P/(R − 1): R when fully crossed, 0 when no two readers share cases.
  const kR = (R * P) / (R - 1);
  const kP = P / (R - 1);

  const perArm = arms.map((arm, i) => {
    let s2 = 0;
    for (let r = 0; r < R; r++) s2 += (th(i, r) - armMean[i]) ** 2;
    return {
      arm,
      msR: s2 / dfR,
      varError: meanCov(cov, T, R, (a, r, b, s) => a === i && b === i && r === s),
      cov2: meanCov(cov, T, R, (a, r, b, s) => a === i && b === i && r !== s && same(r, s)),
    };
  });

  const components: OrComponents = {
    varR: T > 1 ? (msR - msTR) / T - cov1 + kP * cov3 : msR - varError + kP * cov2,
    varTR: T > 1 ? msTR - varError + cov1 + kP * (cov2 - cov3) : NaN,
    cov1,
    cov2,
    cov3,
    varError,
    corr1: cov1 / varError,
    corr2: cov2 / varError,
    corr3: cov3 / varError,
  };

  const prs = pairs(T);

  // RRRC
  const den = msTR + kR * Math.max(cov2 - cov3, 0);
  // Identical arms: MS(T) = 0 and possibly a zero denominator; no difference means F = 0, p = 1.
  const ratio = (num: number, d: number) => (num === 0 ? 0 : num / d);
  const F = ratio(msT, den);
  const ddf = (den * den) / ((msTR * msTR) / dfTR);
  const rrrcArms = perArm.map((p, i) => {
    const d = p.msR + kR * Math.max(p.cov2, 0);
    const df = (d * d) / ((p.msR * p.msR) / dfR);
    return armCi(p.arm, armMean[i], Math.sqrt(d / R), df, level);
  });
  const rrrc = {
    F,
    df1: dfT,
    df2: ddf,
    p: pUpperF(F, dfT, ddf),
    denominator: den,
    differences: prs.map(([a, b]) => diff(arms, a, b, armMean[a] - armMean[b], Math.sqrt((2 / R) * den), ddf, level)),
    arms: rrrcArms,
  };

  // FRRC
  const denF = varError - cov1 + P * (floor ? Math.max(cov2 - cov3, 0) : cov2 - cov3);
  const chisq = ratio(dfT * msT, denF);
  const frrc = {
    chisq,
    df: dfT,
    p: chisq > 0 ? 1 - pchisq(chisq, dfT) : chisq === 0 ? 1 : NaN,
    differences: prs.map(([a, b]) => diff(arms, a, b, armMean[a] - armMean[b], Math.sqrt((2 / R) * denF), null, level)),
    arms: perArm.map((p, i) => armCi(p.arm, armMean[i], Math.sqrt((p.varError + P * Math.max(p.cov2, 0)) / R), null, level)),
    readers: readers.map((reader, j) => {
      const v = meanCov(cov, T, R, (a, r, b, s) => r === j && s === j && a === b);
      const c1 = T > 1 ? meanCov(cov, T, R, (a, r, b, s) => r === j && s === j && a !== b) : NaN;
      return {
        reader,
        varError: v,
        cov1: c1,
        differences: prs.map(([a, b]) => diff(arms, a, b, th(a, j) - th(b, j), Math.sqrt(2 * (v - c1)), null, level)),
      };
    }),
  };

  // RRFC
  const Ff = ratio(msT, msTR);
  const rrfc = {
    F: Ff,
    df1: dfT,
    df2: dfTR,
    p: pUpperF(Ff, dfT, dfTR),
    differences: prs.map(([a, b]) => diff(arms, a, b, armMean[a] - armMean[b], Math.sqrt((2 / R) * msTR), dfTR, level)),
    arms: perArm.map((p, i) => armCi(p.arm, armMean[i], Math.sqrt(p.msR / R), dfR, level)),
  };

  return {
    foms: arms.flatMap((arm, a) => readers.map((reader, r) => ({ arm, reader, value: th(a, r) }))),
    armMeans: arms.map((arm, a) => ({ arm, value: armMean[a] })),
    anova: { msT, msR, msTR, dfT, dfR, dfTR, ssT, ssR, ssTR },
    perArm,
    components,
    rrrc,
    frrc,
    rrfc,
  };
}
