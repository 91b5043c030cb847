/**
 * `truthline agreement <ratings.csv> [--level nominal|ordinal|interval|ratio] [--categories a,b,c]
 *  [--repeated] [--format table|json]`
 *
 * Every agreement statistic that applies to the level, as a readable table or one JSON document
 * (stats/agreement.schema.json). No database. Exit 0 = ok, 2 = bad usage or bad input (the
 * message names the line).
 *
 * Options are declared in OPTIONS (node:util parseArgs); to add one (e.g. --truth, --bootstrap N,
 * --seed S), add it there and read it in run().
 */
import { readFile } from 'node:fs/promises';
import { decodeTextFile, TextFileError } from '../../formats/text-file.ts';
import { parseArgs } from 'node:util';
import { parseRatingsCsv, RatingsCsvError } from '../lib/ratings-csv.ts';
import { categoricalAgreement, LEVELS, reportToJSON, type Level, type Report, type StatisticEntry } from '../../stats/index.ts';
import { extendReport, inference, InputError, truthByCase, patientsByCase, type ExtendOptions, type Ratings } from '../../stats/index.ts';
import { parseCsv, CsvError } from '../../formats/csv.ts';

export const OPTIONS = {
  level: { type: 'string', default: 'nominal' },
  categories: { type: 'string' },
  repeated: { type: 'boolean', default: false },
  format: { type: 'string', default: 'table' },
  // stats II (accuracy, truth inference, bootstrap)
  truth: { type: 'string' },
  'truth-from': { type: 'string' },
  patients: { type: 'string' },
  positive: { type: 'string' },
  infer: { type: 'boolean', default: false },
  'one-coin': { type: 'boolean', default: false },
  ties: { type: 'string', default: 'unresolved' },
  bootstrap: { type: 'string' },
  seed: { type: 'string' },
  'resample-readers': { type: 'boolean', default: false },
  'cluster-by-patient': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const USAGE =
  'usage: truthline agreement <ratings.csv> [--level nominal|ordinal|interval|ratio] [--categories a,b,c] [--repeated] [--format table|json]\n' +
  '  ratings.csv: columns case_id,reader_id,label (with header); empty label or NA = no rating\n' +
  '  --categories  declared categories, in order (required for non-numeric ordinal labels)\n' +
  '  --repeated    allow several ratings of a case by one reader (k-th rating by R counts as rater "R#k")\n' +
  '  --truth FILE  reference standard (case_id,label): adds sensitivity, specificity, PPV, NPV, accuracy, κ per reader\n' +
  '  --truth-from majority|dawid-skene|one-coin  reference rebuilt from the other readers (leave-one-reader-out)\n' +
  '  --patients FILE  case manifest (case_id,patient_id,…): patient-clustered accuracy CIs\n' +
  '  --positive LABEL  positive class of a two-category reference (default: the second category)\n' +
  '  --infer [--one-coin] [--ties unresolved|first|last|random]  majority vote and Dawid–Skene in "inference"\n' +
  '  --bootstrap N --seed S [--resample-readers] [--cluster-by-patient]  bootstrap CIs (percentile, BCa) for every entry\n';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const processIo: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

export async function run(args: string[], io: Io = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    io.err(`truthline agreement: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    io.err(`truthline agreement: expected one ratings file\n${USAGE}`);
    return 2;
  }
  const level = values.level as Level;
  if (!LEVELS.includes(level)) {
    io.err(`truthline agreement: --level must be one of ${LEVELS.join(', ')}\n`);
    return 2;
  }
  if (values.format !== 'table' && values.format !== 'json') {
    io.err('truthline agreement: --format must be table or json\n');
    return 2;
  }
  const categories = values.categories
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const file = positionals[0];
  let text: string;
  try {
    text = decodeTextFile(await readFile(file), file);
  } catch (e) {
    io.err(`truthline agreement: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 2;
  }
  let report: Report;
  let ratings: Ratings;
  try {
    ratings = parseRatingsCsv(text, { level, categories, repeated: values.repeated });
    report = categoricalAgreement(ratings);
  } catch (e) {
    if (e instanceof RatingsCsvError) {
      io.err(`${file}:${e.line > 0 ? `${e.line}: ` : ' '}${e.line > 0 ? e.message.replace(/^line \d+: /, '') : e.message}\n`);
      return 2;
    }
    throw e;
  }
  const extended = await extendWithStats2(ratings, report, values, io);
  if (typeof extended === 'number') return extended;
  report = extended;
  // Per-case inference (100,000 cases × K posteriors) is written with primitive arrays on one line.
  const json = (rep: Report) => (rep.inference?.case_ids ? inference.stringifyCompactArrays(rep) : reportToJSON(rep));
  io.out(values.format === 'json' ? json(report) : formatTable(report));
  return 0;
}

/** stats II options → extendReport (measurement by level always; the rest on request). Exit code on bad input. */
async function extendWithStats2(ratings: Ratings, base: Report, values: Record<string, string | boolean | undefined>, io: Io): Promise<Report | number> {
  const fail = (msg: string): number => (io.err(`truthline agreement: ${msg}\n`), 2);
  const table = async (file: string) => {
    try {
      return parseCsv(decodeTextFile(await readFile(file), file));
    } catch (e) {
      if (e instanceof CsvError) throw new InputError(e.message, e.line);
      if (e instanceof TextFileError) throw new InputError(e.message, e.line);
      throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 0);
    }
  };
  const opts: ExtendOptions = { infer: values.infer === true, positive: (values.positive as string) ?? null };
  const warnings: string[] = [];
  const ties = values.ties as string;
  if (!['unresolved', 'first', 'last', 'random'].includes(ties)) return fail('--ties must be unresolved, first, last or random');
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) return fail('--seed must be an integer');
  opts.vote = { ties: ties as 'unresolved', seed: seed ?? 1 };
  opts.dawidSkene = { model: values['one-coin'] ? 'one-coin' : 'full' };
  const truthFrom = values['truth-from'] as string | undefined;
  if (truthFrom !== undefined && !['majority', 'dawid-skene', 'one-coin'].includes(truthFrom)) return fail('--truth-from must be majority, dawid-skene or one-coin');
  if (truthFrom && values.truth) return fail('give either --truth or --truth-from');
  opts.truthFrom = (truthFrom as ExtendOptions['truthFrom']) ?? null;
  for (const [flag, file] of [
    ['--truth', values.truth],
    ['--patients', values.patients],
  ] as const) {
    if (typeof file !== 'string') continue;
    try {
      const rows = await table(file);
      if (flag === '--truth') {
        const t = truthByCase(ratings, rows);
        opts.truth = t.truth;
        if (t.withoutTruth.length) {
          warnings.push(
            `${t.withoutTruth.length} rated case(s) without a reference left out of accuracy: ${t.withoutTruth.slice(0, 10).join(', ')}${t.withoutTruth.length > 10 ? ', …' : ''}`,
          );
        }
      } else {
        const p = patientsByCase(ratings, rows);
        opts.patient = p.patient;
        if (p.withoutPatient.length) warnings.push(`${p.withoutPatient.length} rated case(s) not in ${file}: each counted as its own patient`);
      }
    } catch (e) {
      if (e instanceof InputError) return (io.err(`${file}:${e.line > 0 ? `${e.line}:` : ''} ${e.message}\n`), 2);
      throw e;
    }
  }
  if (values.bootstrap !== undefined) {
    const n = Number(values.bootstrap);
    if (!Number.isInteger(n) || n < 1) return fail('--bootstrap must be a positive integer');
    if (seed === undefined) return fail('--bootstrap needs --seed S (an integer) so that the intervals can be reproduced');
    if (values['cluster-by-patient'] && !opts.patient) return fail('--cluster-by-patient needs --patients FILE');
    opts.bootstrap = { replicates: n, seed, resampleReaders: values['resample-readers'] === true, clusterByPatient: values['cluster-by-patient'] === true };
  } else if (values['resample-readers'] || values['cluster-by-patient']) return fail('--resample-readers and --cluster-by-patient go with --bootstrap N');
  if (opts.positive && !ratings.categories.includes(opts.positive)) return fail(`--positive "${opts.positive}" is not a category (${ratings.categories.join(', ')})`);
  // The full-sample categorical report exists already; bootstrap resamples recompute it.
  const report = extendReport(ratings, (r) => (r === ratings ? base : categoricalAgreement(r)), opts);
  if (warnings.length) report.warnings = [...(report.warnings ?? []), ...warnings];
  return report;
}

