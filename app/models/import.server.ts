/**
 * Case manifest import (DESIGN.md "File formats"): CSV with a header, or JSON carrying the same
 * fields. Columns: case_id, patient_id, study_date, modality, body_part, split, images
 * (`;`-separated image references) + optional study_instance_uid + any other columns, which are
 * kept as case metadata.
 *
 * One checker (`ManifestChecker`) validates rows batch by batch against the file so far and the
 * database (duplicate case ids, a patient's split); it serves the page's quick preview
 * (`previewManifest`) and the background job (`cases.check` previews a stored upload of any size,
 * `cases.import` imports it). The import streams the stored file, checks and stages 2,000 rows
 * per short transaction, then — only when no row is wrong — publishes patients, cases, findings
 * and started workflows in ONE final transaction of a few INSERT … SELECT statements. All or
 * nothing; the definition is read once; nothing is visible before the final step.
 *
 * Errors name the row (the CSV line, or the JSON item number) and the field.
 * Splits are per patient, never per case: all rows of a patient must agree with each other and
 * with the patient's existing split; patients without one may be assigned deterministically
 * (`assignSplits`, e.g. 70/10/20) from a hash of project + patient pseudonym.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { writeAudit } from '../../db/audit.ts';
import { auditLog, caseWorkflows, cases, findings, patients, scheduledEvents, workflowEvents } from '../../db/schema.ts';
import { parseCsv, CsvError, type CsvRow } from '../../formats/csv.ts';
import { csvRows } from '../lib/csv-stream.ts';
import { addFormulaCells, type FormulaCell } from '../lib/csv-safety.ts';
import { caseStarter } from '../../workflows/start-rows.ts';
import { dayOffset, pinnedDefinition } from '../../workflows/runtime.ts';
import type { ProjectDefinition } from '../../workflows/definition.ts';
import { windowCloseDay } from '../../workflows/evidence-mapping.ts';
import { enqueueJob, getJob, JobFailed, registerJob, runJobNow, type JobContext } from '../../jobs/runner.ts';
import { deleteInput, inputSize, readInput, readInputText, storeInput } from '../../jobs/inputs.ts';
import { publishStaged, stageRows, toDbRow } from '../../jobs/staging.ts';
import { getCurrentVersion } from './projects.server.ts';

import { SPLITS, type Split } from '../../domain/vocabulary.ts';
import { MANIFEST_COLUMNS } from '../forms/lead.ts';
export { MANIFEST_COLUMNS };
const REQUIRED_COLUMNS = ['case_id', 'patient_id', 'study_date'] as const;
const KNOWN = new Set<string>([...MANIFEST_COLUMNS, 'study_instance_uid']);
export const MAX_ROWS = 20_000;

export type ManifestFormat = 'csv' | 'json';
export type ImportError = { row: number; field: string | null; message: string };
export type ManifestRow = {
  row: number;
  caseId: string;
  patientId: string;
  studyDate: string;
  modality: string;
  bodyPart: string;
  /** As given ('' = not given). */
  split: Split | '';
  images: string[];
  studyInstanceUid: string | null;
  metadata: Record<string, string | number | boolean | null>;
};
export type ManifestPreview = {
  format: ManifestFormat;
  /** "line" for CSV, "item" for JSON: how rows are numbered in errors. */
  rowWord: 'line' | 'item';
  rows: (ManifestRow & { finalSplit: Split; newPatient: boolean })[];
  errors: ImportError[];
  patients: { total: number; new: number };
  splitCounts: Record<Split, number>;
  /** Cases whose follow-up window has already closed: they will wait for their evidence (historical cases). */
  historical: number;
};

/**
 * The follow-up window's closing day when a case imported `at` could have closed it already
 * (evidence reference standard with a window), else null: rows whose study date lies that many
 * days or more before the import are historical cases.
 */
export function historicalCheck(definition: ProjectDefinition, at: string): { closeDay: number; today: string } | null {
  const w = definition.truthPolicy.followUpWindow;
  if (!w || definition.referenceStandard.source !== 'evidence') return null;
  return { closeDay: windowCloseDay(w), today: at.slice(0, 10) };
}

export class ImportFailed extends Error {
  constructor(
    readonly preview: ManifestPreview,
    /** The job's result (counts, the first problems) when it ran as a job. */
    readonly jobResult?: unknown,
  ) {
    super(
      `${preview.errors.length} problem(s): ${preview.errors
        .slice(0, 3)
        .map((e) => formatError(e, preview.rowWord))
        .join('; ')}`,
    );
  }
}

export function formatError(e: ImportError, rowWord: 'line' | 'item' = 'line'): string {
  return `${e.row > 0 ? `${rowWord} ${e.row}` : 'file'}${e.field ? `, ${e.field}` : ''}: ${e.message}`;
}

