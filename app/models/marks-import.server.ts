/**
 * Marks from other tools (COCO JSON, DICOM SR TID 1500) imported by the lead as a named source:
 * `model` for an AI model's detections (the marks for an aided arm), or
 * `reference` for prior annotations (lesion locations from the reference standard). A
 * `marks.check` job reads the uploaded file, places every lesion on a case of the project and one
 * of its images, and previews per case; `marks.import` stores them all or none, replacing that
 * source's lesions for the cases in the file, in the transaction that marks the job succeeded.
 *
 * Cases: an SR names its study (StudyInstanceUID = the case's); a COCO image is found by its
 * file_name among the case images (as the manifest names them), or by `case_id` on the image.
 * Images: SOP Instance UIDs of the case's DICOM files or DICOMweb instances, or the manifest's
 * reference of a web image (an SR of ours names it by the UID derived from its URL); a bare file
 * name (no "/") names the one image of the case whose reference ends with "/<name>".
 */
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { writeAudit } from '../../db/audit.ts';
import { cases, importedMarks } from '../../db/schema.ts';
import { isDicom, MarksFileError, readMarksFile, type FileLesion, type MarksFileFormat } from '../../formats/marks-import.ts';
import { deleteInput, readInputText, storeInput } from '../../jobs/inputs.ts';
import { enqueueJob, getJob, JobFailed, registerJob, runJobNow, type JobContext } from '../../jobs/runner.ts';
import { lesionSchema, MARK_KINDS, type Lesion, type MarkKind } from '../../workflows/marks.ts';
import { caseImageIndex, type CaseImageIndex } from './marks-images.server.ts';
import { MARK_SOURCE_KINDS, type MarkSourceKind } from '../../formats/marks-sources.ts';

export type { MarkSourceKind };

/** The upload form (the file itself arrives as a stored input). */
export const marksImportSchema = z.object({
  intent: z.enum(['preview', 'import']).default('preview'),
  source: z
    .string()
    .trim()
    .min(1, 'name the source (e.g. the model and its version)')
    .max(100, 'at most 100 characters')
    .regex(/^[^\u0000-\u001f]*$/, 'no control characters'),
  sourceKind: z.enum(MARK_SOURCE_KINDS, { message: 'choose what the marks are' }),
});

/** Stored uploads are text: a DICOM file is kept as base64 behind this prefix. */
const BINARY = 'base64:';
export const MAX_MARKS_FILE_BYTES = 20 * 1024 * 1024;
const KEEP_PROBLEMS = 200;
const PREVIEW_CASES = 200;

export type MarksImportParams = {
  projectId: string;
  inputId: string;
  fileName: string | null;
  source: string;
  sourceKind: MarkSourceKind;
  actorId: string;
  ip: string | null;
  dryRun: boolean;
};
export type MarksPreviewCase = { caseId: string; lesions: number; kinds: Partial<Record<MarkKind, number>>; images: number };
export type MarksImportResult = {
  format: MarksFileFormat | null;
  source: string;
  sourceKind: MarkSourceKind;
  total: number;
  caseCount: number;
  cases: MarksPreviewCase[];
  problems: { where: string; text: string }[];
  problemCount: number;
  stored?: number;
  inputId: string;
};

/** The file's bytes as an upload to store (DICOM as base64, JSON as its text). */
export function marksUploadText(bytes: Uint8Array): string {
  return isDicom(bytes) ? BINARY + Buffer.from(bytes).toString('base64') : new TextDecoder('utf-8').decode(bytes);
}
function uploadBytes(text: string): Uint8Array {
  return text.startsWith(BINARY) ? new Uint8Array(Buffer.from(text.slice(BINARY.length), 'base64')) : new TextEncoder().encode(text);
}

type CaseRow = { id: string; externalId: string | null; studyInstanceUid: string | null; images: string[] };
const caseCols = { id: cases.id, externalId: cases.externalId, studyInstanceUid: cases.studyInstanceUid, images: cases.images };
/** The case as the lead knows it: the manifest's case id. */
const nameOf = (c: CaseRow) => c.externalId ?? c.id;
const live = (projectId: string) => and(eq(cases.projectId, projectId), isNull(cases.withdrawnAt));

const checkLesion = lesionSchema(z.record(z.string(), z.union([z.boolean(), z.string(), z.array(z.string()), z.number()])), MARK_KINDS);

type Placed = { caseRow: CaseRow; lesion: Lesion };

