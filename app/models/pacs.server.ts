/**
 * Import from the PACS. A lead searches the configured DICOMweb server
 * (QIDO-RS, DICOMWEB_URL as for the viewer's proxy) a page at a time, picks studies, and a
 * background job (`pacs.check`) reads their headers and lists per study what a lead must
 * acknowledge (pacs-headers.ts). The acknowledged studies become a JSON case manifest, checked by
 * the case import's own `cases.check` job: the same preview, all-or-nothing import and
 * per-patient splits as an uploaded manifest (import.server.ts, unchanged).
 *
 * Nothing identifying is kept: the patient becomes a pseudonym (a hash of the project and the
 * PACS's Patient ID), images are `dicomweb:` references to image series.
 */
import { createHash } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { getDb } from '../../db/index.ts';
import { cases } from '../../db/schema.ts';
import { AppError } from '../../domain/errors.ts';
import { enqueueJob, getJob, JobFailed, registerJob, type JobContext } from '../../jobs/runner.ts';
import { dicomWebConfig } from './case-images.server.ts';
import { startManifestJob } from './import.server.ts';
import { headerWarnings, str, type DicomJson, type SeriesHeaders } from './pacs-headers.server.ts';

export const PACS_PAGE = 25;
/** Studies one check may hold (each costs a few PACS requests per series). */
export const MAX_PICK = 200;

const da = z
  .string()
  .trim()
  .regex(/^(\d{4}-\d{2}-\d{2})?$/, 'Write the date as YYYY-MM-DD')
  .default('');
const term = (label: string) =>
  z
    .string()
    .trim()
    .max(64, `${label} is longer than 64 characters`)
    .regex(/^[^\\]*$/, `${label} cannot hold a backslash`)
    .default('');

/** The search form (GET): every filter optional; `*` and `?` are QIDO wildcards. */
export const pacsSearchSchema = z.object({
  patientId: term('Patient ID'),
  accession: term('Accession number'),
  modality: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^([A-Z]{2,4})?$/, 'A modality is a DICOM code such as CT, MR, DX, MG')
    .default(''),
  from: da,
  to: da,
  page: z.coerce.number().int().min(0).max(10_000).default(0),
});
export type PacsSearch = z.output<typeof pacsSearchSchema>;

const uidField = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)*$/, 'not a DICOM UID')
  .max(64);
/** Check the picked studies (POST intent=check). */
export const pacsCheckSchema = z.object({
  intent: z.literal('check'),
  study: z.preprocess(
    (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]),
    z.array(uidField).min(1, 'Pick at least one study').max(MAX_PICK, `Pick at most ${MAX_PICK} studies at a time`),
  ),
});
/**
 * Move to another result page keeping the picks (POST intent=page to the other page's URL): the
 * picks travel in the form body, as hidden fields for studies not on the page shown, so a lead may
 * pick across pages without a URL holding up to MAX_PICK UIDs.
 */
export const pacsPageSchema = z.object({
  intent: z.literal('page'),
  study: z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(uidField).max(MAX_PICK, `Pick at most ${MAX_PICK} studies at a time`)),
});
/** Turn a finished check into a case manifest (POST intent=manifest): every warning acknowledged. */
export const pacsManifestSchema = z.object({
  intent: z.literal('manifest'),
  job: z.string().uuid('The check is out of date: check the studies again'),
  ack: z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(uidField)),
  assign: z.literal('on').optional(),
  ratio: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?\/\d+(\.\d+)?\/\d+(\.\d+)?$/, 'Write three numbers train/validation/test, e.g. 70/10/20')
    .default('70/10/20'),
});

export type StudyRow = {
  uid: string;
  patientId: string;
  date: string;
  accession: string;
  modalities: string[];
  description: string;
  series: number | null;
  instances: number | null;
  /** Already a case of this project (by Study Instance UID). */
  imported: boolean;
};

