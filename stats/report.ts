/**
 * The JSON document every stats/ family reports into (validated by stats/agreement.schema.json):
 *
 *   { "statistics": [ StatisticEntry, … ], "data"?: DataSummary, "inference"?: {…}, "warnings"?: [] }
 *
 * Stable API. Other families (measurement, accuracy, bootstrap, inference) add entries with
 * their own ids (see STATISTIC_IDS; the schema accepts any snake_case id so new families need no
 * schema change) and may attach a top-level `inference` object (free-form, e.g. bootstrap
 * settings and seed). Build entries with `entry()`, which fills defaults and turns every
 * non-finite number into null (JSON has no NaN/Infinity).
 */

/** Ids listed in DESIGN.md ("Statistics"). Other ids are allowed but should be added here. */
export const STATISTIC_IDS = [
  'percent_agreement',
  'cohen_kappa',
  'weighted_kappa',
  'scott_pi',
  'fleiss_kappa',
  'fleiss_kappa_category',
  'light_kappa',
  'conger_kappa',
  'krippendorff_alpha',
  'gwet_ac1',
  'gwet_ac2',
  'brennan_prediger',
  'icc',
  'bland_altman',
  'lin_ccc',
  'kendall_w',
  'sensitivity',
  'specificity',
  'ppv',
  'npv',
  'accuracy',
] as const;
export type StatisticId = (typeof STATISTIC_IDS)[number];

/** JSON-safe parameter value. */
export type ParamValue = string | number | boolean | null | ParamValue[] | { [key: string]: ParamValue };

/** A confidence interval. `lower`/`upper` are null when not computable. */
export interface Interval {
  /** Confidence level, e.g. 0.95. */
  level: number;
  lower: number | null;
  upper: number | null;
  /** How it was computed, e.g. "normal (Wald): value ± z·se" or "t(n−1): value ± t·se, upper bound capped at 1". */
  method: string;
}

/** A hypothesis test attached to an entry (the p-value is `StatisticEntry.p`). */
export interface TestStatistic {
  /** 'z', 't', 'F', 'chi2'. */
  name: 'z' | 't' | 'F' | 'chi2';
  value: number | null;
  /** Degrees of freedom (F: [df1, df2]); null for z. */
  df: number | [number, number] | null;
  /** e.g. "kappa = 0". */
  null_hypothesis: string;
  alternative: 'two-sided' | 'greater' | 'less';
  /** Standard error used by the test when it differs from `se` (e.g. the SE under H0). */
  se_null?: number | null;
}

/** A verbal band. Always a convention, never a finding. */
export interface Interpretation {
  scale: string;
  label: string;
  convention: true;
}

/** Counts the entry was computed on. */
export interface EntryCounts {
  cases: number;
  raters?: number;
  ratings?: number;
}

/** One statistic. */
export interface StatisticEntry {
  id: StatisticId | (string & {});
  value: number | null;
  se: number | null;
  ci: Interval | null;
  test: TestStatistic | null;
  p: number | null;
  /** Human-readable method with its reference, e.g. "Fleiss (1971); SE: Gwet (2014) as in irrCAC". */
  method: string;
  /** Which variant this entry is (level, weights, raters, category, variant, …). */
  parameters: Record<string, ParamValue>;
  n: EntryCounts | null;
  interpretation?: Interpretation | null;
  notes?: string[];
  /** Bootstrap CIs (stats/bootstrap), when requested. */
  bootstrap?: BootstrapInterval;
}

/** Bootstrap intervals of an entry (stats/bootstrap/report.ts). */
export interface BootstrapInterval {
  level: number;
  replicates: number;
  /** Replicates where the statistic was undefined (dropped). */
  failed: number;
  seed: number;
  unit: 'cases' | 'clusters';
  readers_resampled: boolean;
  se: number | null;
  bias: number | null;
  percentile: { lower: number | null; upper: number | null };
  bca: { lower: number | null; upper: number | null } | null;
  method: string;
}

/** Summary of the input data. */
export interface DataSummary {
  level: string;
  categories: string[];
  cases: number;
  readers: number;
  raters: number;
  ratings: number;
  missing_rows: number;
  repeated: boolean;
  [key: string]: ParamValue;
}

/** The whole document. */
export interface Report {
  statistics: StatisticEntry[];
  data?: DataSummary;
  /** Free-form inference settings (bootstrap replicates, seed, …) added by stats/inference. */
  inference?: Record<string, ParamValue>;
  warnings?: string[];
}

/** A finite number, or null. */
export function num(x: number | null | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

export interface EntryInput {
  id: StatisticId | (string & {});
  value: number;
  se?: number | null;
  ci?: { lower: number; upper: number; level?: number; method: string } | null;
  test?: (Omit<TestStatistic, 'value' | 'se_null'> & { value: number; se_null?: number | null }) | null;
  p?: number | null;
  method: string;
  parameters?: Record<string, ParamValue>;
  n?: EntryCounts | null;
  /** Attach Landis–Koch bands (for kappa-type coefficients). */
  landisKoch?: boolean;
  notes?: string[];
}

/** Builds an entry: fills defaults, maps non-finite numbers to null. */
export function entry(e: EntryInput): StatisticEntry {
  const value = num(e.value);
  const out: StatisticEntry = {
    id: e.id,
    value,
    se: num(e.se),
    ci: e.ci ? { level: e.ci.level ?? 0.95, lower: num(e.ci.lower), upper: num(e.ci.upper), method: e.ci.method } : null,
    test: e.test
      ? {
          name: e.test.name,
          value: num(e.test.value),
          df: e.test.df,
          null_hypothesis: e.test.null_hypothesis,
          alternative: e.test.alternative,
          ...(e.test.se_null !== undefined ? { se_null: num(e.test.se_null) } : {}),
        }
      : null,
    p: num(e.p),
    method: e.method,
    parameters: e.parameters ?? {},
    n: e.n ?? null,
  };
  if (e.landisKoch) out.interpretation = landisKoch(value);
  if (e.notes && e.notes.length) out.notes = e.notes;
  return out;
}

export const LANDIS_KOCH_SCALE = 'Landis & Koch (1977) benchmark bands (a convention, not a finding)';

/**
 * Landis & Koch (1977) bands: < 0 poor, 0–0.20 slight, 0.21–0.40 fair, 0.41–0.60 moderate,
 * 0.61–0.80 substantial, 0.81–1 almost perfect. Returns null for a null value.
 */
export function landisKoch(value: number | null): Interpretation | null {
  if (value === null || !Number.isFinite(value)) return null;
  let label: string;
  if (value < 0) label = 'poor';
  else if (value <= 0.2) label = 'slight';
  else if (value <= 0.4) label = 'fair';
  else if (value <= 0.6) label = 'moderate';
  else if (value <= 0.8) label = 'substantial';
  else label = 'almost perfect';
  return { scale: LANDIS_KOCH_SCALE, label, convention: true };
}

/** Serialises a report as one JSON document (2-space indent, trailing newline). */
export function reportToJSON(report: Report): string {
  return JSON.stringify(report, null, 2) + '\n';
}
