/**
 * Reference-standard and patient tables (already split into fields, header first) → per-case
 * arrays aligned with a Ratings object. Pure; problems are InputErrors naming the 1-based line.
 *
 * truth: columns case_id,label. A case named in the truth table with no ratings is an error; a
 *        label that is not a category is an error; a case listed twice is an error; an empty or
 *        NA label means "no reference" for that case. Rated cases without a reference are
 *        listed (the caller reports them) and left out of accuracy.
 * patients: columns case_id,patient_id (a case manifest may have more columns). Cases of the
 *        manifest without ratings are ignored; rated cases without a patient are their own
 *        patient (and listed).
 */
import type { Ratings } from '../ratings.ts';

export class InputError extends Error {
  constructor(
    message: string,
    /** 1-based line, 0 when it concerns the whole table. */
    readonly line: number,
  ) {
    super(message);
    this.name = 'InputError';
  }
}

export interface TableRow {
  line: number;
  fields: string[];
}

function columns(rows: TableRow[], need: string[], what: string): number[] {
  if (rows.length === 0) throw new InputError(`empty ${what} file (expected a header ${need.join(',')})`, 1);
  const header = rows[0].fields.map((h) => h.trim().toLowerCase());
  const idx = need.map((c) => header.indexOf(c));
  const missing = need.filter((_, j) => idx[j] < 0);
  if (missing.length) throw new InputError(`missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (header: ${rows[0].fields.join(',')})`, rows[0].line);
  for (const row of rows.slice(1)) {
    if (row.fields.length !== header.length) throw new InputError(`${row.fields.length} field(s), header has ${header.length}`, row.line);
  }
  return idx;
}

export function truthByCase(r: Ratings, rows: TableRow[]): { truth: Int32Array; withoutTruth: string[] } {
  const [ci, li] = columns(rows, ['case_id', 'label'], 'truth');
  if (rows.length < 2) throw new InputError('no rows after the header', rows[0].line);
  const caseIndex = new Map(r.caseIds.map((c, i) => [c, i]));
  const catIndex = new Map(r.categories.map((c, k) => [c, k]));
  const truth = new Int32Array(r.nCases).fill(-1);
  const seen = new Uint8Array(r.nCases);
  for (const row of rows.slice(1)) {
    const c = row.fields[ci].trim();
    const l = row.fields[li].trim();
    if (c === '') throw new InputError('empty case_id', row.line);
    const i = caseIndex.get(c);
    if (i === undefined) throw new InputError(`case "${c}" has no ratings`, row.line);
    if (seen[i]) throw new InputError(`case "${c}" appears twice`, row.line);
    seen[i] = 1;
    if (l === '' || l === 'NA') continue;
    let k = catIndex.get(l);
    if (k === undefined && (r.level === 'interval' || r.level === 'ratio')) {
      const v = Number(l);
      const j = Number.isFinite(v) ? Array.from(r.categoryValues).indexOf(v) : -1;
      if (j >= 0) k = j;
    }
    if (k === undefined) throw new InputError(`unknown category "${l}" (categories: ${r.categories.join(', ')})`, row.line);
    truth[i] = k;
  }
  const withoutTruth: string[] = [];
  for (let i = 0; i < r.nCases; i++) if (truth[i] < 0) withoutTruth.push(r.caseIds[i]);
  return { truth, withoutTruth };
}

export function patientsByCase(r: Ratings, rows: TableRow[]): { patient: Int32Array; withoutPatient: string[]; patients: number } {
  const [ci, pi] = columns(rows, ['case_id', 'patient_id'], 'patients');
  const caseIndex = new Map(r.caseIds.map((c, i) => [c, i]));
  const patient = new Int32Array(r.nCases).fill(-1);
  const ids = new Map<string, number>();
  for (const row of rows.slice(1)) {
    const c = row.fields[ci].trim();
    const p = row.fields[pi].trim();
    const i = caseIndex.get(c);
    if (i === undefined) continue;
    if (p === '') throw new InputError(`empty patient_id for case "${c}"`, row.line);
    if (patient[i] >= 0) throw new InputError(`case "${c}" appears twice`, row.line);
    let g = ids.get(p);
    if (g === undefined) ids.set(p, (g = ids.size));
    patient[i] = g;
  }
  const withoutPatient: string[] = [];
  for (let i = 0; i < r.nCases; i++) {
    if (patient[i] < 0) {
      withoutPatient.push(r.caseIds[i]);
      patient[i] = ids.size + withoutPatient.length; // its own cluster
    }
  }
  return { patient, withoutPatient, patients: ids.size + withoutPatient.length };
}