/** Guesses the format from a file name or the first non-blank character. */
export function detectFormat(text: string, fileName?: string | null): ManifestFormat {
  if (fileName && /\.json$/i.test(fileName)) return 'json';
  if (fileName && /\.csv$/i.test(fileName)) return 'csv';
  const first = text.replace(/^\uFEFF/, '').trimStart()[0];
  return first === '[' || first === '{' ? 'json' : 'csv';
}

const IMAGE_URL = /^(https?:\/\/[^\s/]+\/[^\s]*|\/[^\s]*)\.(png|jpe?g)(\?[^\s]*)?$/i;
const DICOMWEB = /^dicomweb:(\S+\/)?studies\/[0-9]+(\.[0-9]+)*(\/series\/[0-9]+(\.[0-9]+)*(\/instances\/[0-9]+(\.[0-9]+)*)?)?$/;
const UID = /^[0-9]+(\.[0-9]+)*$/;

function validDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

type RawRow = { row: number; values: Record<string, unknown> };

/** The header's column names, or null (with errors) when it is unusable. */
function checkHeader(first: CsvRow, errors: ImportError[]): string[] | null {
  const before = errors.length;
  const header = first.fields.map((h) => h.trim().toLowerCase());
  const missing = REQUIRED_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length)
    errors.push({ row: first.line, field: null, message: `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (header: ${first.fields.join(',')})` });
  const dup = header.find((h, i) => header.indexOf(h) !== i);
  if (dup) errors.push({ row: first.line, field: dup, message: 'this column appears twice in the header' });
  const empty = header.findIndex((h) => h === '');
  if (empty >= 0) errors.push({ row: first.line, field: null, message: `column ${empty + 1} has no name` });
  return errors.length > before ? null : header;
}

function csvValues(header: string[], rows: CsvRow[], errors: ImportError[]): RawRow[] {
  const out: RawRow[] = [];
  for (const r of rows) {
    if (r.fields.length !== header.length) {
      errors.push({ row: r.line, field: null, message: `${r.fields.length} field(s), but the header has ${header.length}` });
      continue;
    }
    const values: Record<string, unknown> = {};
    header.forEach((h, i) => (values[h] = r.fields[i]));
    out.push({ row: r.line, values });
  }
  return out;
}

function rawRows(text: string, format: ManifestFormat, errors: ImportError[]): RawRow[] {
  if (format === 'csv') {
    let parsed;
    try {
      parsed = parseCsv(text);
    } catch (e) {
      if (e instanceof CsvError) {
        errors.push({ row: e.line, field: null, message: e.message });
        return [];
      }
      throw e;
    }
    if (parsed.length === 0) {
      errors.push({ row: 0, field: null, message: `the file is empty (expected a header: ${MANIFEST_COLUMNS.join(',')})` });
      return [];
    }
    const header = checkHeader(parsed[0], errors);
    if (!header) return [];
    const out = csvValues(header, parsed.slice(1), errors);
    if (out.length === 0 && errors.length === 0) errors.push({ row: parsed[0].line, field: null, message: 'no rows after the header' });
    return out;
  }
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    errors.push({ row: 0, field: null, message: `not valid JSON: ${(e as Error).message}` });
    return [];
  }
  const list = Array.isArray(data) ? data : data && typeof data === 'object' && Array.isArray((data as { cases?: unknown }).cases) ? (data as { cases: unknown[] }).cases : null;
  if (!list) {
    errors.push({ row: 0, field: null, message: 'expected an array of cases, or an object with a "cases" array' });
    return [];
  }
  if (list.length === 0) errors.push({ row: 0, field: null, message: 'the file has no cases' });
  const out: RawRow[] = [];
  list.forEach((item, i) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      errors.push({ row: i + 1, field: null, message: 'each case must be an object' });
      return;
    }
    const values: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(item as Record<string, unknown>)) {
      if (k === 'metadata' && v && typeof v === 'object' && !Array.isArray(v)) Object.assign(values, v);
      else values[k.toLowerCase()] = v;
    }
    out.push({ row: i + 1, values });
  });
  return out;
}

function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '\u0000';
}

