/**
 * One MRMC analysis document: per-arm reader-averaged FOM with CIs, differences between arms
 * with CI and p, OR variance components, and the DBM table (jackknife only), for the chosen FOM
 * and covariance method. Pure: the same document for the CLI, the API and the dashboard.
 */
import { covarianceMatrix, fomLabel, groupFoms, type CovMethod, type Fom } from './fom.ts';
import { orAnalysis, type OrResult } from './or.ts';
import { dbmAnalysis, type DbmResult } from './dbm.ts';
import { groupStudy, type Study } from './study.ts';

export const MRMC_SCHEMA_VERSION = 2;

export interface MrmcOptions {
  fom?: Fom;
  covariance?: CovMethod;
  level?: number;
  /** See OrOptions.frrcFloor. */
  frrcFloor?: boolean;
}

export interface MrmcDocument {
  schema: 'truthline-mrmc';
  schemaVersion: number;
  fom: Fom & { label: string };
  covariance: CovMethod;
  level: number;
  frrcFloor: boolean;
  design: {
    arms: string[];
    readers: string[];
    cases: number;
    positive: number;
    negative: number;
    crossed: 'fully' | 'split-plot';
    /** Split-plot groups: their readers and case counts (one group when fully crossed). */
    groups: { readers: string[]; cases: number; positive: number; negative: number }[];
  };
  method: string;
  or: OrResult;
  /** Null unless the covariance is the jackknife, there are ≥ 2 arms and the study is fully crossed. */
  dbm: DbmResult | null;
}

export function mrmc(study: Study, opts: MrmcOptions = {}): MrmcDocument {
  const fom: Fom = opts.fom ?? { kind: 'auc' };
  const covariance: CovMethod = opts.covariance ?? { kind: 'jackknife' };
  const level = opts.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new RangeError('level must be in (0, 1)');
  const { theta, cov, jk } = fomsAndCovariance(study, fom, covariance);
  const or = orAnalysis(study, theta, cov, { level, frrcFloor: opts.frrcFloor, readerGroup: study.readerGroup });
  const dbm = jk && study.arms.length > 1 && study.groups === 1 ? dbmAnalysis(study, theta, jk) : null;
  const groups = Array.from({ length: study.groups }, (_, g) => {
    const sub = groupStudy(study, g).study;
    return { readers: sub.readers, cases: sub.cases.length, positive: sub.positives.length, negative: sub.negatives.length };
  });
  return {
    schema: 'truthline-mrmc',
    schemaVersion: MRMC_SCHEMA_VERSION,
    fom: { ...fom, label: fomLabel(fom) },
    covariance,
    level,
    frrcFloor: opts.frrcFloor ?? true,
    design: {
      arms: study.arms,
      readers: study.readers,
      cases: study.cases.length,
      positive: study.positives.length,
      negative: study.negatives.length,
      crossed: study.groups === 1 ? 'fully' : 'split-plot',
      groups,
    },
    method:
      (study.groups === 1 ? '' : `Split-plot (${study.groups} reader groups, each reading its own cases); `) +
      'Obuchowski–Rockette with Hillis (2007) denominator df; ' +
      (covariance.kind === 'jackknife'
        ? 'jackknife'
        : covariance.kind === 'delong'
          ? 'DeLong'
          : `stratified bootstrap (${covariance.replicates} replicates, seed ${covariance.seed})`) +
      (study.groups === 1
        ? ' covariance; DBM on normalised jackknife pseudovalues.'
        : ' covariance within each group (none across groups); DBM is for fully crossed studies only.'),
    or,
    dbm,
  };
}

/**
 * θ and the FOM covariance matrix. A split-plot study is analysed group by group: each group is a
 * fully crossed study of its own cases, and FOMs of different groups share no case, so their
 * covariance is 0. The bootstrap resamples each group's cases with seed + group index.
 */
function fomsAndCovariance(study: Study, fom: Fom, covariance: CovMethod): { theta: Float64Array; cov: Float64Array; jk: { jk: Float64Array; n: number } | null } {
  if (study.groups === 1) {
    const foms = groupFoms(study, fom);
    return { theta: foms.theta, ...covarianceMatrix(study, fom, foms, covariance) };
  }
  const T = study.arms.length;
  const R = study.readers.length;
  const G = T * R;
  const theta = new Float64Array(G);
  const cov = new Float64Array(G * G);
  for (let g = 0; g < study.groups; g++) {
    const { study: sub, readers } = groupStudy(study, g);
    const m = covariance.kind === 'bootstrap' ? { ...covariance, seed: covariance.seed + g } : covariance;
    const foms = groupFoms(sub, fom);
    const c = covarianceMatrix(sub, fom, foms, m).cov;
    const r = readers.length;
    const at = (a: number, j: number) => a * R + readers[j];
    for (let a = 0; a < T; a++)
      for (let j = 0; j < r; j++) {
        theta[at(a, j)] = foms.theta[a * r + j];
        for (let b = 0; b < T; b++) for (let k = 0; k < r; k++) cov[at(a, j) * G + at(b, k)] = c[(a * r + j) * (T * r) + (b * r + k)];
      }
  }
  return { theta, cov, jk: null };
}
