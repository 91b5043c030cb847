/**
 * stats/ public API. Pure TypeScript, no I/O.
 *
 *   import { fromColumns, categoricalAgreement, reportToJSON } from '../stats/index.ts';
 *   const r = fromColumns(caseIds, readerIds, labels, { level: 'ordinal', categories });
 *   const report = categoricalAgreement(r);
 */
export * from './ratings.ts';
export * from './distributions.ts';
export * from './report.ts';
export { weightMatrix, type WeightSpec, type WeightKind, type Weights } from './categorical/weights.ts';
export {
  percentAgreementFW,
  gwetAC,
  fleissFW,
  brennanPredigerFW,
  krippendorffFW,
  type FrameworkResult,
} from './categorical/framework.ts';
export { cohenKappaTable, scottPiTable, type KappaResult } from './categorical/cohen.ts';
export { fleissComplete, dichotomise, type FleissCompleteResult } from './categorical/fleiss.ts';
export { congerKappa } from './categorical/conger.ts';
export { krippendorffAlpha, coincidence, alphaDelta, type AlphaMetric, type AlphaResult } from './categorical/krippendorff.ts';
export { categoricalAgreement, type AgreementOptions } from './categorical/agreement.ts';
// stats II: measurement, accuracy against a reference standard, bootstrap, truth inference.
export * as measurement from './measurement/index.ts';
export * as accuracy from './accuracy/index.ts';
export * as bootstrap from './bootstrap/index.ts';
export * as inference from './inference/index.ts';
export { extendReport, type ExtendOptions } from './inference/extend.ts';
export { InputError, truthByCase, patientsByCase, type TableRow } from './accuracy/truth.ts';
// Marks (lesion matching, agreement by location, STAPLE) and FROC / wAFROC / JAFROC.
export * as marks from './marks/index.ts';
export * as froc from './froc/index.ts';