/** Validates one row's own fields (no cross-row or database checks). */
function parseRow(r: RawRow, errors: ImportError[]): ManifestRow & { bad: boolean } {
  const before = errors.length;
  const err = (field: string, message: string) => errors.push({ row: r.row, field, message });
  const v = r.values;
  const field = (name: string) => {
    const s = str(v[name]);
    if (s === '\u0000') {
      err(name, 'must be text, not a list or an object');
      return '';
    }
    return s;
  };
  const caseId = field('case_id');
  if (!caseId) err('case_id', 'is empty');
  else if (caseId.length > 200) err('case_id', 'is longer than 200 characters');
  const patientId = field('patient_id');
  if (!patientId) err('patient_id', 'is empty');
  else if (patientId.length > 200) err('patient_id', 'is longer than 200 characters');
  const studyDate = field('study_date');
  if (!studyDate) err('study_date', 'is empty');
  else if (!validDate(studyDate)) err('study_date', `"${studyDate}" is not a date in the form YYYY-MM-DD`);
  let splitRaw = field('split').toLowerCase();
  if (splitRaw && !(SPLITS as readonly string[]).includes(splitRaw)) {
    err('split', `"${splitRaw}" is not one of ${SPLITS.join(', ')}`);
    // Not a split: the patient's other lines must not be measured against it.
    splitRaw = '';
  }
  let images: string[] = [];
  const im = v.images;
  if (Array.isArray(im)) {
    if (im.some((x) => typeof x !== 'string')) err('images', 'must be a list of text image references');
    else images = im.map((x: string) => x.trim()).filter(Boolean);
  } else {
    images = field('images')
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  for (const [i, ref] of images.entries()) {
    if (!IMAGE_URL.test(ref) && !DICOMWEB.test(ref)) {
      err(
        'images',
        `reference ${i + 1} "${ref.length > 80 ? `${ref.slice(0, 80)}…` : ref}" is neither a URL or path to a .png/.jpg image nor dicomweb:studies/<uid>[/series/<uid>[/instances/<uid>]]`,
      );
    }
  }
  const uid = field('study_instance_uid');
  if (uid && (!UID.test(uid) || uid.length > 64)) err('study_instance_uid', `"${uid}" is not a DICOM UID (digits and dots, at most 64 characters)`);
  const metadata: ManifestRow['metadata'] = {};
  for (const [k, val] of Object.entries(v)) {
    if (KNOWN.has(k)) continue;
    if (val !== null && typeof val === 'object') {
      err(k, 'metadata values must be text, numbers or true/false');
      continue;
    }
    if (val === '' || val === undefined) continue;
    metadata[k] = val as string | number | boolean | null;
  }
  return {
    bad: errors.length > before,
    row: r.row,
    caseId,
    patientId,
    studyDate,
    modality: field('modality'),
    bodyPart: field('body_part'),
    split: splitRaw as Split | '',
    images,
    studyInstanceUid: uid || null,
    metadata,
  };
}

/** Parses a split ratio "70/10/20" (train/validation/test); null when absent. Throws on nonsense. */
export function parseSplitRatio(s: string | null | undefined): [number, number, number] | null {
  if (!s || !s.trim()) return null;
  const parts = s.split('/').map((x) => Number(x.trim()));
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x) || x < 0) || parts[0] + parts[1] + parts[2] <= 0) {
    throw new RangeError(`split ratio "${s}" must be three non-negative numbers train/validation/test, e.g. 70/10/20`);
  }
  return parts as [number, number, number];
}

/** Deterministic split for a patient: the same project + pseudonym always lands in the same split. */
export function splitForPatient(projectId: string, pseudonym: string, ratio: [number, number, number]): Split {
  const h = createHash('sha256').update(`${projectId}\u0000${pseudonym}`).digest();
  const u = h.readUInt32BE(0) / 0x1_0000_0000;
  const total = ratio[0] + ratio[1] + ratio[2];
  if (u < ratio[0] / total) return 'train';
  if (u < (ratio[0] + ratio[1]) / total) return 'validation';
  return 'test';
}

export type PreviewArgs = {
  projectId: string;
  text: string;
  format?: ManifestFormat;
  fileName?: string | null;
  /** Train/validation/test ratio for patients without a split, e.g. [70, 10, 20]. */
  assignSplits?: [number, number, number] | null;
  db?: Db;
};

type PatientState = {
  /** The patients row: existing, or made up now for a new patient. */
  id: string;
  isNew: boolean;
  existing: Split | null;
  given: { split: Split; row: number } | null;
  cases: number;
};

/** At most this many errors are kept (all are counted). */
export const KEEP_ERRORS = 1000;

/**
 * Validates a manifest batch by batch, remembering what it needs from earlier rows (case ids,
 * patients and their splits). Every row is checked against the others even when its own fields
 * are wrong, so one pass reports every problem.
 */
export class ManifestChecker {
  readonly errors: ImportError[] = [];
  errorCount = 0;
  rows = 0;
  readonly seenCase = new Map<string, number>();
  readonly patients = new Map<string, PatientState>();
  /** CSV cells a spreadsheet would run as formulas (the first 20): a warning, not an error. */
  readonly formulaCells: FormulaCell[] = [];
  /** Set when the definition has a follow-up window (`historicalCheck`): valid rows past it are counted. */
  historicalFrom: { closeDay: number; today: string } | null = null;
  historical = 0;
  constructor(
    readonly db: Tx,
    readonly projectId: string,
    readonly rowWord: 'line' | 'item',
    readonly assignSplits: [number, number, number] | null,
  ) {}

  error(e: ImportError): void {
    this.errorCount++;
    if (this.errors.length < KEEP_ERRORS) this.errors.push(e);
  }

