/**
 * JAFROC analysis: Obuchowski–Rockette (Hillis 2007 ddf) on a free-response FOM (wAFROC by
 * default) with the jackknife covariance over all cases, normal and abnormal, as RJafroc
 * St(dataset, FOM, method = "OR") does (covEstMethod "jackknife": (K − 1)/K Σ_k (θ(−k) − θ̄)(…)).
 * The OR machinery is stats/mrmc's (orAnalysis), shared with the ROC analysis.
 */
import { orAnalysis, type OrOptions, type OrResult } from '../mrmc/or.ts';
import { FROC_FOMS, type FrocFom, frocFomsWithJackknife } from './fom.ts';
import { FrocError, type FrocStudy } from './study.ts';

export interface JafrocOptions extends OrOptions {
  fom?: FrocFom;
}

export interface JafrocDocument {
  schema: 'truthline-jafroc';
  schemaVersion: 1;
  fom: FrocFom;
  design: { arms: string[]; readers: string[]; cases: number; normal: number; abnormal: number; lesions: number };
  method: string;
  or: OrResult;
}

export function jackknifeCovariance(theta: Float64Array, jk: Float64Array, K: number): Float64Array {
  const G = theta.length;
  const mean = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    let m = 0;
    for (let k = 0; k < K; k++) m += jk[g * K + k];
    mean[g] = m / K;
  }
  const cov = new Float64Array(G * G);
  for (let g = 0; g < G; g++)
    for (let h = g; h < G; h++) {
      let c = 0;
      for (let k = 0; k < K; k++) c += (jk[g * K + k] - mean[g]) * (jk[h * K + k] - mean[h]);
      c *= (K - 1) / K;
      cov[g * G + h] = c;
      cov[h * G + g] = c;
    }
  return cov;
}

export function jafroc(s: FrocStudy, opts: JafrocOptions = {}): JafrocDocument {
  const fom = opts.fom ?? 'wAFROC';
  if (!FROC_FOMS.includes(fom)) throw new FrocError(`unknown FOM ${fom}`);
  const K = s.cases.length;
  const { theta, jk } = frocFomsWithJackknife(s, fom);
  const cov = jackknifeCovariance(theta, jk, K);
  const or = orAnalysis({ arms: s.arms, readers: s.readers }, theta, cov, { level: opts.level, frrcFloor: opts.frrcFloor });
  return {
    schema: 'truthline-jafroc',
    schemaVersion: 1,
    fom,
    design: {
      arms: s.arms,
      readers: s.readers,
      cases: K,
      normal: s.normals.length,
      abnormal: s.abnormals.length,
      lesions: s.lesions.reduce((a, b) => a + b, 0),
    },
    method: `Obuchowski–Rockette on the ${fom} FOM with Hillis (2007) denominator df; jackknife covariance over all ${K} cases (as RJafroc St(method = "OR")).`,
    or,
  };
}
