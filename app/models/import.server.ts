/**
 * Case manifest import (DESIGN.md "File formats"): CSV with a header, or JSON carrying the same
 * fields. Columns: case_id, patient_id, study_date, modality, body_part, split, images
 * (`;`-separated image references) + optional study_instance_uid + any other columns, which are
 * kept as case metadata.
 *
 * Two steps, both pure up to the final write:
 *   previewManifest({ projectId, text, format }) — parses and validates EVERY row against the file
 *     and the database (duplicate case ids, a patient's split) and returns the rows and all errors.
 *   importManifest({ projectId, actorId, text, format }) — validates again and, only when there
 *     is no error, writes patients, cases and their workflows in ONE transaction. All or nothing.
 *
 * Errors name the row (the CSV line, or the JSON item number) and the field.
 * Splits are per patient, never per case: all rows of a patient must agree with each other and
 * with the patient's existing split; patients without one may be assigned deterministically
 * (`assignSplits`, e.g. 70/10/20) from a hash of project + patient pseudonym.
 */
import { createHash } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { writeAudit } from '../../db/audit.ts';
import { cases, patients } from '../../db/schema.ts';
import { parseCsv, CsvError } from '../../cli/lib/csv.ts';
import { startCaseWorkflow } from '../../workflows/runtime.ts';
import { getCurrentVersion } from './projects.server.ts';

export const SPLITS = ['train', 'validation', 'test', 'unassigned'] as const;
export type Split = (typeof SPLITS)[number];
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
};