  /** Checks one batch; returns its rows whose own fields are valid (the others have errors). */
  async check(raw: RawRow[]): Promise<ManifestRow[]> {
    this.rows += raw.length;
    const own: ImportError[] = [];
    const parsed = raw.map((r) => parseRow(r, own));
    for (const e of own) this.error(e);
    const newCaseIds: string[] = [];
    const newPatientIds: string[] = [];
    for (const r of parsed) {
      if (!r.caseId || !r.patientId) continue;
      const first = this.seenCase.get(r.caseId);
      if (first !== undefined) this.error({ row: r.row, field: 'case_id', message: `"${r.caseId}" already appears at ${this.rowWord} ${first}` });
      else {
        this.seenCase.set(r.caseId, r.row);
        newCaseIds.push(r.caseId);
      }
      if (!this.patients.has(r.patientId) && !newPatientIds.includes(r.patientId)) newPatientIds.push(r.patientId);
    }
    const existingCases = new Set<string>();
    for (let i = 0; i < newCaseIds.length; i += 1000) {
      const found = await this.db
        .select({ externalId: cases.externalId })
        .from(cases)
        .where(and(eq(cases.projectId, this.projectId), inArray(cases.externalId, newCaseIds.slice(i, i + 1000))));
      for (const f of found) if (f.externalId) existingCases.add(f.externalId);
    }
    for (let i = 0; i < newPatientIds.length; i += 1000) {
      const found = await this.db
        .select({ id: patients.id, pseudonym: patients.pseudonym, split: patients.split })
        .from(patients)
        .where(and(eq(patients.projectId, this.projectId), inArray(patients.pseudonym, newPatientIds.slice(i, i + 1000))));
      for (const f of found) this.patients.set(f.pseudonym, { id: f.id, isNew: false, existing: f.split, given: null, cases: 0 });
    }
    for (const pid of newPatientIds) if (!this.patients.has(pid)) this.patients.set(pid, { id: randomUUID(), isNew: true, existing: null, given: null, cases: 0 });
    for (const r of parsed) {
      if (!r.caseId || !r.patientId) continue;
      const p = this.patients.get(r.patientId)!;
      if (existingCases.has(r.caseId)) this.error({ row: r.row, field: 'case_id', message: `case "${r.caseId}" is already in this project` });
      if (r.split) {
        if (p.given && p.given.split !== r.split) {
          this.error({
            row: r.row,
            field: 'split',
            message: `patient "${r.patientId}" is in ${p.given.split} at ${this.rowWord} ${p.given.row}: splits are per patient, so all of a patient's cases share one split`,
          });
        } else if (!p.given) {
          p.given = { split: r.split, row: r.row };
          if (p.existing && p.existing !== 'unassigned' && p.existing !== r.split) {
            this.error({ row: r.row, field: 'split', message: `patient "${r.patientId}" is already in ${p.existing}; a patient's cases all share one split` });
          }
        } else if (p.existing && p.existing !== 'unassigned' && p.existing !== r.split) {
          this.error({ row: r.row, field: 'split', message: `patient "${r.patientId}" is already in ${p.existing}; a patient's cases all share one split` });
        }
      }
    }
    const valid = parsed.filter((r) => !r.bad).map(({ bad: _bad, ...r }) => r);
    for (const r of valid) this.patients.get(r.patientId)!.cases++;
    const h = this.historicalFrom;
    if (h) for (const r of valid) if (dayOffset(r.studyDate, h.today) >= h.closeDay) this.historical++;
    return valid;
  }

  /** The split a patient ends up in. */
  finalSplit(pid: string): Split {
    const p = this.patients.get(pid);
    if (!p) return 'unassigned';
    let s: Split = p.given?.split ?? (p.existing && p.existing !== 'unassigned' ? p.existing : 'unassigned');
    if (s === 'unassigned' && this.assignSplits) s = splitForPatient(this.projectId, pid, this.assignSplits);
    return s;
  }

  summary(): { patients: { total: number; new: number }; splitCounts: Record<Split, number>; cases: number } {
    const splitCounts: Record<Split, number> = { train: 0, validation: 0, test: 0, unassigned: 0 };
    let total = 0;
    let fresh = 0;
    let n = 0;
    for (const [pid, p] of this.patients) {
      if (!p.cases) continue;
      total++;
      if (p.isNew) fresh++;
      splitCounts[this.finalSplit(pid)] += p.cases;
      n += p.cases;
    }
    return { patients: { total, new: fresh }, splitCounts, cases: n };
  }

  sortedErrors(): ImportError[] {
    return [...this.errors].sort((a, b) => a.row - b.row);
  }
}

