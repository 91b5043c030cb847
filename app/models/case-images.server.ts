/**
 * Which images of a case a person may load. Every image byte — demo files, DICOM objects and
 * DICOMweb responses — goes through here: a lead sees the cases of their project, a reader the
 * cases assigned to them (or already read by them), an adjudicator the cases in their queue.
 */
import fs from 'node:fs';
import path from 'node:path';
import { and, eq, isNull } from 'drizzle-orm';
import { dataRoot } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { assignments, cases } from '../../db/schema.ts';
import { getCase } from './cases.server.ts';
import { getReaderCase, notVisible } from './reading.server.ts';
import { AppError } from '../../domain/errors.ts';
import { isUuid } from '../../domain/vocabulary.ts';
import { getAdjudicationCase } from './adjudication.server.ts';
import type { ProjectRole } from '../permissions.server.ts';
import { contentTypeFor, parseImageRef } from '../../imaging/refs.ts';
import { adjudicationQueueForUser } from '../../workflows/assignment.ts';

/** The case's image references, when this person may see the case; notVisible() otherwise. */
export async function visibleCaseImages({ projectId, caseId, userId, roles }: { projectId: string; caseId: string; userId: string; roles: ProjectRole[] }): Promise<string[]> {
  if (!isUuid(caseId)) throw notVisible();
  if (roles.includes('lead')) {
    const row = await getCase({ projectId, caseId });
    if (row && !row.c.withdrawnAt) return row.c.images;
  }
  const attempts: (() => Promise<{ case: { images: string[] } }>)[] = [];
  if (roles.includes('reader')) attempts.push(() => getReaderCase({ projectId, caseId, userId }));
  if (roles.includes('adjudicator')) attempts.push(() => getAdjudicationCase({ projectId, caseId, userId }));
  for (const attempt of attempts) {
    try {
      return (await attempt()).case.images;
    } catch (e) {
      if (!(e instanceof AppError && e.code === 'not_found')) throw e;
    }
  }
  throw notVisible();
}

/** The file behind image `index` of a visible case (a file under the data dir's demo-images). */
export async function caseImageFile(args: { projectId: string; caseId: string; userId: string; roles: ProjectRole[]; index: string }) {
  const images = await visibleCaseImages(args);
  const i = /^[0-9]{1,4}$/.test(args.index) ? Number(args.index) : -1;
  const ref = i >= 0 && i < images.length ? parseImageRef(images[i]) : null;
  if (!ref || ref.kind !== 'local') throw notVisible();
  const root = path.join(dataRoot(), 'demo-images');
  const file = path.resolve(root, ref.path);
  if (!file.startsWith(root + path.sep) || !fs.existsSync(file)) throw notVisible();
  return { file, contentType: contentTypeFor(file), size: fs.statSync(file).size };
}

/** The case's studies (for the DICOMweb proxy: only these may be fetched through this case). */
export async function caseStudies(args: { projectId: string; caseId: string; userId: string; roles: ProjectRole[] }): Promise<Set<string>> {
  const images = await visibleCaseImages(args);
  const studies = new Set<string>();
  for (const im of images) {
    const r = parseImageRef(im);
    if (r?.kind === 'dicomweb') studies.add(r.study);
  }
  return studies;
}

const UIDP = '[0-9]+(?:\\.[0-9]+)*';
// WADO-RS / QIDO-RS paths below a study: metadata, instances, frames, rendered not included.
const DICOMWEB_PATH = new RegExp(
  `^studies/(${UIDP})(?:/series(?:/${UIDP}(?:/instances(?:/${UIDP}(?:/frames/[0-9]+(?:,[0-9]+)*|/metadata)?)?|/metadata)?)?|/metadata|/instances)?$`,
);

/** Where the configured PACS is (DICOMWEB_URL, optional DICOMWEB_USER / DICOMWEB_PASSWORD). */
export function dicomWebConfig(): { url: string; authorization?: string } | null {
  const url = process.env.DICOMWEB_URL?.replace(/\/+$/, '');
  if (!url) return null;
  const user = process.env.DICOMWEB_USER;
  const authorization = user ? `Basic ${Buffer.from(`${user}:${process.env.DICOMWEB_PASSWORD ?? ''}`).toString('base64')}` : undefined;
  return { url, authorization };
}

