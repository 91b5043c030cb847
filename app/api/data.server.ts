/**
 * Queries and JSON views of the API that no page shares: keyset-paginated case and truth lists,
 * and reads as a given person may see them. Blinding decisions come from
 * app/models/reading.server.ts (getReaderCase), the same code the reader pages use.
 */
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { getDb } from '../../db/index.ts';
import { isUuid } from '../../domain/vocabulary.ts';
import { currentTruth, truthHistory } from '../models/truth.server.ts';
import { caseWorkflows, cases, findings, patients, reads, truthLabels } from '../../db/schema.ts';
import type { PersistedSnapshot } from '../../workflows/engine.ts';
import { decodeCursor, encodeCursor } from './http.server.ts';
import type { caseSchema, readSchema, truthLabelSchema } from './schemas.ts';

type CaseJson = z.infer<typeof caseSchema>;
type ReadJson = z.infer<typeof readSchema>;
type TruthJson = z.infer<typeof truthLabelSchema>;

/**
 * The sort key, truncated to what a cursor can carry: Postgres keeps microseconds, a JS Date (and
 * so the cursor) milliseconds. Comparing the full value with a truncated cursor would hand the
 * last row of a page out again on the next page.
 */
const createdMs = sql`date_trunc('milliseconds', ${cases.createdAt})`;

const keyset = (cursor: string | undefined) => {
  const c = decodeCursor(cursor);
  return c ? sql`(${createdMs}, ${cases.id}) > (${c.t}::timestamptz, ${c.id}::uuid)` : undefined;
};

/** A page of the project's cases in creation order (stable under inserts: keyset, not offset). */
export async function listCasesPage({
  projectId,
  cursor,
  limit,
}: {
  projectId: string;
  cursor?: string;
  limit: number;
}): Promise<{ cases: CaseJson[]; next_cursor: string | null }> {
  const rows = await getDb()
    .select({ c: cases, patient: patients.pseudonym, split: patients.split, state: caseWorkflows.state })
    .from(cases)
    .innerJoin(patients, eq(patients.id, cases.patientId))
    .leftJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id))
    .where(and(eq(cases.projectId, projectId), keyset(cursor)))
    .orderBy(asc(createdMs), asc(cases.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    // A withdrawn case keeps its row for the audit trail; nothing that identifies the patient
    // or the study is served from it.
    cases: page.map((r) => ({
      id: r.c.id,
      case_id: r.c.externalId,
      patient_id: r.c.withdrawnAt ? null : r.patient,
      study_date: r.c.withdrawnAt ? null : r.c.studyDate,
      modality: r.c.modality,
      body_part: r.c.bodyPart,
      split: r.split,
      images: r.c.withdrawnAt ? [] : r.c.images,
      metadata: r.c.withdrawnAt ? {} : (r.c.metadata as Record<string, unknown>),
      project_version: r.c.projectVersion,
      state: r.state ?? null,
      withdrawn: r.c.withdrawnAt !== null,
      created_at: r.c.createdAt.toISOString(),
    })),
    next_cursor: rows.length > limit && last ? encodeCursor({ t: last.c.createdAt.toISOString(), id: last.c.id }) : null,
  };
}

export function truthJson(l: typeof truthLabels.$inferSelect, findingKey: string | null): TruthJson {
  return {
    id: l.id,
    finding: findingKey,
    version: l.version,
    state: l.state,
    value: l.value ?? null,
    method: l.method,
    derived_from_reads: l.derivedFromReads,
    derived_from_evidence: l.derivedFromEvidence,
    policy_version: l.policyVersion,
    rule_version: l.ruleVersion,
    decider_id: l.deciderId,
    rationale: l.rationale,
    supersedes_id: l.supersedesId,
    event_seq: l.eventSeq,
    created_at: l.createdAt.toISOString(),
  };
}