/** Places every lesion of the file on a case and image; problems name where in the file. */
export async function placeMarks({ projectId, bytes, db }: { projectId: string; bytes: Uint8Array; db: Db }): Promise<{
  format: MarksFileFormat | null;
  placed: Placed[];
  problems: { where: string; text: string }[];
}> {
  const problems: { where: string; text: string }[] = [];
  let file;
  try {
    file = readMarksFile(bytes);
  } catch (e) {
    if (e instanceof MarksFileError) return { format: null, placed: [], problems: [{ where: e.where, text: e.message }] };
    throw e;
  }
  const indexes = new Map<string, CaseImageIndex>();
  const indexOf = (c: CaseRow) => {
    let ix = indexes.get(c.id);
    if (!ix) indexes.set(c.id, (ix = caseImageIndex({ images: c.images })));
    return ix;
  };
  const placed: Placed[] = [];
  const place = (c: CaseRow, fl: FileLesion) => {
    const ix = indexOf(c);
    const im = fl.lesion.image;
    let image: Lesion['image'] | null = null;
    if (im.url !== undefined) {
      // Other tools often write the file's name alone: it names the case image whose path ends with it.
      const exact = ix.entries.some((e) => e.url === im.url);
      const tail = exact ? [] : ix.entries.filter((e) => e.url?.endsWith(`/${im.url}`));
      image = exact ? { url: im.url } : tail.length === 1 ? { url: tail[0]!.url! } : null;
    } else if (im.sopInstanceUid) {
      const e = ix.entries.find((x) => x.sopInstanceUid === im.sopInstanceUid);
      // An SR of ours names a web image by the UID derived from its reference.
      image = e?.url ? { url: e.url } : e || ix.open ? im : null;
    }
    if (!image) {
      problems.push({ where: fl.where, text: `${fl.where}: image ${im.url ?? im.sopInstanceUid ?? '(none)'} is not one of case ${nameOf(c)}'s images` });
      return;
    }
    const lesion = { ...fl.lesion, image };
    const ok = checkLesion.safeParse(lesion);
    if (!ok.success) {
      const i = ok.error.issues[0]!;
      problems.push({ where: fl.where, text: `${fl.where}: ${i.path.join('.') || 'lesion'} ${i.message}` });
      return;
    }
    placed.push({ caseRow: c, lesion });
  };

  if (file.format === 'sr') {
    const uid = file.studyInstanceUid;
    const [c] = uid
      ? await db
          .select(caseCols)
          .from(cases)
          .where(and(live(projectId), eq(cases.studyInstanceUid, uid)))
          .limit(2)
      : [];
    if (!uid) problems.push({ where: '(0020,000D) StudyInstanceUID', text: '(0020,000D) StudyInstanceUID: the report names no study' });
    else if (!c) problems.push({ where: '(0020,000D) StudyInstanceUID', text: `(0020,000D) StudyInstanceUID: no case of this project has study ${uid}` });
    else {
      // Read again knowing the case, so our web-image UIDs come back as the manifest's references.
      const ix = indexOf(c);
      const byUid = new Map(ix.entries.filter((e) => e.url).map((e) => [e.sopInstanceUid!, e.url!]));
      const again = readMarksFile(bytes, { urlOfUid: (u) => byUid.get(u) });
      for (const fl of again.lesions) place(c, fl);
    }
    if (!file.lesions.length) problems.push({ where: 'file', text: 'the report holds no measurement groups' });
    return { format: file.format, placed, problems };
  }

  // COCO: cases by the images' case_id, else by which case lists the image.
  const ids = [...new Set(file.lesions.flatMap((l) => (l.caseId ? [l.caseId] : [])))];
  const names = [...new Set(file.lesions.flatMap((l) => (l.caseId ? [] : [l.fileName!])))];
  const byExternal = new Map<string, CaseRow>();
  for (let i = 0; i < ids.length; i += 500)
    for (const c of await db
      .select(caseCols)
      .from(cases)
      .where(and(live(projectId), inArray(cases.externalId, ids.slice(i, i + 500)))))
      byExternal.set(nameOf(c), c);
  const byImage = new Map<string, CaseRow[]>();
  for (let i = 0; i < names.length; i += 500) {
    const chunk = names.slice(i, i + 500);
    const rows = await db
      .select(caseCols)
      .from(cases)
      .where(
        and(
          live(projectId),
          sql`${cases.images} ?| array[${sql.join(
            chunk.map((n) => sql`${n}`),
            sql`, `,
          )}]::text[]`,
        ),
      );
    for (const c of rows) for (const ref of c.images) if (chunk.includes(ref)) byImage.set(ref, [...(byImage.get(ref) ?? []), c]);
  }
  const bare = names.filter((n) => !byImage.has(n) && !n.includes('/'));
  for (let i = 0; i < bare.length; i += 200) {
    const chunk = bare.slice(i, i + 200);
    const patterns = chunk.map((n) => `%/${n.replace(/[\\%_]/g, '\\$&')}`);
    const rows = await db
      .select(caseCols)
      .from(cases)
      .where(
        and(
          live(projectId),
          sql`exists (select 1 from jsonb_array_elements_text(${cases.images}) as e(v) where e.v like any (array[${sql.join(
            patterns.map((p) => sql`${p}`),
            sql`, `,
          )}]::text[]))`,
        ),
      );
    for (const c of rows) for (const n of chunk) if (c.images.some((ref) => ref.endsWith(`/${n}`)) && !byImage.get(n)?.includes(c)) byImage.set(n, [...(byImage.get(n) ?? []), c]);
  }
  const told = new Set<string>();
  const once = (key: string, where: string, text: string) => {
    if (told.has(key)) return;
    told.add(key);
    problems.push({ where, text: `${where}: ${text}` });
  };
  for (const fl of file.lesions) {
    const imageWhere = `image ${fl.fileName}`;
    if (fl.caseId) {
      const c = byExternal.get(fl.caseId);
      if (!c) once(`case:${fl.caseId}`, fl.where, `case_id ${fl.caseId} is not a case of this project`);
      else place(c, fl);
      continue;
    }
    const found = byImage.get(fl.fileName!) ?? [];
    if (!found.length)
      once(`img:${fl.fileName}`, fl.where, `${imageWhere} is not an image of any case of this project (file_name must be the image as the case manifest names it)`);
    else if (found.length > 1)
      once(`img:${fl.fileName}`, fl.where, `${imageWhere} belongs to ${found.length} cases (${found.map(nameOf).sort().join(', ')}); add case_id to the image`);
    else place(found[0]!, fl);
  }
  if (!file.lesions.length) problems.push({ where: '$.annotations', text: '$.annotations: the file holds no annotations' });
  return { format: file.format, placed, problems };
}

