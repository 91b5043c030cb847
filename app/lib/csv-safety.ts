/**
 * CSV formula injection (OWASP "CSV Injection"): a spreadsheet runs a cell that starts with
 * =, +, -, @, tab or CR as a formula. Every CSV Truthline writes passes its cells through
 * `neutraliseCell` (a leading single quote makes it text); imports only warn, since the value
 * itself is stored as given and is harmless inside Truthline.
 */
import { parseCsv } from '../../formats/csv.ts';

const TRIGGER = /^[=+\-@\t\r]/;
// A plain number such as -0.5 cannot run anything and must stay a number for the analyst.
const PLAIN_NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

export function isFormulaLike(s: string): boolean {
  return TRIGGER.test(s) && !PLAIN_NUMBER.test(s);
}

export function neutraliseCell(s: string): string {
  return isFormulaLike(s) ? `'${s}` : s;
}

export type FormulaCell = { line: number; column: number; value: string };

/** Cells of a CSV/TSV text a spreadsheet would run as formulas (the first `limit` of them). */
export function formulaCells(text: string, opts: { limit?: number } = {}): FormulaCell[] {
  const limit = opts.limit ?? 20;
  const head = text.trimStart();
  if (head.startsWith('[') || head.startsWith('{')) return [];
  const firstLine = text.slice(0, text.indexOf('\n') >>> 0);
  const delimiter = firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',';
  let rows;
  try {
    rows = parseCsv(text, delimiter);
  } catch {
    return [];
  }
  const out: FormulaCell[] = [];
  addFormulaCells(out, rows, limit);
  return out;
}

/** Adds the formula cells of parsed rows to `out` until it holds `limit` (a stream's rows, batch by batch). */
export function addFormulaCells(out: FormulaCell[], rows: { line: number; fields: string[] }[], limit = 20): void {
  for (const r of rows) {
    if (out.length >= limit) return;
    r.fields.forEach((f, i) => {
      if (out.length < limit && isFormulaLike(f)) out.push({ line: r.line, column: i + 1, value: f.slice(0, 60) });
    });
  }
}
