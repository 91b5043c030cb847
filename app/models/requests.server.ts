/**
 * Lookups the API needs before it sends a command: which case an importer's id names, whether a
 * client request id was used before (and by whom, for what), whether a reader holds an open
 * assignment.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { getDb } from '../../db/index.ts';
import { assignments, cases, workflowEvents } from '../../db/schema.ts';
import { isUuid } from '../../domain/vocabulary.ts';

/** The importer's case id first (as in the evidence file), then the opaque id. Withdrawn cases have no importer's id. */
export async function resolveCaseRef({ projectId, ref }: { projectId: string; ref: string }): Promise<string | null> {
  const db = getDb();
  const [byExternal] = await db
    .select({ id: cases.id })
    .from(cases)
    .where(and(eq(cases.projectId, projectId), eq(cases.externalId, ref), isNull(cases.withdrawnAt)));
  if (byExternal) return byExternal.id;
  if (!isUuid(ref)) return null;
  const [byId] = await db
    .select({ id: cases.id })
    .from(cases)
    .where(and(eq(cases.projectId, projectId), eq(cases.id, ref)));
  return byId?.id ?? null;
}

/** The event an earlier request with this client request id recorded, if any. */
export async function priorRequest({ clientRequestId }: { clientRequestId: string }) {
  const [prior] = await getDb()
    .select({ caseId: workflowEvents.caseId, actorId: workflowEvents.actorId, type: workflowEvents.type })
    .from(workflowEvents)
    .where(eq(workflowEvents.clientRequestId, clientRequestId));
  return prior ?? null;
}

export async function hasOpenReaderAssignment({ caseId, userId }: { caseId: string; userId: string }): Promise<boolean> {
  const [open] = await getDb()
    .select({ id: assignments.id })
    .from(assignments)
    .where(and(eq(assignments.caseId, caseId), eq(assignments.userId, userId), eq(assignments.role, 'reader'), eq(assignments.status, 'open')));
  return Boolean(open);
}
