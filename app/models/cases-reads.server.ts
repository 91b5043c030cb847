/**
 * The reads of a case as one person may see them: all of them (leads, and readers once the
 * project reveals them) or only their own. Other people are "Reader N" (in order of their first
 * read) when the project masks identities. Which scope a reader gets is decided by
 * getReaderCase (app/models/reading.server.ts), the reader pages' own blinding.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { findings, reads } from '../../db/schema.ts';

export type VisibleRead = {
  id: string;
  reader: string;
  mine: boolean;
  source: string;
  finding: string | null;
  values: Record<string, unknown> | null;
  cannotAssessReason: string | null;
  confidence: number | null;
  comment: string | null;
  supersedesId: string | null;
  amendmentReason: string | null;
  createdAt: Date;
};

export async function visibleReads({
  caseId,
  viewerId,
  scope,
  mask,
  db,
}: {
  caseId: string;
  viewerId: string;
  scope: 'all' | 'own';
  mask: boolean;
  db?: Db;
}): Promise<VisibleRead[]> {
  const d = db ?? getDb();
  const rows = await d
    .select({ r: reads, finding: findings.key })
    .from(reads)
    .leftJoin(findings, eq(findings.id, reads.findingId))
    .where(scope === 'all' ? eq(reads.caseId, caseId) : and(eq(reads.caseId, caseId), eq(reads.authorId, viewerId)))
    .orderBy(asc(reads.createdAt), asc(reads.id));
  const alias = new Map<string, string>();
  for (const { r } of rows) if (r.authorId && r.authorId !== viewerId && !alias.has(r.authorId)) alias.set(r.authorId, `Reader ${alias.size + 1}`);
  return rows.map(({ r, finding }) => ({
    id: r.id,
    reader: r.authorId === viewerId ? 'you' : r.authorId === null ? r.source : mask ? alias.get(r.authorId)! : r.authorId,
    mine: r.authorId === viewerId,
    source: r.source,
    finding: r.findingId ? (finding ?? null) : null,
    values: (r.values as Record<string, unknown> | null) ?? null,
    cannotAssessReason: r.cannotAssessReason,
    confidence: r.confidence,
    comment: r.comment,
    supersedesId: r.supersedesId,
    amendmentReason: r.amendmentReason,
    createdAt: r.createdAt,
  }));
}
