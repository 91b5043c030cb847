/**
 * Distribution functions for stats/, thin wrappers over @stdlib (see DESIGN.md: simple-statistics
 * has no t/F quantiles and its normal quantile is off in the third decimal).
 *
 * Naming follows R: p* = lower-tail CDF, q* = quantile. All functions are pure and total:
 * invalid parameters give NaN (never throw), as in @stdlib.
 *
 * Stable API (used by stats/measurement, stats/accuracy, stats/inference, …).
 */
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import fCdf from '@stdlib/stats-base-dists-f-cdf';
import fQuantile from '@stdlib/stats-base-dists-f-quantile';
import chisqCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import chisqQuantile from '@stdlib/stats-base-dists-chisquare-quantile';

/** Standard normal CDF Φ(x) (or N(mean, sd²) when given). */
export function pnorm(x: number, mean = 0, sd = 1): number {
  return normalCdf(x, mean, sd);
}

/** Standard normal quantile Φ⁻¹(p) (or of N(mean, sd²)). */
export function qnorm(p: number, mean = 0, sd = 1): number {
  return normalQuantile(p, mean, sd);
}

/** Student t CDF with `df` degrees of freedom. */
export function pt(x: number, df: number): number {
  return tCdf(x, df);
}

/** Student t quantile with `df` degrees of freedom. */
export function qt(p: number, df: number): number {
  return tQuantile(p, df);
}

/** F CDF with (df1, df2) degrees of freedom. */
export function pf(x: number, df1: number, df2: number): number {
  return fCdf(x, df1, df2);
}

/** F quantile with (df1, df2) degrees of freedom. */
export function qf(p: number, df1: number, df2: number): number {
  return fQuantile(p, df1, df2);
}

/** χ² CDF with `df` degrees of freedom. */
export function pchisq(x: number, df: number): number {
  return chisqCdf(x, df);
}

/** χ² quantile with `df` degrees of freedom. */
export function qchisq(p: number, df: number): number {
  return chisqQuantile(p, df);
}

/**
 * Two-sided p-value of a z statistic, computed as R does: 2 * (1 - pnorm(|z|)).
 * (R's irr and irrCAC use this exact form, so results match them bit-for-bit in practice;
 * for |z| > ~8 it underflows to 0, which is also what R reports.)
 */
export function pTwoSidedNormal(z: number): number {
  if (!Number.isFinite(z)) return Number.isNaN(z) ? NaN : 0;
  return 2 * (1 - pnorm(Math.abs(z)));
}

/** Two-sided p-value of a t statistic with `df` degrees of freedom: 2 * (1 - pt(|t|, df)). */
export function pTwoSidedT(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? NaN : 0;
  return 2 * (1 - pt(Math.abs(t), df));
}

/** Upper-tail p-value of a χ² statistic. */
export function pUpperChisq(x: number, df: number): number {
  return 1 - pchisq(x, df);
}

/** Upper-tail p-value of an F statistic. */
export function pUpperF(x: number, df1: number, df2: number): number {
  return 1 - pf(x, df1, df2);
}

/** Wald interval est ± z_{1-(1-level)/2} · se. Returns [NaN, NaN] when se is not finite. */
export function waldInterval(est: number, se: number, level = 0.95): [number, number] {
  const z = qnorm(1 - (1 - level) / 2);
  return [est - z * se, est + z * se];
}

/** Interval est ± t_{1-(1-level)/2, df} · se. */
export function tInterval(est: number, se: number, df: number, level = 0.95): [number, number] {
  const t = qt(1 - (1 - level) / 2, df);
  return [est - t * se, est + t * se];
}