/** Validates every row (file and database) and returns the preview with all errors. Writes nothing. */
export async function previewManifest(args: PreviewArgs): Promise<ManifestPreview> {
  const db = args.db ?? getDb();
  const format = args.format ?? detectFormat(args.text, args.fileName);
  const rowWord = format === 'csv' ? 'line' : 'item';
  const fileErrors: ImportError[] = [];
  const raw = rawRows(args.text, format, fileErrors);
  if (raw.length > MAX_ROWS) fileErrors.push({ row: 0, field: null, message: `${raw.length} rows; upload a file this large as a file (it is checked in the background)` });
  const checker = new ManifestChecker(db, args.projectId, rowWord, args.assignSplits ?? null);
  const current = await getCurrentVersion({ projectId: args.projectId });
  if (current) checker.historicalFrom = historicalCheck(await pinnedDefinition(db, args.projectId, current.version), new Date().toISOString());
  for (const e of fileErrors) checker.error(e);
  const rows: ManifestRow[] = [];
  for (let i = 0; i < raw.length; i += BATCH) rows.push(...(await checker.check(raw.slice(i, i + BATCH))));
  const sum = checker.summary();
  return {
    format,
    rowWord,
    rows: rows.map((r) => ({ ...r, finalSplit: checker.finalSplit(r.patientId), newPatient: checker.patients.get(r.patientId)?.isNew ?? true })),
    errors: checker.sortedErrors(),
    patients: sum.patients,
    splitCounts: sum.splitCounts,
    historical: checker.historical,
  };
}

export type ImportArgs = PreviewArgs & { actorId: string | null; ip?: string | null; at?: Date };
export type ImportResult = { cases: number; patients: { total: number; new: number }; version: number; splitCounts: Record<Split, number>; caseIds: string[]; historical: number };

/** Rows checked and staged per short transaction. */
export const BATCH = 2000;
/** Case ids returned by an import (the page and API show a few; tests read them). */
const KEEP_CASE_IDS = 20_000;
const SAMPLE_ROWS = 100;

export type ManifestJobParams = {
  projectId: string;
  inputId: string;
  format: ManifestFormat | null;
  fileName: string | null;
  assignSplits: [number, number, number] | null;
  actorId: string | null;
  ip: string | null;
  /** cases.check: validate only. */
  dryRun?: boolean;
  at?: string;
};

/** What a finished check or import job leaves for the page. */
export type ManifestJobResult = {
  format: ManifestFormat;
  rowWord: 'line' | 'item';
  total: number;
  patients: { total: number; new: number };
  splitCounts: Record<Split, number>;
  version: number | null;
  /** Cases whose follow-up window has already closed: they wait for their evidence (historical cases). */
  historical: number;
  problems: { row: number; field: string | null; message: string; text: string }[];
  problemCount: number;
  rows: (ManifestRow & { finalSplit: Split; newPatient: boolean })[];
  /** Cells starting with =, +, -, @, tab or CR (by line and column): stored as given, but a spreadsheet would run them. */
  formulaCells: FormulaCell[];
  caseIds?: string[];
  inputId: string;
};

/** Parsed rows of a stored manifest, in batches; CSV is streamed, JSON parsed whole. */
async function* storedRows(p: ManifestJobParams, db: Db, format: ManifestFormat, checker: ManifestChecker, onChars: (n: number) => void): AsyncGenerator<RawRow[]> {
  const errors: ImportError[] = [];
  if (format === 'json') {
    const text = await readInputText({ inputId: p.inputId, db });
    onChars(text.length);
    const raw = rawRows(text, 'json', errors);
    for (const e of errors) checker.error(e);
    for (let i = 0; i < raw.length; i += BATCH) yield raw.slice(i, i + BATCH);
    return;
  }
  async function* counted() {
    for await (const piece of readInput({ inputId: p.inputId, db })) {
      onChars(piece.length);
      yield piece;
    }
  }
  let header: string[] | null | undefined;
  let headerLine = 0;
  let any = false;
  let pending: RawRow[] = [];
  try {
    for await (const rows of csvRows(counted())) {
      addFormulaCells(checker.formulaCells, rows);
      let body = rows;
      if (header === undefined) {
        headerLine = rows[0].line;
        header = checkHeader(rows[0], errors);
        body = rows.slice(1);
      }
      if (header === null) break;
      pending.push(...csvValues(header, body, errors));
      for (const e of errors.splice(0)) checker.error(e);
      while (pending.length >= BATCH) {
        any = true;
        yield pending.splice(0, BATCH);
      }
    }
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    errors.push({ row: e.line, field: null, message: e.message });
  }
  for (const e of errors.splice(0)) checker.error(e);
  if (header === undefined) checker.error({ row: 0, field: null, message: `the file is empty (expected a header: ${MANIFEST_COLUMNS.join(',')})` });
  if (pending.length) {
    any = true;
    yield pending;
  }
  if (header && !any && checker.errorCount === 0) checker.error({ row: headerLine, field: null, message: 'no rows after the header' });
}

/**
 * The work of `cases.check` and `cases.import`: streams the stored file, checks every row and
 * (import, while no row is wrong) stages the rows of each batch; then publishes them in one
 * transaction. Throws ImportFailed with the errors; writes nothing visible unless it succeeds.
 */