/** A few readable lines about the reference standard, truth inference and bootstrap. */
function inferenceLines(report: Report): string {
  const inf = report.inference as Record<string, any> | undefined;
  if (!inf) return '';
  const out: string[] = [];
  if (inf.reference_standard)
    out.push(`  Reference standard: ${inf.reference_standard.source}.${inf.reference_standard.leave_one_reader_out ? ' ' + inf.reference_standard.note + '.' : ''}`);
  if (inf.majority)
    out.push(
      `  Majority vote (${inf.majority.rule}, ties ${inf.majority.tie_policy}): ${inf.majority.counts.resolved} cases resolved, ${inf.majority.counts.ties_unresolved} unresolved ties.`,
    );
  if (inf.dawid_skene) {
    const ds = inf.dawid_skene;
    const prior = Object.entries(ds.class_prior as Record<string, number | null>)
      .map(([c, p]) => `${c} ${fmt(p)}`)
      .join(', ');
    out.push(`  Dawid–Skene: ${ds.converged ? 'converged' : 'stopped'} after ${ds.iterations} iterations, log-likelihood ${fmt(ds.log_likelihood)}; class prior ${prior}.`);
  }
  if (inf.bootstrap)
    out.push(
      `  Bootstrap: ${inf.bootstrap.replicates} replicates, seed ${inf.bootstrap.seed}, resampling ${inf.bootstrap.unit}${inf.bootstrap.readers_resampled ? ' and readers' : ''}.`,
    );
  return out.length ? out.join('\n') + '\n' : '';
}

