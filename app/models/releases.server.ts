/**
 * Releases (DESIGN.md "releases"): numbered, content-hashed, immutable snapshots of the export,
 * with every case's chain head and count and the frozen split. Also audits plain exports.
 *
 *   createRelease({ projectId, actorId }) → the new release row (number = previous + 1)
 *   listReleases({ projectId })
 *   recordExport({ projectId, actorId, format, records })
 */
import { createHash } from 'node:crypto';
import { and, desc, eq, isNull, max } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { writeAudit } from '../../db/audit.ts';
import { caseWorkflows, cases, patients, projects, releases } from '../../db/schema.ts';
import { canonicalJson } from '../../workflows/canonical-json.ts';
import { toCsv, toJsonl, toProv, truthRecords } from './export.server.ts';

export async function recordExport({
  projectId,
  actorId,
  format,
  records,
  ip,
  db,
}: {
  projectId: string;
  actorId: string | null;
  format: string;
  records: number;
  ip?: string | null;
  db?: Db;
}) {
  await writeAudit(db ?? getDb(), { actorId, action: 'truth.export', projectId, ip: ip ?? null, details: { format, records } });
}

export type ReleaseFile = { name: string; sha256: string; bytes: number; content: string };

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Creates the next release: the truth export in all three formats, every non-withdrawn case's
 * chain head and event count (from case_workflows) and the frozen split per patient. The content
 * hash is SHA-256 of the canonical JSON of (files' hashes, chain heads, split). Rows are never
 * updated; the number is unique per project (a concurrent release fails and can be retried).
 */
export async function createRelease({ projectId, actorId, ip, db }: { projectId: string; actorId: string | null; ip?: string | null; db?: Db }) {
  const d = db ?? getDb();
  return d.transaction(async (tx) => {
    const records = await truthRecords({ projectId, db: tx as unknown as Db });
    const [p] = await tx.select({ id: projects.id, slug: projects.slug }).from(projects).where(eq(projects.id, projectId));
    const heads = await tx
      .select({ caseId: cases.id, head: caseWorkflows.headHash, count: caseWorkflows.eventCount })
      .from(cases)
      .innerJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id))
      .where(and(eq(cases.projectId, projectId), isNull(cases.withdrawnAt)))
      .orderBy(cases.id);
    const split = await tx
      .selectDistinct({ patient: patients.pseudonym, split: patients.split })
      .from(patients)
      .innerJoin(cases, eq(cases.patientId, patients.id))
      .where(and(eq(patients.projectId, projectId), isNull(cases.withdrawnAt)))
      .orderBy(patients.pseudonym);
    const files: ReleaseFile[] = [
      { name: 'truth.csv', content: toCsv(records) },
      { name: 'truth.jsonl', content: toJsonl(records) },
      { name: 'truth.prov.json', content: `${JSON.stringify(toProv(records, p), null, 1)}\n` },
    ].map((f) => ({ ...f, sha256: sha256(f.content), bytes: Buffer.byteLength(f.content) }));
    const chainHeads = Object.fromEntries(heads.map((h) => [h.caseId, { head: h.head, count: h.count }]));
    const frozenSplit = Object.fromEntries(split.map((s) => [s.patient, s.split]));
    const contentHash = sha256(canonicalJson({ files: files.map((f) => ({ name: f.name, sha256: f.sha256 })), chainHeads, split: frozenSplit }));
    const [{ last }] = await tx
      .select({ last: max(releases.number) })
      .from(releases)
      .where(eq(releases.projectId, projectId));
    const number = (last ?? 0) + 1;
    const [row] = await tx.insert(releases).values({ projectId, number, contentHash, chainHeads, split: frozenSplit, files, createdBy: actorId }).returning();
    await writeAudit(tx, { actorId, action: 'release.create', projectId, ip: ip ?? null, details: { number, contentHash, cases: heads.length, records: records.length } });
    return { ...row, files };
  });
}

export async function listReleases({ projectId, db }: { projectId: string; db?: Db }) {
  const rows = await (db ?? getDb())
    .select({ id: releases.id, number: releases.number, contentHash: releases.contentHash, createdAt: releases.createdAt, files: releases.files })
    .from(releases)
    .where(eq(releases.projectId, projectId))
    .orderBy(desc(releases.number));
  return rows.map((r) => ({ ...r, files: (r.files as ReleaseFile[]).map(({ name, sha256, bytes }) => ({ name, sha256, bytes })) }));
}
