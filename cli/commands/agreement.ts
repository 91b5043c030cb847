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
import { parseArgs } from 'node:util';
import { parseRatingsCsv, RatingsCsvError } from '../lib/ratings-csv.ts';
import { categoricalAgreement, LEVELS, reportToJSON, type Level, type Report, type StatisticEntry } from '../../stats/index.ts';

export const OPTIONS = {
  level: { type: 'string', default: 'nominal' },
  categories: { type: 'string' },
  repeated: { type: 'boolean', default: false },
  format: { type: 'string', default: 'table' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const USAGE =
  'usage: truthline agreement <ratings.csv> [--level nominal|ordinal|interval|ratio] [--categories a,b,c] [--repeated] [--format table|json]\n' +
  '  ratings.csv: columns case_id,reader_id,label (with header); empty label or NA = no rating\n' +
  '  --categories  declared categories, in order (required for non-numeric ordinal labels)\n' +
  '  --repeated    allow several ratings of a case by one reader (k-th rating by R counts as rater "R#k")\n';

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
    text = await readFile(file, 'utf8');
  } catch (e) {
    io.err(`truthline agreement: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 2;
  }
  let report: Report;
  try {
    const ratings = parseRatingsCsv(text, { level, categories, repeated: values.repeated });
    report = categoricalAgreement(ratings);
  } catch (e) {
    if (e instanceof RatingsCsvError) {
      io.err(`${file}:${e.line > 0 ? `${e.line}: ` : ' '}${e.line > 0 ? e.message.replace(/^line \d+: /, '') : e.message}\n`);
      return 2;
    }
    throw e;
  }
  io.out(values.format === 'json' ? reportToJSON(report) : formatTable(report));
  return 0;
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
  for (const k of ['variant', 'metric', 'weights', 'category', 'raters']) {
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
  const rows: string[][] = [['statistic', 'variant', 'value', 'SE', '95% CI', 'test', 'p', 'Landis–Koch*']];
  for (const e of report.statistics) {
    rows.push([
      e.id,
      describe(e),
      fmt(e.value),
      fmt(e.se),
      e.ci ? `[${fmt(e.ci.lower)}, ${fmt(e.ci.upper)}]` : '—',
      e.test && e.test.value !== null ? `${e.test.name}=${fmt(e.test.value, 2)}${typeof e.test.df === 'number' ? ` (df ${e.test.df})` : ''}` : '—',
      fmtP(e.p),
      e.interpretation?.label ?? '',
    ]);
  }
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const lines = rows.map((r) => r.map((c, j) => (j >= 2 && j <= 6 ? c.padStart(widths[j]) : c.padEnd(widths[j]))).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const foot =
    '\n* Landis & Koch (1977) bands are a convention, not a finding.\n' +
    '  CIs: kappa-type pairwise statistics use normal (Wald) intervals; Gwet-framework coefficients use t(n−1), upper bound capped at 1.\n' +
    (report.warnings?.length ? report.warnings.map((w) => `! ${w}\n`).join('') : '');
  return head + lines.join('\n') + '\n' + foot;
}