function fmt(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined ? '—' : x.toFixed(digits);
}

function fmtP(p: number | null): string {
  if (p === null) return '—';
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

function describe(e: StatisticEntry): string {
  const p = e.parameters;
  const parts: string[] = [];
  for (const k of ['reader', 'name', 'variant', 'metric', 'weights', 'category', 'raters']) {
    const v = p[k];
    if (v === undefined) continue;
    if (k === 'raters' && Array.isArray(v)) parts.push(v.join(' vs '));
    else if (k === 'weights' && Array.isArray(v)) parts.push('custom weights');
    else if (k === 'category') parts.push(`category ${String(v)}`);
    else parts.push(String(v));
  }
  return parts.join(', ');
}

/** A readable table: one line per statistic with value, SE, 95% CI, test and p. */
export function formatTable(report: Report): string {
  const d = report.data;
  const head = d
    ? `${d.ratings} ratings · ${d.cases} cases · ${d.raters} raters${d.raters !== d.readers ? ` (${d.readers} readers)` : ''} · level ${d.level} · categories ${d.categories.join(', ')}${d.missing_rows ? ` · ${d.missing_rows} empty labels ignored` : ''}\n\n`
    : '';
  const boot = report.statistics.some((e) => e.bootstrap);
  const rows: string[][] = [['statistic', 'variant', 'value', 'SE', '95% CI', 'test', 'p', ...(boot ? ['bootstrap BCa (percentile)'] : []), 'band*']];
  for (const e of report.statistics) {
    rows.push([
      e.id,
      describe(e),
      fmt(e.value),
      fmt(e.se),
      e.ci ? `[${fmt(e.ci.lower)}, ${fmt(e.ci.upper)}]` : '—',
      e.test && e.test.value !== null ? `${e.test.name}=${fmt(e.test.value, 2)}${typeof e.test.df === 'number' ? ` (df ${e.test.df})` : ''}` : '—',
      fmtP(e.p),
      ...(boot
        ? [
            e.bootstrap
              ? `${e.bootstrap.bca ? `[${fmt(e.bootstrap.bca.lower)}, ${fmt(e.bootstrap.bca.upper)}] ` : ''}([${fmt(e.bootstrap.percentile.lower)}, ${fmt(e.bootstrap.percentile.upper)}])`
              : '—',
          ]
        : []),
      e.interpretation?.label ?? '',
    ]);
  }
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const lines = rows.map((r) =>
    r
      .map((c, j) => (j >= 2 && j <= 6 ? c.padStart(widths[j]) : c.padEnd(widths[j])))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const foot =
    '\n* Landis & Koch (1977) bands for κ-type coefficients and Koo & Li (2016) bands for ICC are conventions, not findings.\n' +
    inferenceLines(report) +
    '  CIs: kappa-type pairwise statistics use normal (Wald) intervals; Gwet-framework coefficients use t(n−1), upper bound capped at 1.\n' +
    (report.warnings?.length ? report.warnings.map((w) => `! ${w}\n`).join('') : '');
  return head + lines.join('\n') + '\n' + foot;
}
