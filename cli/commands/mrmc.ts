/**
 * `truthline mrmc <study.csv> [--fom auc|sensitivity|specificity --threshold T]
 *  [--covariance jackknife|delong|bootstrap --replicates B --seed S] [--level 0.95]
 *  [--frrc-unfloored] [--format table|json]`
 *
 * Obuchowski–Rockette / DBM analysis of a fully crossed or split-plot reader study from a long CSV. No
 * database. JSON follows stats/mrmc.schema.json. Exit 0 = ok, 2 = bad usage or bad input.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseMrmcCsv } from '../lib/mrmc-csv.ts';
import { CsvError } from '../../formats/csv.ts';
import { InputError } from '../../stats/accuracy/truth.ts';
import { buildStudy, mrmc, type CovMethod, type Fom } from '../../stats/mrmc/index.ts';
import { mrmcTable } from '../../stats/mrmc/table.ts';

export const OPTIONS = {
  fom: { type: 'string', default: 'auc' },
  threshold: { type: 'string' },
  covariance: { type: 'string', default: 'jackknife' },
  replicates: { type: 'string', default: '2000' },
  seed: { type: 'string', default: '1' },
  level: { type: 'string', default: '0.95' },
  'frrc-unfloored': { type: 'boolean', default: false },
  format: { type: 'string', default: 'table' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const USAGE =
  'usage: truthline mrmc <study.csv> [--fom auc|sensitivity|specificity] [--threshold T] [--covariance jackknife|delong|bootstrap]\n' +
  '                      [--replicates B] [--seed S] [--level 0.95] [--frrc-unfloored] [--format table|json]\n' +
  '  study.csv: columns case_id,truth,arm,reader_id,rating (header; "modality" or "treatment" accepted for arm)\n' +
  '  truth 1/0; rating: higher = more suspicious. Every reader rates every case in every arm (fully crossed),\n' +
  '  or reader groups each rate their own cases in every arm (split-plot; found from the ratings).\n' +
  '  --threshold T   sensitivity/specificity of the call rating >= T (required with --fom sensitivity|specificity)\n' +
  '  --frrc-unfloored  fixed-reader denominator without max(Cov2 - Cov3, 0), as MRMCaov\n';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}
const processIo: Io = { out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s) };

export async function run(args: string[], io: Io = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    io.err(`truthline mrmc: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const bad = (m: string) => (io.err(`truthline mrmc: ${m}\n`), 2);
  if (positionals.length !== 1) return bad(`expected one study file\n${USAGE}`);
  if (values.format !== 'table' && values.format !== 'json') return bad('--format must be table or json');
  let fom: Fom;
  if (values.fom === 'auc') fom = { kind: 'auc' };
  else if (values.fom === 'sensitivity' || values.fom === 'specificity') {
    const t = Number(values.threshold);
    if (values.threshold === undefined || !Number.isFinite(t)) return bad(`--fom ${values.fom} needs --threshold with a number`);
    fom = { kind: values.fom, threshold: t };
  } else return bad('--fom must be auc, sensitivity or specificity');
  let covariance: CovMethod;
  if (values.covariance === 'jackknife' || values.covariance === 'delong') covariance = { kind: values.covariance };
  else if (values.covariance === 'bootstrap') {
    const replicates = Number(values.replicates);
    const seed = Number(values.seed);
    if (!Number.isInteger(replicates) || replicates < 2) return bad('--replicates must be an integer ≥ 2');
    if (!Number.isInteger(seed)) return bad('--seed must be an integer');
    covariance = { kind: 'bootstrap', replicates, seed };
  } else return bad('--covariance must be jackknife, delong or bootstrap');
  if (covariance.kind === 'delong' && fom.kind !== 'auc') return bad('--covariance delong is defined for --fom auc only');
  const level = Number(values.level);
  if (!(level > 0 && level < 1)) return bad('--level must be between 0 and 1');
  let text: string;
  try {
    text = await readFile(positionals[0], 'utf8');
  } catch (e) {
    return bad(`cannot read ${positionals[0]}: ${(e as Error).message}`);
  }
  try {
    const doc = mrmc(buildStudy(parseMrmcCsv(text)), { fom, covariance, level, frrcFloor: !values['frrc-unfloored'] });
    io.out(values.format === 'json' ? JSON.stringify(doc, null, 2) + '\n' : mrmcTable(doc));
    return 0;
  } catch (e) {
    if (e instanceof InputError || e instanceof CsvError || e instanceof RangeError) return bad(`${positionals[0]}: ${e.message}`);
    throw e;
  }
}