async function runManifestJob(ctx: JobContext): Promise<ManifestJobResult> {
  const p = ctx.job.params as ManifestJobParams;
  const db = ctx.db;
  const { chars } = await inputSize({ inputId: p.inputId, db });
  const format: ManifestFormat = p.format ?? (await sniffFormat(p, db));
  const rowWord = format === 'csv' ? 'line' : 'item';
  const checker = new ManifestChecker(db, p.projectId, rowWord, p.assignSplits);
  const version = await getCurrentVersion({ projectId: p.projectId });
  const at = p.at ?? new Date().toISOString();
  if (!version && !p.dryRun) checker.error({ row: 0, field: null, message: 'the project has no version: define its reader form first' });
  const definition = version ? await pinnedDefinition(db, p.projectId, version.version) : null;
  if (definition) checker.historicalFrom = historicalCheck(definition, at);
  const start = version && definition ? caseStarter({ projectId: p.projectId, projectVersion: version.version, definition, actorId: p.actorId, at }) : null;
  const sample: ManifestRow[] = [];
  const caseIds: string[] = [];
  let consumed = 0;
  let staged = 0;
  let same: { event: Record<string, unknown>; workflow: Record<string, unknown>; audit: Record<string, unknown> } | null = null;
  await ctx.progress({ done: 0, total: chars, phase: p.dryRun ? 'checking' : 'checking and staging' });
  for await (const raw of storedRows(p, db, format, checker, (n) => (consumed += n))) {
    const valid = await checker.check(raw);
    if (sample.length < SAMPLE_ROWS) sample.push(...valid.slice(0, SAMPLE_ROWS - sample.length));
    if (!p.dryRun && start && checker.errorCount === 0 && valid.length) {
      const units = valid.map((r) => {
        const caseId = randomUUID();
        if (caseIds.length < KEEP_CASE_IDS) caseIds.push(caseId);
        const s = start.lean({ caseId, studyDate: r.studyDate });
        // Only what differs between cases is staged; the rest is the same for every case and is
        // merged in once at publishing (a third of the staged bytes).
        if (!same) {
          const { caseId: _e, hash: _h, clientRequestId: _c, ...event } = s.event;
          const { caseId: _w, headHash: _hh, ...workflow } = s.workflow;
          const { caseId: _a, ...audit } = s.audit;
          same = { event: toDbRow(workflowEvents, event), workflow: toDbRow(caseWorkflows, workflow), audit: toDbRow(auditLog, audit) };
        }
        return {
          case: toDbRow(cases, {
            id: caseId,
            projectId: p.projectId,
            patientId: checker.patients.get(r.patientId)!.id,
            projectVersion: version!.version,
            externalId: r.caseId,
            studyInstanceUid: r.studyInstanceUid,
            studyDate: r.studyDate,
            modality: r.modality,
            bodyPart: r.bodyPart,
            metadata: r.metadata,
            images: r.images,
            createdAt: new Date(at),
          }),
          findings: s.findings.map((f) => toDbRow(findings, f)),
          fids: s.findings.map((f) => f.id),
          event: toDbRow(workflowEvents, { caseId, hash: s.event.hash, clientRequestId: s.event.clientRequestId }),
          workflow: toDbRow(caseWorkflows, { caseId, headHash: s.workflow.headHash }),
          scheduled: s.scheduled.map((x) => toDbRow(scheduledEvents, x)),
          audit: toDbRow(auditLog, { caseId }),
        };
      });
      await stageRows(db, ctx.job.id, staged, units);
      staged += units.length;
    }
    await ctx.progress({
      done: Math.min(consumed, chars),
      phase: `${checker.rows.toLocaleString('en')} rows checked${checker.errorCount ? `, ${checker.errorCount} problem(s)` : ''}`,
    });
  }
  const sum = checker.summary();
  const result: ManifestJobResult = {
    format,
    rowWord,
    total: sum.cases,
    patients: sum.patients,
    splitCounts: sum.splitCounts,
    version: version?.version ?? null,
    historical: checker.historical,
    problems: checker
      .sortedErrors()
      .slice(0, 200)
      .map((e) => ({ ...e, text: formatError(e, rowWord) })),
    problemCount: checker.errorCount,
    rows: sample.map((r) => ({ ...r, finalSplit: checker.finalSplit(r.patientId), newPatient: checker.patients.get(r.patientId)?.isNew ?? true })),
    formulaCells: checker.formulaCells,
    inputId: p.inputId,
  };
  const failed = (errors: ImportError[]) =>
    new ImportFailed({ format, rowWord, rows: [], errors, patients: sum.patients, splitCounts: sum.splitCounts, historical: checker.historical }, result);
  if (checker.errorCount) throw failed(checker.sortedErrors());
  if (p.dryRun) return result;
  await ctx.progress({ done: chars, phase: `publishing ${sum.cases.toLocaleString('en')} cases` });
  try {
    await db.transaction(async (tx) => {
      await ctx.lockIn(tx);
      // The publish step is a few INSERT … SELECT over every staged row: for 100,000 cases on a
      // busy machine that outlasts the connection's 30 s statement timeout (meant for requests),
      // and the whole import would fail at its last step. Other sessions never wait on it.
      await tx.execute(sql`set local statement_timeout = '15min'`);
      const fresh = [...checker.patients.entries()].filter(([, x]) => x.isNew && x.cases > 0);
      for (let i = 0; i < fresh.length; i += 5000) {
        await tx
          .insert(patients)
          .values(fresh.slice(i, i + 5000).map(([pid, x]) => ({ id: x.id, projectId: p.projectId, pseudonym: pid, split: checker.finalSplit(pid), createdAt: new Date(at) })));
      }
      for (const [pid, x] of checker.patients) {
        if (!x.isNew && x.cases > 0 && x.existing === 'unassigned' && checker.finalSplit(pid) !== 'unassigned') {
          await tx
            .update(patients)
            .set({ split: checker.finalSplit(pid) })
            .where(eq(patients.id, x.id));
        }
      }
      const jobId = ctx.job.id;
      await publishStaged(tx, {
        jobId,
        key: 'case',
        table: cases,
        columns: ['id', 'projectId', 'patientId', 'projectVersion', 'externalId', 'studyInstanceUid', 'studyDate', 'modality', 'bodyPart', 'metadata', 'images', 'createdAt'],
      });
      await publishStaged(tx, { jobId, key: 'findings', many: true, table: findings, columns: ['id', 'caseId', 'key', 'label', 'createdAt'] });
      // The start payload and snapshot are the same for every case but its ids: filled in here.
      const fill = (text: string) =>
        sql`(${start!.template.findingTokens.reduce((acc, tok, i) => sql`replace(${acc}, ${tok}::text, s.row -> 'fids' ->> ${sql.raw(String(i))})`, sql`replace(${text}::text, ${start!.template.caseToken}::text, r.case_id::text)`)})::jsonb`;
      await publishStaged(tx, {
        jobId,
        key: 'event',
        table: workflowEvents,
        columns: ['caseId', 'seq', 'type', 'actorId', 'occurredAt', 'machineVersion', 'hash', 'prevHash', 'clientRequestId'],
        same: same?.event,
        computed: { payload: fill(start!.template.payloadText) },
      });
      await publishStaged(tx, {
        jobId,
        key: 'workflow',
        same: same?.workflow,
        table: caseWorkflows,
        columns: ['caseId', 'projectId', 'machineVersion', 'state', 'eventCount', 'headHash', 'updatedAt', 'openReadSlots', 'openVoteSlots', 'voteBatch', 'stateSince'],
        computed: {
          snapshot: fill(start!.template.snapshotText),
          // The runtime's order key (queue-columns.ts orderKey, md5 of project and case) or the import order.
          queueKey:
            start!.template.caseOrder === 'fixed'
              ? sql`nextval('case_queue_order')`
              : sql`('x' || substr(md5(${p.projectId}::text || ':' || r.case_id::text), 1, 16))::bit(64)::bigint`,
        },
      });
      await publishStaged(tx, { jobId, key: 'scheduled', many: true, table: scheduledEvents, columns: ['caseId', 'dueAt', 'eventType', 'payload', 'createdAt'] });
      await publishStaged(tx, { jobId, key: 'audit', same: same?.audit, table: auditLog, columns: ['actorId', 'action', 'projectId', 'caseId', 'details', 'at'] });
      await writeAudit(tx, {
        actorId: p.actorId,
        action: 'cases.import',
        projectId: p.projectId,
        ip: p.ip,
        details: { cases: sum.cases, patients: sum.patients, version: version!.version, format, splits: sum.splitCounts, job: jobId },
      });
      await ctx.succeedIn(tx, { ...result, caseIds: caseIds.slice(0, 50) });
    });
  } catch (e) {
    // A concurrent import of the same case id: the unique key refuses it and nothing is written.
    if (e instanceof Error && /cases_project_external_key|patients_project_pseudonym_key/.test(`${e.message} ${(e as { cause?: Error }).cause?.message ?? ''}`)) {
      throw failed([{ row: 0, field: 'case_id', message: 'another import added some of these cases or patients meanwhile; check again' }]);
    }
    throw e;
  }
  await deleteInput({ inputId: p.inputId, db });
  return { ...result, caseIds };
}