function previewCases(placed: Placed[]): MarksPreviewCase[] {
  const m = new Map<string, MarksPreviewCase & { imageSet: Set<string> }>();
  for (const p of placed) {
    let c = m.get(p.caseRow.id);
    if (!c) m.set(p.caseRow.id, (c = { caseId: nameOf(p.caseRow), lesions: 0, kinds: {}, images: 0, imageSet: new Set() }));
    c.lesions++;
    c.kinds[p.lesion.kind] = (c.kinds[p.lesion.kind] ?? 0) + 1;
    c.imageSet.add(JSON.stringify(p.lesion.image));
  }
  return [...m.values()].map(({ imageSet, ...c }) => ({ ...c, images: imageSet.size })).sort((a, b) => a.caseId.localeCompare(b.caseId));
}

async function runMarksJob(ctx: JobContext): Promise<MarksImportResult> {
  const p = ctx.job.params as MarksImportParams;
  const db = ctx.db;
  await ctx.progress({ done: 0, total: 3, phase: 'reading the file' });
  const bytes = uploadBytes(await readInputText({ inputId: p.inputId, db }));
  await ctx.progress({ done: 1, phase: 'placing every mark on a case and image' });
  const { format, placed, problems } = await placeMarks({ projectId: p.projectId, bytes, db });
  const all = previewCases(placed);
  const base: MarksImportResult = {
    format,
    source: p.source,
    sourceKind: p.sourceKind,
    total: placed.length,
    caseCount: all.length,
    cases: all.slice(0, PREVIEW_CASES),
    problems: problems.slice(0, KEEP_PROBLEMS),
    problemCount: problems.length,
    inputId: p.inputId,
  };
  if (problems.length) throw new JobFailed(`${problems.length} problem(s) in the marks file; nothing was stored`, base);
  if (p.dryRun) return base;

  await ctx.progress({ done: 2, phase: `storing ${placed.length.toLocaleString('en')} lesion(s)` });
  const perCase = new Map<string, Lesion[]>();
  for (const x of placed) perCase.set(x.caseRow.id, [...(perCase.get(x.caseRow.id) ?? []), x.lesion]);
  const result = { ...base, stored: placed.length };
  await db.transaction(async (tx) => {
    await ctx.lockIn(tx);
    const caseIds = [...perCase.keys()];
    for (let i = 0; i < caseIds.length; i += 500)
      await tx
        .delete(importedMarks)
        .where(and(eq(importedMarks.projectId, p.projectId), eq(importedMarks.source, p.source), inArray(importedMarks.caseId, caseIds.slice(i, i + 500))));
    const rows = caseIds.map((caseId) => ({
      projectId: p.projectId,
      caseId,
      source: p.source,
      sourceKind: p.sourceKind,
      format: format!,
      lesions: perCase.get(caseId)!,
      importedBy: p.actorId,
      jobId: ctx.job.id,
    }));
    for (let i = 0; i < rows.length; i += 200) await tx.insert(importedMarks).values(rows.slice(i, i + 200));
    await writeAudit(tx, {
      actorId: p.actorId,
      action: 'marks.import',
      projectId: p.projectId,
      ip: p.ip,
      details: { source: p.source, sourceKind: p.sourceKind, format, lesions: placed.length, cases: caseIds.length, job: ctx.job.id, file: p.fileName },
    });
    await ctx.succeedIn(tx, result);
  });
  await deleteInput({ inputId: p.inputId, db });
  return result;
}

