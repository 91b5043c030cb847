/**
 * One MRMC analysis document: per-arm reader-averaged FOM with CIs, differences between arms
 * with CI and p, OR variance components, and the DBM table (jackknife only), for the chosen FOM
 * and covariance method. Pure: the same document for the CLI, the API and the dashboard.
 */
import { covarianceMatrix, fomLabel, groupFoms, type CovMethod, type Fom } from './fom.ts';
import { orAnalysis, type OrResult } from './or.ts';
import { dbmAnalysis, type DbmResult } from './dbm.ts';
import type { Study } from './study.ts';

export const MRMC_SCHEMA_VERSION = 1;

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
  design: { arms: string[]; readers: string[]; cases: number; positive: number; negative: number; crossed: 'fully' };
  method: string;
  or: OrResult;
  /** Null unless the covariance is the jackknife and there are ≥ 2 arms. */
  dbm: DbmResult | null;
}

export function mrmc(study: Study, opts: MrmcOptions = {}): MrmcDocument {
  const fom: Fom = opts.fom ?? { kind: 'auc' };
  const covariance: CovMethod = opts.covariance ?? { kind: 'jackknife' };
  const level = opts.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new RangeError('level must be in (0, 1)');
  const foms = groupFoms(study, fom);
  const { cov, jk } = covarianceMatrix(study, fom, foms, covariance);
  const or = orAnalysis(study, foms.theta, cov, { level, frrcFloor: opts.frrcFloor });
  const dbm = jk && study.arms.length > 1 ? dbmAnalysis(study, foms.theta, jk) : null;
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
      crossed: 'fully',
    },
    method:
      'Obuchowski–Rockette with Hillis (2007) denominator df; ' +
      (covariance.kind === 'jackknife'
        ? 'jackknife'
        : covariance.kind === 'delong'
          ? 'DeLong'
          : `stratified bootstrap (${covariance.replicates} replicates, seed ${covariance.seed})`) +
      ' covariance; DBM on normalised jackknife pseudovalues.',
    or,
    dbm,
  };
}