async function sniffFormat(p: ManifestJobParams, db: Db): Promise<ManifestFormat> {
  if (p.fileName) {
    if (/\.json$/i.test(p.fileName)) return 'json';
    if (/\.csv$/i.test(p.fileName)) return 'csv';
  }
  for await (const piece of readInput({ inputId: p.inputId, db })) return detectFormat(piece.slice(0, 1000));
  return 'csv';
}

async function handleManifestJob(ctx: JobContext): Promise<ManifestJobResult> {
  try {
    return await runManifestJob(ctx);
  } catch (e) {
    if (e instanceof ImportFailed) throw new JobFailed(e.message, e.jobResult, e);
    throw e;
  }
}
registerJob('cases.check', handleManifestJob);
registerJob('cases.import', handleManifestJob);

/** Stores an upload and queues its check (dryRun) or import; the page shows the job's progress. */
export async function startManifestJob({
  projectId,
  source,
  inputId,
  format = null,
  fileName = null,
  assignSplits = null,
  actorId,
  ip = null,
  dryRun,
  db,
}: {
  projectId: string;
  source?: AsyncIterable<string | Uint8Array> | Iterable<string>;
  inputId?: string;
  format?: ManifestFormat | null;
  fileName?: string | null;
  assignSplits?: [number, number, number] | null;
  actorId: string | null;
  ip?: string | null;
  dryRun: boolean;
  db?: Db;
}) {
  const id = inputId ?? (await storeInput({ source: source ?? [], db })).inputId;
  const params: ManifestJobParams = { projectId, inputId: id, format, fileName, assignSplits, actorId, ip, dryRun };
  return enqueueJob({ kind: dryRun ? 'cases.check' : 'cases.import', projectId, createdBy: actorId, params, db });
}