registerJob('marks.check', runMarksJob);
registerJob('marks.import', runMarksJob);

/** Stores an upload (or takes a stored one) and queues its check (dryRun) or import. */
export async function startMarksJob({
  projectId,
  bytes,
  inputId,
  fileName = null,
  source,
  sourceKind,
  actorId,
  ip = null,
  dryRun,
  db,
}: {
  projectId: string;
  bytes?: Uint8Array;
  inputId?: string;
  fileName?: string | null;
  source: string;
  sourceKind: MarkSourceKind;
  actorId: string;
  ip?: string | null;
  dryRun: boolean;
  db?: Db;
}) {
  const id = inputId ?? (await storeInput({ source: [marksUploadText(bytes ?? new Uint8Array())], db })).inputId;
  const params: MarksImportParams = { projectId, inputId: id, fileName, source, sourceKind, actorId, ip, dryRun };
  return enqueueJob({ kind: dryRun ? 'marks.check' : 'marks.import', projectId, createdBy: actorId, params, db });
}

/** Queues the import of a file a `marks.check` job of this project found without problems; null otherwise. */
export async function importCheckedMarks({
  projectId,
  checkJobId,
  actorId,
  ip = null,
  db,
}: {
  projectId: string;
  checkJobId: string;
  actorId: string;
  ip?: string | null;
  db?: Db;
}) {
  if (!/^[0-9a-f-]{36}$/i.test(checkJobId)) return null;
  const check = await getJob({ jobId: checkJobId, projectId, db });
  const r = check?.result as MarksImportResult | null | undefined;
  if (!check || check.kind !== 'marks.check' || check.status !== 'succeeded' || !r || r.problemCount > 0) return null;
  const p = check.params as MarksImportParams;
  return startMarksJob({ projectId, inputId: p.inputId, fileName: p.fileName, source: p.source, sourceKind: p.sourceKind, actorId, ip, dryRun: false, db });
}

/** Checks and (unless dryRun) imports a file now, as a job run in this call (tests, scripts). */
export async function importMarksNow(args: Parameters<typeof startMarksJob>[0]) {
  const job = await startMarksJob(args);
  return runJobNow({ jobId: job.id, db: args.db });
}

/** The lead's overview: per source, its kind, cases, lesions and last import. */
export async function importedMarkSources({ projectId, db }: { projectId: string; db?: Db }) {
  return (db ?? getDb())
    .select({
      source: importedMarks.source,
      sourceKind: sql<string>`min(${importedMarks.sourceKind})`,
      cases: sql<number>`count(*)::int`,
      lesions: sql<number>`coalesce(sum(jsonb_array_length(${importedMarks.lesions})), 0)::int`,
      at: sql<string>`max(${importedMarks.createdAt})::text`,
    })
    .from(importedMarks)
    .where(eq(importedMarks.projectId, projectId))
    .groupBy(importedMarks.source)
    .orderBy(importedMarks.source)
    .limit(200);
}

/** A case's imported lesions, per source (one row per source). */
export async function caseImportedMarks({ projectId, caseId, sourceKind, db }: { projectId: string; caseId: string; sourceKind?: MarkSourceKind; db?: Db }) {
  const rows = await (db ?? getDb())
    .select({ source: importedMarks.source, sourceKind: importedMarks.sourceKind, format: importedMarks.format, lesions: importedMarks.lesions })
    .from(importedMarks)
    .where(and(eq(importedMarks.projectId, projectId), eq(importedMarks.caseId, caseId), sourceKind ? eq(importedMarks.sourceKind, sourceKind) : undefined))
    .orderBy(importedMarks.source);
  return rows.map((r) => ({ ...r, sourceKind: r.sourceKind as MarkSourceKind, lesions: r.lesions as Lesion[] }));
}