export class ImportFailed extends Error {
  constructor(readonly preview: ManifestPreview) {
    super(`${preview.errors.length} problem(s): ${preview.errors.slice(0, 3).map((e) => formatError(e, preview.rowWord)).join('; ')}`);
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
    const header = parsed[0].fields.map((h) => h.trim().toLowerCase());
    const missing = REQUIRED_COLUMNS.filter((c) => !header.includes(c));
    if (missing.length) errors.push({ row: parsed[0].line, field: null, message: `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (header: ${parsed[0].fields.join(',')})` });
    const dup = header.find((h, i) => header.indexOf(h) !== i);
    if (dup) errors.push({ row: parsed[0].line, field: dup, message: 'this column appears twice in the header' });
    const empty = header.findIndex((h) => h === '');
    if (empty >= 0) errors.push({ row: parsed[0].line, field: null, message: `column ${empty + 1} has no name` });
    if (errors.length) return [];
    const out: RawRow[] = [];
    for (const r of parsed.slice(1)) {
      if (r.fields.length !== header.length) {
        errors.push({ row: r.line, field: null, message: `${r.fields.length} field(s), but the header has ${header.length}` });
        continue;
      }
      const values: Record<string, unknown> = {};
      header.forEach((h, i) => (values[h] = r.fields[i]));
      out.push({ row: r.line, values });
    }
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
  const splitRaw = field('split').toLowerCase();
  if (splitRaw && !(SPLITS as readonly string[]).includes(splitRaw)) err('split', `"${splitRaw}" is not one of ${SPLITS.join(', ')}`);
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
      err('images', `reference ${i + 1} "${ref.length > 80 ? `${ref.slice(0, 80)}…` : ref}" is neither a URL or path to a .png/.jpg image nor dicomweb:studies/<uid>[/series/<uid>[/instances/<uid>]]`);
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

/** Validates every row (file and database) and returns the preview with all errors. Writes nothing. */
export async function previewManifest(args: PreviewArgs): Promise<ManifestPreview> {
  const db = args.db ?? getDb();
  const format = args.format ?? detectFormat(args.text, args.fileName);
  const rowWord = format === 'csv' ? 'line' : 'item';
  const errors: ImportError[] = [];
  const raw = rawRows(args.text, format, errors);
  if (raw.length > MAX_ROWS) errors.push({ row: 0, field: null, message: `${raw.length} rows; import at most ${MAX_ROWS} at a time` });
  // Every row is checked against the others even when its own fields are wrong, so one pass reports all.
  const all = raw.map((r) => parseRow(r, errors));
  // Within the file: a case id once; a patient's split consistent.
  const seenCase = new Map<string, number>();
  const patientSplit = new Map<string, { split: Split; row: number }>();
  for (const r of all) {
    if (!r.caseId || !r.patientId) continue;
    const first = seenCase.get(r.caseId);
    if (first !== undefined) errors.push({ row: r.row, field: 'case_id', message: `"${r.caseId}" already appears at ${rowWord} ${first}` });
    else seenCase.set(r.caseId, r.row);
    if (r.split) {
      const p = patientSplit.get(r.patientId);
      if (p && p.split !== r.split) {
        errors.push({ row: r.row, field: 'split', message: `patient "${r.patientId}" is in ${p.split} at ${rowWord} ${p.row}: splits are per patient, so all of a patient's cases share one split` });
      } else if (!p) patientSplit.set(r.patientId, { split: r.split, row: r.row });
    }
  }
  // Against the database: existing case ids and the patients' recorded splits.
  const existingCases = new Set<string>();
  const existingPatients = new Map<string, Split>();
  const caseIds = [...seenCase.keys()];
  const patientIds = [...new Set(all.filter((r) => r.patientId).map((r) => r.patientId))];
  for (let i = 0; i < caseIds.length; i += 1000) {
    const chunk = caseIds.slice(i, i + 1000);
    const found = await db.select({ externalId: cases.externalId }).from(cases).where(and(eq(cases.projectId, args.projectId), inArray(cases.externalId, chunk)));
    for (const f of found) if (f.externalId) existingCases.add(f.externalId);
  }
  for (let i = 0; i < patientIds.length; i += 1000) {
    const chunk = patientIds.slice(i, i + 1000);
    const found = await db.select({ pseudonym: patients.pseudonym, split: patients.split }).from(patients).where(and(eq(patients.projectId, args.projectId), inArray(patients.pseudonym, chunk)));
    for (const f of found) existingPatients.set(f.pseudonym, f.split);
  }
  for (const r of all) {
    if (existingCases.has(r.caseId)) errors.push({ row: r.row, field: 'case_id', message: `case "${r.caseId}" is already in this project` });
    const have = existingPatients.get(r.patientId);
    if (r.split && have && have !== 'unassigned' && have !== r.split) {
      errors.push({ row: r.row, field: 'split', message: `patient "${r.patientId}" is already in ${have}; a patient's cases all share one split` });
    }
  }
  // The split each patient ends up in.
  const finalOf = new Map<string, Split>();
  for (const pid of patientIds) {
    const have = existingPatients.get(pid);
    const given = patientSplit.get(pid)?.split;
    let s: Split = given ?? (have && have !== 'unassigned' ? have : 'unassigned');
    if (s === 'unassigned' && have && have !== 'unassigned') s = have;
    if (s === 'unassigned' && args.assignSplits) s = splitForPatient(args.projectId, pid, args.assignSplits);
    finalOf.set(pid, s);
  }
  const splitCounts: Record<Split, number> = { train: 0, validation: 0, test: 0, unassigned: 0 };
  const out = all.filter((r) => !r.bad).map(({ bad: _bad, ...r }) => {
    const finalSplit = finalOf.get(r.patientId) ?? 'unassigned';
    splitCounts[finalSplit]++;
    return { ...r, finalSplit, newPatient: !existingPatients.has(r.patientId) };
  });
  errors.sort((a, b) => a.row - b.row);
  return {
    format,
    rowWord,
    rows: out,
    errors,
    patients: { total: new Set(out.map((r) => r.patientId)).size, new: new Set(out.filter((r) => r.newPatient).map((r) => r.patientId)).size },
    splitCounts,
  };
}

export type ImportArgs = PreviewArgs & { actorId: string | null; ip?: string | null; at?: Date };
export type ImportResult = { cases: number; patients: { total: number; new: number }; version: number; splitCounts: Record<Split, number>; caseIds: string[] };

/**
 * Validates and imports a manifest: all or nothing. Throws ImportFailed (with every error) and
 * writes nothing when any row is wrong. Each case is pinned to the project's current version
 * and its workflow is started in the same transaction.
 */
export async function importManifest(args: ImportArgs): Promise<ImportResult> {
  const db = args.db ?? getDb();
  const preview = await previewManifest({ ...args, db });
  if (preview.errors.length) throw new ImportFailed(preview);
  const version = await getCurrentVersion({ projectId: args.projectId });
  if (!version) throw new ImportFailed({ ...preview, errors: [{ row: 0, field: null, message: 'the project has no version: define its reader form first' }] });
  const at = args.at ?? new Date();
  try {
    return await db.transaction(async (tx) => {
      const patientRow = new Map<string, string>();
      const finalSplit = new Map(preview.rows.map((r) => [r.patientId, r.finalSplit]));
      const pids = [...new Set(preview.rows.map((r) => r.patientId))];
      for (let i = 0; i < pids.length; i += 1000) {
        const found = await tx
          .select({ id: patients.id, pseudonym: patients.pseudonym, split: patients.split })
          .from(patients)
          .where(and(eq(patients.projectId, args.projectId), inArray(patients.pseudonym, pids.slice(i, i + 1000))));
        for (const f of found) {
          patientRow.set(f.pseudonym, f.id);
          const want = finalSplit.get(f.pseudonym)!;
          if (f.split === 'unassigned' && want !== 'unassigned') await tx.update(patients).set({ split: want }).where(eq(patients.id, f.id));
        }
      }
      for (const r of preview.rows) {
        if (patientRow.has(r.patientId)) continue;
        const [p] = await tx.insert(patients).values({ projectId: args.projectId, pseudonym: r.patientId, split: r.finalSplit }).returning({ id: patients.id });
        patientRow.set(r.patientId, p.id);
      }
      const caseIds: string[] = [];
      for (const r of preview.rows) {
        const [c] = await tx
          .insert(cases)
          .values({
            projectId: args.projectId,
            patientId: patientRow.get(r.patientId)!,
            projectVersion: version.version,
            externalId: r.caseId,
            studyInstanceUid: r.studyInstanceUid,
            studyDate: r.studyDate,
            modality: r.modality,
            bodyPart: r.bodyPart,
            metadata: r.metadata,
            images: r.images,
          })
          .returning({ id: cases.id });
        await startCaseWorkflow({ tx, caseId: c.id, actorId: args.actorId, at });
        caseIds.push(c.id);
      }
      await writeAudit(tx, {
        actorId: args.actorId,
        action: 'cases.import',
        projectId: args.projectId,
        ip: args.ip ?? null,
        details: { cases: caseIds.length, patients: preview.patients, version: version.version, format: preview.format, splits: preview.splitCounts },
      });
      return { cases: caseIds.length, patients: preview.patients, version: version.version, splitCounts: preview.splitCounts, caseIds };
    });
  } catch (e) {
    // A concurrent import of the same case id: the unique key refuses it and nothing is written.
    if (e instanceof Error && /cases_project_external_key|patients_project_pseudonym_key/.test(`${e.message} ${(e as { cause?: Error }).cause?.message ?? ''}`)) {
      throw new ImportFailed({ ...preview, errors: [{ row: 0, field: 'case_id', message: 'another import added some of these cases or patients meanwhile; preview again' }] });
    }
    throw e;
  }
}