export function pacsConfigured(): boolean {
  return dicomWebConfig() !== null;
}

async function qido(path: string, params: URLSearchParams = new URLSearchParams()): Promise<DicomJson[]> {
  const cfg = dicomWebConfig();
  if (!cfg) throw new AppError('unavailable', 'No PACS is configured on this installation (set DICOMWEB_URL).');
  const headers: Record<string, string> = { Accept: 'application/dicom+json' };
  if (cfg.authorization) headers.Authorization = cfg.authorization;
  const q = params.toString();
  let r: Response;
  try {
    r = await fetch(`${cfg.url}/${path}${q ? `?${q}` : ''}`, { headers, signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    throw new AppError('unavailable', `The PACS did not answer (${(e as Error).name === 'TimeoutError' ? 'timed out' : 'unreachable'}).`, { cause: e });
  }
  if (r.status === 204) return [];
  if (!r.ok) throw new AppError('unavailable', `The PACS answered ${r.status} to a search.`);
  const text = await r.text();
  if (!text.trim()) return [];
  try {
    const out = JSON.parse(text);
    return Array.isArray(out) ? out : [];
  } catch {
    throw new AppError('unavailable', 'The PACS answered a search with something that is not DICOM JSON.');
  }
}

const dicomDate = (d: string) => d.replaceAll('-', '');
const isoDate = (d: string) => (/^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : '');

/** One page of studies matching the filters, newest QIDO order; `hasMore` when another page exists. */
export async function searchPacs({ projectId, search }: { projectId: string; search: PacsSearch }): Promise<{ studies: StudyRow[]; hasMore: boolean }> {
  const p = new URLSearchParams();
  if (search.patientId) p.set('PatientID', search.patientId);
  if (search.accession) p.set('AccessionNumber', search.accession);
  if (search.modality) p.set('ModalitiesInStudy', search.modality);
  if (search.from || search.to) p.set('StudyDate', `${dicomDate(search.from)}-${dicomDate(search.to)}`);
  for (const f of ['00081030', '00201206', '00201208']) p.append('includefield', f);
  p.set('limit', String(PACS_PAGE + 1));
  p.set('offset', String(search.page * PACS_PAGE));
  const found = await qido('studies', p);
  const studies = found.slice(0, PACS_PAGE).map((s) => ({
    uid: str(s, '0020000D'),
    patientId: str(s, '00100020'),
    date: isoDate(str(s, '00080020')),
    accession: str(s, '00080050'),
    modalities: (s['00080061']?.Value ?? []).map(String),
    description: str(s, '00081030'),
    series: s['00201206']?.Value ? Number(s['00201206'].Value[0]) : null,
    instances: s['00201208']?.Value ? Number(s['00201208'].Value[0]) : null,
    imported: false,
  }));
  const uids = studies.map((s) => s.uid).filter(Boolean);
  if (uids.length) {
    const have = await getDb()
      .select({ uid: cases.studyInstanceUid })
      .from(cases)
      .where(and(eq(cases.projectId, projectId), inArray(cases.studyInstanceUid, uids)));
    const set = new Set(have.map((h) => h.uid));
    for (const s of studies) s.imported = set.has(s.uid);
  }
  return { studies, hasMore: found.length > PACS_PAGE };
}

/** What the check job leaves: per study the header summary, its warnings and the manifest row. */
export type CheckedStudy = {
  uid: string;
  date: string;
  modality: string;
  bodyPart: string;
  laterality: string;
  views: string[];
  manufacturer: string;
  imageSeries: string[];
  instances: number;
  warnings: string[];
  /** The study could not be read (not found, PACS error): it cannot be imported. */
  error?: string;
  /** Pseudonym of the patient in this project. */
  patient: string;
};
export type PacsCheckResult = { studies: CheckedStudy[] };
type PacsCheckParams = { projectId: string; studies: string[]; actorId: string };

export async function startPacsCheck({ projectId, studies, actorId }: PacsCheckParams) {
  if (!pacsConfigured()) throw new AppError('unavailable', 'No PACS is configured on this installation (set DICOMWEB_URL).');
  return enqueueJob({ kind: 'pacs.check', projectId, createdBy: actorId, params: { projectId, studies: [...new Set(studies)], actorId } });
}

/** A patient's pseudonym in a project: the same PACS patient always maps to the same one. */
export function pacsPseudonym(projectId: string, patientId: string): string {
  return `PACS-${createHash('sha256').update(`${projectId}\u0000${patientId}`).digest('hex').slice(0, 16)}`;
}

/** The transfer syntax a frame is stored in, from the part header of a WADO-RS frame response (its body is not read). */
async function frameTransferSyntax(path: string): Promise<string | null> {
  const cfg = dicomWebConfig()!;
  const headers: Record<string, string> = { Accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=*' };
  if (cfg.authorization) headers.Authorization = cfg.authorization;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 30_000);
  try {
    const r = await fetch(`${cfg.url}/${path}/frames/1`, { headers, signal: ac.signal });
    if (!r.ok || !r.body) return null;
    const top = /transfer-syntax=["']?([0-9.]+)/i.exec(r.headers.get('Content-Type') ?? '')?.[1];
    if (top) return top;
    const reader = r.body.getReader();
    let head = '';
    while (head.length < 8192) {
      const { value, done } = await reader.read();
      if (done) break;
      head += Buffer.from(value).toString('latin1');
      const m = /transfer-syntax=["']?([0-9.]+)/i.exec(head);
      if (m) return m[1];
      if (/\r\n\r\n/.test(head.slice(head.indexOf('Content-Type')))) break;
    }
    return null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}

async function checkStudy(projectId: string, uid: string): Promise<CheckedStudy> {
  const base: CheckedStudy = { uid, date: '', modality: '', bodyPart: '', laterality: '', views: [], manufacturer: '', imageSeries: [], instances: 0, warnings: [], patient: '' };
  const [study] = await qido('studies', new URLSearchParams({ StudyInstanceUID: uid }));
  if (!study) return { ...base, error: 'The PACS has no such study (any more).' };
  const seriesList = await qido(`studies/${uid}/series`);
  const series: SeriesHeaders[] = [];
  for (const s of seriesList) {
    const suid = str(s, '0020000E');
    const count = Number(s['00201209']?.Value?.[0] ?? 0);
    // Full headers (private tags and all): every instance of a small series, the first of a large one.
    let headers: DicomJson[] = [];
    if (count > 0 && count <= FULL_SERIES) headers = await qidoMetadata(`studies/${uid}/series/${suid}`);
    if (!headers.length) {
      const [first] = await qido(`studies/${uid}/series/${suid}/instances`, new URLSearchParams({ limit: '1' }));
      const iuid = first ? str(first, '00080018') : '';
      headers = iuid ? await qidoMetadata(`studies/${uid}/series/${suid}/instances/${iuid}`) : [];
      if (!headers.length && first) headers = [first];
    }
    const m = headers.find((h) => h['7FE00010'] || h['00280010']);
    const iuid = m ? str(m, '00080018') : '';
    const ts = iuid ? await frameTransferSyntax(`studies/${uid}/series/${suid}/instances/${iuid}`) : null;
    series.push({ uid: suid, modality: str(s, '00080060'), instances: count, headers, hasPixels: Boolean(m), transferSyntax: ts });
  }
  const h = headerWarnings(study, series);
  return {
    ...base,
    ...h.summary,
    imageSeries: series.filter((s) => s.hasPixels).map((s) => s.uid),
    instances: series.reduce((n, s) => n + s.instances, 0),
    warnings: h.warnings,
    patient: pacsPseudonym(projectId, str(study, '00100020') || `study:${uid}`),
    date: isoDate(str(study, '00080020')),
  };
}

/** Series with at most this many instances have every header read; larger ones (CT, MR) their first. */
const FULL_SERIES = 16;

async function qidoMetadata(path: string): Promise<DicomJson[]> {
  try {
    return await qido(`${path}/metadata`);
  } catch (e) {
    if (e instanceof AppError && /did not answer/.test(e.message)) throw e;
    return [];
  }
}

async function handlePacsCheck(ctx: JobContext): Promise<PacsCheckResult> {
  const p = ctx.job.params as PacsCheckParams;
  const out: CheckedStudy[] = [];
  await ctx.progress({ done: 0, total: p.studies.length, phase: 'reading headers from the PACS' });
  for (const [i, uid] of p.studies.entries()) {
    try {
      out.push(await checkStudy(p.projectId, uid));
    } catch (e) {
      if (e instanceof AppError && e.code === 'unavailable') throw new JobFailed(e.message);
      throw e;
    }
    await ctx.progress({ done: i + 1, total: p.studies.length, phase: `read ${i + 1} of ${p.studies.length} studies` });
  }
  return { studies: out };
}
registerJob('pacs.check', handlePacsCheck);

/** A finished PACS check of this project (null when there is none with that id). */
export async function pacsCheck({ projectId, jobId }: { projectId: string; jobId: string }) {
  const j = z.string().uuid().safeParse(jobId).success ? await getJob({ jobId, projectId }) : null;
  return j && j.kind === 'pacs.check' ? j : null;
}

/**
 * The checked studies as a case manifest, handed to the case import's check job. Refused (nothing
 * started) while a study with warnings is not acknowledged or a study could not be read.
 */
export async function startPacsManifest({
  projectId,
  jobId,
  acknowledged,
  assignSplits,
  actorId,
  ip,
}: {
  projectId: string;
  jobId: string;
  acknowledged: string[];
  assignSplits: [number, number, number] | null;
  actorId: string;
  ip: string | null;
}) {
  const job = await pacsCheck({ projectId, jobId });
  if (!job || job.status !== 'succeeded') throw new AppError('invalid', 'That check has not finished: wait for it, or check the studies again.', { field: 'job' });
  const { studies } = job.result as PacsCheckResult;
  const unreadable = studies.filter((s) => s.error);
  if (unreadable.length) throw new AppError('invalid', `${unreadable.length} of the studies could not be read from the PACS: check again without them.`, { field: 'ack' });
  const ack = new Set(acknowledged);
  const missing = studies.filter((s) => s.warnings.length && !ack.has(s.uid));
  if (missing.length)
    throw new AppError('invalid', `Acknowledge the header warnings of ${missing.length} ${missing.length === 1 ? 'study' : 'studies'} first (tick “I have reviewed these”).`, {
      field: 'ack',
    });
  const empty = studies.filter((s) => !s.imageSeries.length);
  if (empty.length) throw new AppError('invalid', `${empty.length} of the studies have no series with images: check again without them.`, { field: 'ack' });
  const rows = studies.map((s) => ({
    case_id: s.uid,
    patient_id: s.patient,
    study_date: s.date,
    modality: s.modality,
    body_part: s.bodyPart,
    split: '',
    images: s.imageSeries.map((se) => `dicomweb:studies/${s.uid}/series/${se}`),
    study_instance_uid: s.uid,
    ...(s.laterality ? { laterality: s.laterality } : {}),
    ...(s.views.length ? { view: s.views.join(' ') } : {}),
    ...(s.manufacturer ? { manufacturer: s.manufacturer } : {}),
    ...(s.warnings.length ? { header_warnings: s.warnings.join('; ') } : {}),
    source: 'pacs',
  }));
  return startManifestJob({ projectId, source: [JSON.stringify(rows)], format: 'json', fileName: 'pacs-studies.json', assignSplits, actorId, ip, dryRun: true });
}
