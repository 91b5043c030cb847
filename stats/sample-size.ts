/**
 * Sample size for diagnostic-accuracy studies (pure functions).
 *
 * MRMC power (Hillis, Obuchowski & Berbaum 2011, Acad Radiol 18:129, eqn 10; as transcribed in
 * RJafroc 2.1.3 SsPowerGivenJKOrVarCom): from OR pilot components (σ²_TR, Var, Cov1..3 estimated on
 * Kp pilot cases) the two-arm RRRC test with J readers and K cases has
 *   den = σ²_TR + (Kp/K)(Var − Cov1 + (J − 1) max(Cov2 − Cov3, 0)),
 *   λ = J d² / (2 den),  ddf = den² / ([σ²_TR + (Kp/K)(Var − Cov1 − max(Cov2 − Cov3, 0))]² / (J − 1)),
 *   power = P(F'(1, ddf; λ) > F_{1−α}(1, ddf)).
 * σ²_TR is floored at 0 (a negative variance cannot generate data; decision stats-0002 §1).
 *
 * Sensitivity/specificity (Buderer 1996, Acad Emerg Med 3:895): cases for a Wald CI of half-width
 * W at expected prevalence P: N = z² Se(1 − Se) / (W² P) and z² Sp(1 − Sp) / (W² (1 − P)).
 */
import { pf, qf, qnorm, pchisq, qchisq } from './distributions.ts';

/** Poisson(λ/2)-weighted sum of central CDFs: the non-central F (or χ²) CDF. */
function noncentral(x: number, lambda: number, central: (x: number, j: number) => number): number {
  if (lambda === 0) return central(x, 0);
  const half = lambda / 2;
  // Start at the Poisson mode and walk both ways until the weights are negligible.
  const mode = Math.floor(half);
  const logW = (j: number) => -half + j * Math.log(half) - lgamma(j + 1);
  let sum = 0;
  for (let j = mode; ; j++) {
    const w = Math.exp(logW(j));
    sum += w * central(x, j);
    if (w < 1e-17 && j > mode + 10) break;
  }
  for (let j = mode - 1; j >= 0; j--) {
    const w = Math.exp(logW(j));
    sum += w * central(x, j);
    if (w < 1e-17) break;
  }
  return Math.min(1, sum);
}

/** log Γ(x) (Lanczos, g = 7), accurate to ~1e-15 for x > 0. */
function lgamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** CDF of the non-central F(d1, d2; λ) (R: pf(x, d1, d2, ncp = λ)). */
export function pfNoncentral(x: number, d1: number, d2: number, lambda: number): number {
  if (!(x > 0)) return 0;
  return noncentral(x, lambda, (q, j) => pf((q * d1) / (d1 + 2 * j), d1 + 2 * j, d2));
}

/** CDF of the non-central χ²(df; λ) (R: pchisq(x, df, ncp = λ)). */
export function pchisqNoncentral(x: number, df: number, lambda: number): number {
  if (!(x > 0)) return 0;
  return noncentral(x, lambda, (q, j) => pchisq(q, df + 2 * j));
}

export interface OrPilot {
  /** OR components from the pilot (stats/mrmc `or.components`). */
  varTR: number;
  varError: number;
  cov1: number;
  cov2: number;
  cov3: number;
  /** Cases in the pilot (Kp). */
  pilotCases: number;
}

export interface PowerResult {
  power: number;
  ncp: number;
  df2: number | null;
  critical: number;
}

export type Generalise = 'rrrc' | 'frrc' | 'rrfc';

/** Power of the two-arm OR test for J readers, K cases and a true FOM difference `effect`. */
export function mrmcPower(p: OrPilot, readers: number, cases: number, effect: number, alpha = 0.05, analysis: Generalise = 'rrrc'): PowerResult {
  const J = readers;
  const s = p.pilotCases / cases;
  const varTR = Math.max(p.varTR, 0);
  const d23 = Math.max(p.cov2 - p.cov3, 0);
  if (analysis === 'frrc') {
    const den = s * (p.varError - p.cov1 + (J - 1) * d23);
    const ncp = (effect * effect * J) / 2 / den;
    const critical = qchisq(1 - alpha, 1);
    return { power: 1 - pchisqNoncentral(critical, 1, ncp), ncp, df2: null, critical };
  }
  const den = analysis === 'rrrc' ? varTR + s * (p.varError - p.cov1 + (J - 1) * d23) : varTR + s * (p.varError - p.cov1 - d23);
  const df2 = analysis === 'rrrc' ? (den * den) / ((varTR + s * (p.varError - p.cov1 - d23)) ** 2 / (J - 1)) : J - 1;
  const ncp = (effect * effect * J) / 2 / den;
  const critical = qf(1 - alpha, 1, df2);
  return { power: 1 - pfNoncentral(critical, 1, df2, ncp), ncp, df2, critical };
}

/** Smallest number of cases (≤ maxCases) giving at least `target` power with J readers; null if none. */
export function casesForPower(
  p: OrPilot,
  readers: number,
  effect: number,
  target = 0.8,
  alpha = 0.05,
  analysis: Generalise = 'rrrc',
  maxCases = 100000,
): { cases: number; power: number } | null {
  const pw = (k: number) => mrmcPower(p, readers, k, effect, alpha, analysis).power;
  if (!(pw(maxCases) >= target)) return null;
  let lo = 2;
  let hi = maxCases;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pw(mid) >= target) hi = mid;
    else lo = mid + 1;
  }
  return { cases: lo, power: pw(lo) };
}

export interface BudererResult {
  /** Diseased (sensitivity) or non-diseased (specificity) cases needed. */
  inClass: number;
  /** Total cases at the expected prevalence. */
  total: number;
}

function checkProb(name: string, v: number, open = false) {
  if (!(open ? v > 0 && v < 1 : v >= 0 && v <= 1)) throw new RangeError(`${name} must be ${open ? 'strictly ' : ''}between 0 and 1`);
}

/** Buderer (1996): cases for a CI of half-width `halfWidth` around an expected sensitivity. */
export function budererSensitivity(sensitivity: number, prevalence: number, halfWidth: number, level = 0.95): BudererResult {
  checkProb('sensitivity', sensitivity);
  checkProb('prevalence', prevalence, true);
  checkProb('half-width', halfWidth, true);
  const z = qnorm(1 - (1 - level) / 2);
  const n = (z * z * sensitivity * (1 - sensitivity)) / (halfWidth * halfWidth);
  return { inClass: Math.ceil(n), total: Math.ceil(n / prevalence) };
}

export function budererSpecificity(specificity: number, prevalence: number, halfWidth: number, level = 0.95): BudererResult {
  checkProb('specificity', specificity);
  checkProb('prevalence', prevalence, true);
  checkProb('half-width', halfWidth, true);
  const z = qnorm(1 - (1 - level) / 2);
  const n = (z * z * specificity * (1 - specificity)) / (halfWidth * halfWidth);
  return { inClass: Math.ceil(n), total: Math.ceil(n / (1 - prevalence)) };
}