/**
 * A DICOMweb request on behalf of a person looking at a case: only GETs below a study the case
 * references, only for people who may see the case; the PACS's answer is passed through.
 */
export async function proxyCaseDicomWeb(args: {
  projectId: string;
  caseId: string;
  userId: string;
  roles: ProjectRole[];
  path: string;
  search: string;
  accept: string | null;
}): Promise<Response> {
  const m = DICOMWEB_PATH.exec(args.path);
  const studies = await caseStudies(args);
  if (!m || !studies.has(m[1])) throw notVisible();
  const cfg = dicomWebConfig();
  if (!cfg) return new Response('No PACS is configured on this installation (set DICOMWEB_URL).', { status: 503, headers: { 'Content-Type': 'text/plain' } });
  const headers: Record<string, string> = { Accept: args.accept ?? 'application/dicom+json' };
  if (cfg.authorization) headers.Authorization = cfg.authorization;
  let upstream: Response;
  try {
    upstream = await fetch(`${cfg.url}/${args.path}${args.search}`, { headers, signal: AbortSignal.timeout(60_000) });
  } catch (e) {
    return new Response(`The PACS did not answer (${(e as Error).name === 'TimeoutError' ? 'timed out' : 'unreachable'}).`, {
      status: 502,
      headers: { 'Content-Type': 'text/plain' },
    });
  }
  if (upstream.status === 404) throw notVisible();
  const out = new Headers({ 'Cache-Control': 'private, max-age=3600', 'X-Content-Type-Options': 'nosniff' });
  // Not Content-Length: fetch has already undone the PACS's Content-Encoding (Orthanc gzips JSON),
  // so its length is that of the compressed body and would cut the decoded one short.
  const type = upstream.headers.get('Content-Type');
  if (type) out.set('Content-Type', type);
  return new Response(upstream.ok ? upstream.body : `The PACS answered ${upstream.status}.`, { status: upstream.ok ? 200 : 502, headers: out });
}

/**
 * The images of the case reserved next for this reader in this project (their own assignment,
 * which visibleCaseImages lets them load), for the read page to prefetch; null when none.
 */
export async function reservedNextImages({ projectId, userId }: { projectId: string; userId: string }): Promise<{ caseId: string; images: string[] } | null> {
  const [row] = await getDb()
    .select({ caseId: cases.id, images: cases.images })
    .from(assignments)
    .innerJoin(cases, eq(cases.id, assignments.caseId))
    .where(
      and(
        eq(assignments.projectId, projectId),
        eq(assignments.userId, userId),
        eq(assignments.role, 'reader'),
        eq(assignments.status, 'open'),
        eq(assignments.slot, 'next'),
        isNull(cases.withdrawnAt),
      ),
    )
    .limit(1);
  return row ?? null;
}

/**
 * The images of the case after this one in the adjudicator's queue (queue order, oldest first;
 * the head of the queue when this case is its last), for the adjudication page to prefetch. Every
 * case of the queue is one this adjudicator may load (visibleCaseImages), so nothing is shown
 * early that the page would not show; null when the queue holds no other case.
 */
export async function nextAdjudicationImages({
  projectId,
  userId,
  caseId,
}: {
  projectId: string;
  userId: string;
  caseId: string;
}): Promise<{ caseId: string; images: string[] } | null> {
  if (!isUuid(caseId)) return null;
  const [here] = await adjudicationQueueForUser({ projectId, userId, caseId });
  const after = here ? await adjudicationQueueForUser({ projectId, userId, limit: 1, after: { since: here.since, caseId } }) : [];
  const next = after[0] ?? (await adjudicationQueueForUser({ projectId, userId, limit: 2 })).find((q) => q.caseId !== caseId);
  if (!next) return null;
  const [row] = await getDb()
    .select({ caseId: cases.id, images: cases.images })
    .from(cases)
    .where(and(eq(cases.id, next.caseId), eq(cases.projectId, projectId), isNull(cases.withdrawnAt)));
  return row ?? null;
}
