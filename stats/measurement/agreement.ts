/**
 * Agreement between two measurement methods (or two readers) on a continuous scale:
 * Bland–Altman bias and limits of agreement, and Lin's concordance correlation coefficient.
 * Pairs with a missing (non-finite) value are dropped and counted.
 */
import { qnorm, qt } from '../distributions.ts';

export interface BlandAltmanResult {
  n: number;
  droppedPairs: number;
  /** Mean of x − y. */
  bias: number;
  /** Sample SD (n − 1) of x − y. */
  sd: number;
  /** Multiplier of the SD for the limits (1.96 by default, as Bland & Altman 1986). */
  multiplier: number;
  lower: number;
  upper: number;
  /** t-based CI of the bias: bias ± t_{n−1} sd/√n. */
  biasCi: [number, number];
  /** CIs of the limits: limit ± t_{n−1} · se, se per `loaSe`. */
  lowerCi: [number, number];
  upperCi: [number, number];
  loaSe: number;
  loaSeMethod: 'bland-altman-1986' | 'bland-altman-1999';
  level: number;
}

function pairs(x: ArrayLike<number>, y: ArrayLike<number>): { a: Float64Array; b: Float64Array; dropped: number } {
  if (x.length !== y.length) throw new RangeError(`x and y differ in length (${x.length} vs ${y.length})`);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]) && Number.isFinite(y[i])) {
      a.push(x[i]);
      b.push(y[i]);
    }
  }
  return { a: Float64Array.from(a), b: Float64Array.from(b), dropped: x.length - a.length };
}

function mean(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
}

/**
 * Bland & Altman (1986): bias = mean(x − y), limits = bias ± 1.96·SD. The standard error of a
 * limit is √(3 s²/n) (Bland & Altman 1986, as R BlandAltmanLeh::bland.altman.stats) by default,
 * or √(s² (1/n + z²/(2(n−1)))) (Bland & Altman 1999) with loaSe = 'bland-altman-1999'.
 */
export function blandAltman(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  opts: { level?: number; multiplier?: number; loaSe?: 'bland-altman-1986' | 'bland-altman-1999' } = {},
): BlandAltmanResult {
  const level = opts.level ?? 0.95;
  const z = opts.multiplier ?? 1.96;
  const { a, b, dropped } = pairs(x, y);
  const n = a.length;
  if (n < 2) throw new RangeError(`Bland–Altman needs at least 2 complete pairs (got ${n})`);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = a[i] - b[i];
  const bias = mean(d);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (d[i] - bias) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  const lower = bias - z * sd;
  const upper = bias + z * sd;
  const t = qt(1 - (1 - level) / 2, n - 1);
  const seBias = sd / Math.sqrt(n);
  const method = opts.loaSe ?? 'bland-altman-1986';
  const loaSe = method === 'bland-altman-1986' ? Math.sqrt((3 * sd * sd) / n) : Math.sqrt(sd * sd * (1 / n + (z * z) / (2 * (n - 1))));
  return {
    n,
    droppedPairs: dropped,
    bias,
    sd,
    multiplier: z,
    lower,
    upper,
    biasCi: [bias - t * seBias, bias + t * seBias],
    lowerCi: [lower - t * loaSe, lower + t * loaSe],
    upperCi: [upper - t * loaSe, upper + t * loaSe],
    loaSe,
    loaSeMethod: method,
    level,
  };
}

export interface CccResult {
  n: number;
  droppedPairs: number;
  value: number;
  /** Pearson correlation (precision). */
  r: number;
  /** Bias correction factor C_b = ρ_c / r (accuracy). */
  cb: number;
  /** Lin's (1989) asymptotic SE of ρ_c. */
  se: number;
  /** CI from Fisher's z-transform of ρ_c with SE_z = SE/(1 − ρ_c²), back-transformed. */
  ci: [number, number];
  /** CI on the untransformed scale, ρ_c ± z·SE. */
  ciAsymptotic: [number, number];
  level: number;
}

/**
 * Lin's concordance correlation coefficient (Lin 1989; erratum 2000): ρ_c = 2 s_xy / (s_x² + s_y² +
 * (x̄ − ȳ)²) with variances divided by n. SE from Lin (1989) eq. as DescTools::CCC and
 * epiR::epi.ccc compute it; the default CI is on Fisher's z scale (DescTools ci = "z-transform").
 */
export function linCcc(x: ArrayLike<number>, y: ArrayLike<number>, opts: { level?: number } = {}): CccResult {
  const level = opts.level ?? 0.95;
  const { a, b, dropped } = pairs(x, y);
  const k = a.length;
  if (k < 3) throw new RangeError(`Lin's CCC needs at least 3 complete pairs (got ${k})`);
  const xb = mean(a);
  const yb = mean(b);
  let sxx = 0,
    syy = 0,
    sxy = 0;
  for (let i = 0; i < k; i++) {
    sxx += (a[i] - xb) ** 2;
    syy += (b[i] - yb) ** 2;
    sxy += (a[i] - xb) * (b[i] - yb);
  }
  const sx2 = sxx / k;
  const sy2 = syy / k;
  const r = sxy / Math.sqrt(sxx * syy);
  const sxyN = sxy / k;
  const p = (2 * sxyN) / (sx2 + sy2 + (yb - xb) ** 2);
  const u = (yb - xb) / Math.pow(sx2 * sy2, 0.25);
  const se = Math.sqrt(((1 - r * r) * p * p * (1 - p * p)) / (r * r) + (2 * p ** 3 * (1 - p) * u * u) / r - (0.5 * p ** 4 * u ** 4) / (r * r)) / Math.sqrt(k - 2);
  const zq = qnorm(1 - (1 - level) / 2);
  const t = Math.log((1 + p) / (1 - p)) / 2;
  const set = se / (1 - p * p);
  const tanh = (v: number) => (Math.exp(2 * v) - 1) / (Math.exp(2 * v) + 1);
  return {
    n: k,
    droppedPairs: dropped,
    value: p,
    r,
    cb: p / r,
    se,
    ci: [tanh(t - zq * set), tanh(t + zq * set)],
    ciAsymptotic: [p - zq * se, p + zq * se],
    level,
  };
}
