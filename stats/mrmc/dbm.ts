/**
 * Dorfman–Berbaum–Metz (1992) analysis: jackknife pseudovalues Y_ijk = C·θ_ij − (C − 1)·θ_ij(−k),
 * normalised so that their mean over cases equals θ_ij (as OR-DBM MRMC and RJafroc), analysed by
 * a three-way arm × reader × case ANOVA without replication. Variance components are the
 * unconstrained mixed-model estimates (random readers and cases); the RRRC test is Hillis's
 * (2008) DBM form F = MS(T) / [MS(T×R) + max(MS(T×C) − MS(T×R×C), 0)] with ddf_H, which for
 * jackknife pseudovalues equals the OR jackknife test (Hillis et al. 2005).
 */
import { pf } from '../distributions.ts';
import type { Study } from './study.ts';

export interface DbmResult {
  ms: { T: number; R: number; C: number; TR: number; TC: number; RC: number; TRC: number };
  df: { T: number; R: number; C: number; TR: number; TC: number; RC: number; TRC: number };
  components: { varR: number; varC: number; varTR: number; varTC: number; varRC: number; varTRCError: number };
  rrrc: { F: number; df1: number; df2: number; p: number };
  frrc: { F: number; df1: number; df2: number; p: number };
  rrfc: { F: number; df1: number; df2: number; p: number };
}

function pUpper(F: number, d1: number, d2: number): number {
  if (!(F > 0)) return F === 0 ? 1 : NaN;
  return 1 - pf(F, d1, d2);
}

/** `jk[g · n + k]` are the case-deleted FOMs of group g = arm · R + reader, over n deleted cases. */
export function dbmAnalysis(study: Study, theta: Float64Array, { jk, n: C }: { jk: Float64Array; n: number }): DbmResult {
  const T = study.arms.length;
  const R = study.readers.length;
  const G = T * R;
  const Y = new Float64Array(G * C);
  for (let g = 0; g < G; g++) {
    let m = 0;
    for (let k = 0; k < C; k++) {
      const y = C * theta[g] - (C - 1) * jk[g * C + k];
      Y[g * C + k] = y;
      m += y;
    }
    const shift = theta[g] - m / C;
    for (let k = 0; k < C; k++) Y[g * C + k] += shift;
  }
  const y = (a: number, r: number, k: number) => Y[(a * R + r) * C + k];
  const mT = new Float64Array(T);
  const mR = new Float64Array(R);
  const mC = new Float64Array(C);
  const mTR = new Float64Array(T * R);
  const mTC = new Float64Array(T * C);
  const mRC = new Float64Array(R * C);
  let grand = 0;
  for (let a = 0; a < T; a++)
    for (let r = 0; r < R; r++)
      for (let k = 0; k < C; k++) {
        const v = y(a, r, k);
        mT[a] += v;
        mR[r] += v;
        mC[k] += v;
        mTR[a * R + r] += v;
        mTC[a * C + k] += v;
        mRC[r * C + k] += v;
        grand += v;
      }
  grand /= T * R * C;
  for (let a = 0; a < T; a++) mT[a] /= R * C;
  for (let r = 0; r < R; r++) mR[r] /= T * C;
  for (let k = 0; k < C; k++) mC[k] /= T * R;
  for (let i = 0; i < T * R; i++) mTR[i] /= C;
  for (let i = 0; i < T * C; i++) mTC[i] /= R;
  for (let i = 0; i < R * C; i++) mRC[i] /= T;
  let sT = 0;
  let sR = 0;
  let sC = 0;
  let sTR = 0;
  let sTC = 0;
  let sRC = 0;
  let sTRC = 0;
  // Centred on the mean of the arm means so identical arms give exactly 0.
  const meanOfArms = mT.reduce((x, y) => x + y, 0) / T;
  for (let a = 0; a < T; a++) sT += (mT[a] - meanOfArms) ** 2;
  for (let r = 0; r < R; r++) sR += (mR[r] - grand) ** 2;
  for (let k = 0; k < C; k++) sC += (mC[k] - grand) ** 2;
  for (let a = 0; a < T; a++) for (let r = 0; r < R; r++) sTR += (mTR[a * R + r] - mT[a] - mR[r] + grand) ** 2;
  for (let a = 0; a < T; a++) for (let k = 0; k < C; k++) sTC += (mTC[a * C + k] - mT[a] - mC[k] + grand) ** 2;
  for (let r = 0; r < R; r++) for (let k = 0; k < C; k++) sRC += (mRC[r * C + k] - mR[r] - mC[k] + grand) ** 2;
  for (let a = 0; a < T; a++)
    for (let r = 0; r < R; r++) for (let k = 0; k < C; k++) sTRC += (y(a, r, k) - mTR[a * R + r] - mTC[a * C + k] - mRC[r * C + k] + mT[a] + mR[r] + mC[k] - grand) ** 2;
  const df = { T: T - 1, R: R - 1, C: C - 1, TR: (T - 1) * (R - 1), TC: (T - 1) * (C - 1), RC: (R - 1) * (C - 1), TRC: (T - 1) * (R - 1) * (C - 1) };
  const ms = {
    T: df.T > 0 ? (R * C * sT) / df.T : NaN,
    R: (T * C * sR) / df.R,
    C: (T * R * sC) / df.C,
    TR: df.TR > 0 ? (C * sTR) / df.TR : NaN,
    TC: df.TC > 0 ? (R * sTC) / df.TC : NaN,
    RC: (T * sRC) / df.RC,
    TRC: df.TRC > 0 ? sTRC / df.TRC : NaN,
  };
  const components = {
    varR: (ms.R - ms.TR - ms.RC + ms.TRC) / (T * C),
    varC: (ms.C - ms.TC - ms.RC + ms.TRC) / (T * R),
    varTR: (ms.TR - ms.TRC) / C,
    varTC: (ms.TC - ms.TRC) / R,
    varRC: (ms.RC - ms.TRC) / T,
    varTRCError: ms.TRC,
  };
  const den = ms.TR + Math.max(ms.TC - ms.TRC, 0);
  const ddf = (den * den) / ((ms.TR * ms.TR) / df.TR);
  const ratio = (num: number, d: number) => (num === 0 ? 0 : num / d);
  return {
    ms,
    df,
    components,
    rrrc: { F: ratio(ms.T, den), df1: df.T, df2: ddf, p: pUpper(ratio(ms.T, den), df.T, ddf) },
    frrc: { F: ratio(ms.T, ms.TC), df1: df.T, df2: df.TC, p: pUpper(ratio(ms.T, ms.TC), df.T, df.TC) },
    rrfc: { F: ratio(ms.T, ms.TR), df1: df.T, df2: df.TR, p: pUpper(ratio(ms.T, ms.TR), df.T, df.TR) },
  };
}