/** Truth labels of some cases: the current version per subject, or every version. */
export async function truthOfCases({ caseIds, history }: { caseIds: string[]; history: boolean }): Promise<Map<string, TruthJson[]>> {
  const out = new Map<string, TruthJson[]>(caseIds.map((id) => [id, []]));
  if (!caseIds.length) return out;
  const labels = history ? await truthHistory({ caseIds }) : await currentTruth({ caseIds });
  for (const l of labels) out.get(l.caseId)!.push(truthJson(l, l.findingKey));
  for (const list of out.values()) list.sort((a, b) => (a.finding ?? '').localeCompare(b.finding ?? '') || a.version - b.version);
  return out;
}

/** A page of truth per case (leads). */
export async function listTruthPage({ projectId, cursor, limit, history }: { projectId: string; cursor?: string; limit: number; history: boolean }) {
  const rows = await getDb()
    .select({ id: cases.id, externalId: cases.externalId, createdAt: cases.createdAt, state: caseWorkflows.state })
    .from(cases)
    .leftJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id))
    .where(and(eq(cases.projectId, projectId), isNull(cases.withdrawnAt), keyset(cursor)))
    .orderBy(asc(createdMs), asc(cases.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const truth = await truthOfCases({ caseIds: page.map((r) => r.id), history });
  const last = page[page.length - 1];
  return {
    cases: page.map((r) => ({ id: r.id, case_id: r.externalId, state: r.state ?? null, truth: truth.get(r.id) ?? [] })),
    next_cursor: rows.length > limit && last ? encodeCursor({ t: last.createdAt.toISOString(), id: last.id }) : null,
  };
}

/**
 * Reads of a case as `viewer` may see them: `all` (leads, and readers once revealed) or only
 * their own. Other people are "Reader N" (in order of their first read) when the project masks
 * identities, except for leads, who see user ids.
 */
export async function readsOfCase({ caseId, viewerId, scope, mask }: { caseId: string; viewerId: string; scope: 'all' | 'own'; mask: boolean }): Promise<ReadJson[]> {
  const db = getDb();
  const rows = await db
    .select()
    .from(reads)
    .where(scope === 'all' ? eq(reads.caseId, caseId) : and(eq(reads.caseId, caseId), eq(reads.authorId, viewerId)))
    .orderBy(asc(reads.createdAt), asc(reads.id));
  const fs = await db.select({ id: findings.id, key: findings.key }).from(findings).where(eq(findings.caseId, caseId));
  const alias = new Map<string, string>();
  for (const r of rows) if (r.authorId && r.authorId !== viewerId && !alias.has(r.authorId)) alias.set(r.authorId, `Reader ${alias.size + 1}`);
  return rows.map((r) => ({
    id: r.id,
    reader: r.authorId === viewerId ? 'you' : r.authorId === null ? r.source : mask ? alias.get(r.authorId)! : r.authorId,
    mine: r.authorId === viewerId,
    source: r.source,
    finding: r.findingId ? (fs.find((f) => f.id === r.findingId)?.key ?? null) : null,
    values: (r.values as Record<string, unknown> | null) ?? null,
    cannot_assess_reason: r.cannotAssessReason,
    confidence: r.confidence,
    comment: r.comment,
    supersedes_id: r.supersedesId,
    amendment_reason: r.amendmentReason,
    created_at: r.createdAt.toISOString(),
  }));
}

/** The case row with patient and workflow state, or null when it is not in the project. */
export async function caseInProject({ projectId, caseId }: { projectId: string; caseId: string | undefined }) {
  if (!isUuid(caseId)) return null;
  const [row] = await getDb()
    .select({ c: cases, patient: patients.pseudonym, split: patients.split, state: caseWorkflows.state, snapshot: caseWorkflows.snapshot })
    .from(cases)
    .innerJoin(patients, eq(patients.id, cases.patientId))
    .leftJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id))
    .where(and(eq(cases.id, caseId), eq(cases.projectId, projectId)));
  if (!row) return null;
  return { ...row, context: row.snapshot ? (row.snapshot as PersistedSnapshot).context : null };
}
