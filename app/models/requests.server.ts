/**
 * Which case an importer's id names (the API's evidence endpoint). Whether a client request id was
 * used before is the workflow runtime's question alone (workflows/runtime.ts).
 */
import { and, eq, isNull } from 'drizzle-orm';
import { getDb } from '../../db/index.ts';
import { cases, workflowEvents } from '../../db/schema.ts';
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

/**
 * Whether this person's request with this id is already recorded on this case: a form submitted
 * twice whose page is gone after the first (an adjudicated case leaves the adjudicator's queue).
 * The runtime answers the same question for every command it is sent (workflows/runtime.ts).
 */
export async function alreadyRecorded({ caseId, actorId, clientRequestId }: { caseId: string; actorId: string; clientRequestId: string }): Promise<boolean> {
  if (!isUuid(caseId)) return false;
  const [e] = await getDb()
    .select({ seq: workflowEvents.seq })
    .from(workflowEvents)
    .where(and(eq(workflowEvents.caseId, caseId), eq(workflowEvents.actorId, actorId), eq(workflowEvents.clientRequestId, clientRequestId)));
  return Boolean(e);
}