/** The form a check job was started from (the pasted text when small), to show it again beside the result. */
export async function manifestJobForm({
  projectId,
  jobId,
}: {
  projectId: string;
  jobId: string;
}): Promise<{ text: string; format: string; assign: boolean; ratio: string } | null> {
  if (!/^[0-9a-f-]{36}$/i.test(jobId)) return null;
  const job = await getJob({ jobId, projectId });
  if (!job || !job.kind.startsWith('cases.')) return null;
  const p = job.params as ManifestJobParams;
  let text = '';
  if (!p.fileName) {
    const { chars } = await inputSize({ inputId: p.inputId });
    if (chars > 0 && chars <= 200_000) text = await readInputText({ inputId: p.inputId });
  }
  return { text, format: p.format ?? 'auto', assign: Boolean(p.assignSplits), ratio: p.assignSplits ? p.assignSplits.join('/') : '70/10/20' };
}

/** Queues the import of a file a `cases.check` job of this project found without problems; null otherwise. */
export async function importCheckedManifest({ projectId, checkJobId, actorId, ip = null }: { projectId: string; checkJobId: string; actorId: string; ip?: string | null }) {
  if (!/^[0-9a-f-]{36}$/i.test(checkJobId)) return null;
  const check = await getJob({ jobId: checkJobId, projectId });
  const r = check?.result as ManifestJobResult | null | undefined;
  if (!check || check.kind !== 'cases.check' || check.status !== 'succeeded' || !r || r.problemCount > 0) return null;
  const p = check.params as ManifestJobParams;
  return startManifestJob({ projectId, inputId: p.inputId, format: p.format, fileName: p.fileName, assignSplits: p.assignSplits, actorId, ip, dryRun: false });
}

/**
 * Validates and imports a manifest now (CLI, HTTP API, tests): all or nothing. Throws
 * ImportFailed (with every error) and writes nothing when any row is wrong. Runs as a job in
 * this call, so it is listed with the project's jobs like the page's imports.
 */
export async function importManifest(args: ImportArgs): Promise<ImportResult> {
  const db = args.db ?? getDb();
  return importStream({ ...args, source: [args.text], format: args.format ?? detectFormat(args.text, args.fileName), db });
}

/** The same from a stream (the CLI reads a file of any size this way, never whole). */
export async function importStream(args: Omit<ImportArgs, 'text'> & { source: AsyncIterable<string | Uint8Array> | Iterable<string> }): Promise<ImportResult> {
  const db = args.db ?? getDb();
  const job = await enqueueJob({
    kind: 'cases.import',
    projectId: args.projectId,
    createdBy: args.actorId,
    db,
    params: {
      projectId: args.projectId,
      inputId: (await storeInput({ source: args.source, db })).inputId,
      format: args.format ?? null,
      fileName: args.fileName ?? null,
      assignSplits: args.assignSplits ?? null,
      actorId: args.actorId,
      ip: args.ip ?? null,
      ...(args.at ? { at: args.at.toISOString() } : {}),
    } satisfies ManifestJobParams,
  });
  const { job: done, error } = await runJobNow({ jobId: job.id, db });
  if (error instanceof JobFailed && error.cause instanceof ImportFailed) throw error.cause;
  if (error) throw error;
  const r = done.result as ManifestJobResult & { caseIds: string[] };
  return { cases: r.total, patients: r.patients, version: r.version!, splitCounts: r.splitCounts, caseIds: r.caseIds, historical: r.historical };
}
