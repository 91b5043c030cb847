/**
 * `truthline extract --rules RULES.json REPORTS.csv [--format csv|jsonl]`
 *
 * Finding statuses (or labels, in the older rules form) from report text by versioned rules
 * (reports/). No database. Exit 0 = ok, 2 = bad usage or bad input (the message names the file
 * and line, or the JSON path in the rules). A reader that closes the pipe early (`| head`) ends
 * the run quietly.
 */
import { readFile } from 'node:fs/promises';
import { decodeTextFile } from '../../formats/text-file.ts';
import { neutraliseCell } from '../../app/lib/csv-safety.ts';
import { parseArgs } from 'node:util';
import { CsvError, parseCsv } from '../../formats/csv.ts';
import { extractionRecord, extractLabel, extractReport, parseRulesText, RulesError, type CompiledRules } from '../../reports/index.ts';

/** One CSV cell (RFC 4180 quoting when needed; formula-like text neutralised). */
export function csvCell(v: string | number): string {
  const s = neutraliseCell(String(v));
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const FINDING_COLUMNS = ['id', 'finding', 'status', 'rule', 'version', 'matched', 'sentence', 'trigger'] as const;

export const OPTIONS = {
  rules: { type: 'string' },
  format: { type: 'string', default: 'csv' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const USAGE =
  'usage: truthline extract --rules RULES.json REPORTS.csv [--format csv|jsonl]\n' +
  '  REPORTS.csv: columns id,text (with header; other columns are ignored)\n' +
  '  RULES.json:  {"name","version","findings":[{"finding","phrases"?:[…],"patterns"?:[regex…]}],\n' +
  '                "sections"?:[…],"triggers"?:{"add"?:[…],"remove"?:[…],"headings"?:[…]}}\n' +
  '    phrases match whole words whatever the case and spacing; patterns are case-insensitive RE2\n' +
  '    regular expressions (linear time). Each mention gets a status from the NegEx/ConText trigger\n' +
  '    lists shipped in reports/triggers (negated, uncertain, historical, other experiencer).\n' +
  '    sections: only text after such a heading ("IMPRESSION:") up to the next ALL-CAPS heading.\n' +
  '  output: one row per report and finding: id,finding,status,rule,version,matched,sentence,trigger\n' +
  '    status = present|negated|uncertain|historical|not_mentioned; trigger = what decided it;\n' +
  '    jsonl adds extraction {method:"rule",rule,version,triggers}.\n' +
  '  older form {"labels":[{"label","patterns","negations"?}],"default"}: the FIRST label in list order\n' +
  '    with a counting match wins (with negations, only present or historical mentions count), else\n' +
  '    "default"; output id,label,rule,version,matched.\n' +
  '  to load as evidence (import evidence: case_id,finding,kind,date,result_code,text): join on\n' +
  '    id = case_id, put label in result_code, and supply finding, kind (e.g. pathology) and date.\n';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** stdout that ends the process quietly when the reader has gone (EPIPE), not with a trace. */
const processIo: Io = {
  out: (s) => {
    if (!epipeHandled) {
      epipeHandled = true;
      process.stdout.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(0);
        throw e;
      });
    }
    process.stdout.write(s);
  },
  err: (s) => void process.stderr.write(s),
};
let epipeHandled = false;

export async function run(args: string[], io: Io = processIo): Promise<number> {
  const fail = (msg: string): number => (io.err(`${msg}\n`), 2);
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    return fail(`truthline extract: ${(e as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (!values.rules || positionals.length !== 1) return fail(`truthline extract: give --rules RULES.json and one reports file\n${USAGE}`);
  if (values.format !== 'csv' && values.format !== 'jsonl') return fail('truthline extract: --format must be csv or jsonl');

  const read = async (file: string): Promise<string | null> => {
    try {
      return decodeTextFile(await readFile(file), file);
    } catch (e) {
      fail(`truthline extract: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return null;
    }
  };
  const rulesFile = values.rules;
  const rulesText = await read(rulesFile);
  if (rulesText === null) return 2;
  let rules: CompiledRules;
  try {
    rules = parseRulesText(rulesText);
  } catch (e) {
    if (e instanceof RulesError) return fail(`${rulesFile}: ${e.message}`);
    throw e;
  }

  const file = positionals[0];
  const text = await read(file);
  if (text === null) return 2;
  let reports: { id: string; text: string }[];
  try {
    reports = parseReports(text);
  } catch (e) {
    if (e instanceof CsvError) return fail(`${file}:${e.line}: ${e.message}`);
    throw e;
  }

  // Output goes out in blocks so a large run never holds all rows at once.
  let buf = '';
  const emit = (line: string) => {
    buf += line + '\n';
    if (buf.length > 1 << 16) {
      io.out(buf);
      buf = '';
    }
  };
  const csv = values.format === 'csv';
  const record = extractionRecord(rules);
  if (rules.labels) {
    if (csv) emit('id,label,rule,version,matched');
    for (const r of reports) {
      const x = extractLabel(rules, r.text);
      emit(csv ? [r.id, x.label, x.rule, x.version, x.matched].map(csvCell).join(',') : JSON.stringify({ id: r.id, ...x, extraction: record }));
    }
  } else {
    if (csv) emit(FINDING_COLUMNS.join(','));
    for (const r of reports) {
      for (const x of extractReport(rules, r.id, r.text)) emit(csv ? FINDING_COLUMNS.map((c) => csvCell(x[c])).join(',') : JSON.stringify({ ...x, extraction: record }));
    }
  }
  if (buf) io.out(buf);
  return 0;
}

/** Reports CSV → [{id, text}]; CsvError (with the line) on any problem. */
export function parseReports(text: string): { id: string; text: string }[] {
  const rows = parseCsv(text);
  if (rows.length === 0) throw new CsvError('empty file', 1);
  const header = rows[0].fields.map((h) => h.trim().toLowerCase());
  const idCol = header.indexOf('id');
  const textCol = header.indexOf('text');
  for (const [name, col] of [
    ['id', idCol],
    ['text', textCol],
  ] as const) {
    if (col < 0) throw new CsvError(`missing column ${name} (header: ${rows[0].fields.join(',')})`, rows[0].line);
  }
  const seen = new Map<string, number>();
  const out: { id: string; text: string }[] = [];
  for (const row of rows.slice(1)) {
    if (row.fields.length !== header.length) throw new CsvError(`expected ${header.length} fields, found ${row.fields.length}`, row.line);
    const id = row.fields[idCol].trim();
    if (id === '') throw new CsvError('empty id', row.line);
    const first = seen.get(id);
    if (first !== undefined) throw new CsvError(`duplicate id "${id}" (first on line ${first})`, row.line);
    seen.set(id, row.line);
    out.push({ id, text: row.fields[textCol] });
  }
  return out;
}
