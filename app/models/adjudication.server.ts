/**
 * What adjudicators see and do. Reads are shown side by side with reader identities masked
 * ("Reader A", "Reader B") unless the policy says otherwise; evidence only under informed truthing.
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { getDb } from '../../db/index.ts';
import { caseWorkflows, cases, evidence, reads, users } from '../../db/schema.ts';
import { adjudicationQueueForUser, claimAdjudication } from '../../workflows/assignment.ts';
import { getCaseWorkflow, sendCaseEvent } from '../../workflows/runtime.ts';
import { countedReads, lateAmendments } from '../../workflows/machine.ts';
import { markItems, markRuleFor, type ReaderForm, type ReadValues } from '../../workflows/definition.ts';
import { notVisible } from './reading.server.ts';
import { isUuid } from '../../domain/vocabulary.ts';

/** One page of the adjudicator's queue (oldest first); `after` is the last item of the previous page. */
export async function listAdjudicationQueue({
  projectId,
  userId,
  limit = 50,
  after,
}: {
  projectId: string;
  userId: string;
  limit?: number;
  after?: { since: string; caseId: string };
}) {
  return adjudicationQueueForUser({ projectId, userId, limit, after });
}

/** The reader form each listed case is read with (one page of the queue at most), for its labels. */
export async function readerFormsOf({ caseIds }: { caseIds: string[] }): Promise<Map<string, ReaderForm>> {
  if (caseIds.length === 0) return new Map();
  const rows = await getDb()
    .select({ caseId: caseWorkflows.caseId, form: sql<ReaderForm>`${caseWorkflows.snapshot}->'context'->'readerForm'` })
    .from(caseWorkflows)
    .where(inArray(caseWorkflows.caseId, caseIds.slice(0, 500)));
  return new Map(rows.map((r) => [r.caseId, r.form]));
}

export async function claimCase({ caseId, userId }: { caseId: string; userId: string }) {
  return claimAdjudication({ caseId, userId });
}

export async function getAdjudicationCase({ projectId, caseId, userId }: { projectId: string; caseId: string; userId: string }) {
  if (!isUuid(caseId)) throw notVisible();
  const db = getDb();
  const [c] = await db
    .select()
    .from(cases)
    .where(and(eq(cases.id, caseId), eq(cases.projectId, projectId)));
  if (!c || c.withdrawnAt) throw notVisible();
  const [entry] = await adjudicationQueueForUser({ projectId, userId, caseId });
  if (!entry) throw notVisible();
  const wf = (await getCaseWorkflow({ caseId }))!;
  const ctx = wf.context;
  const counted = countedReads(ctx);
  const late = lateAmendments(ctx);
  const ids = [...counted, ...late].map((r) => r.id);
  const rows = ids.length ? await db.select().from(reads).where(inArray(reads.id, ids)) : [];
  const mask = ctx.truthPolicy.blinding.maskReaderIdentities;
  const names = mask
    ? new Map<string, string>()
    : new Map(
        (
          await db
            .select({ id: users.id, name: users.name })
            .from(users)
            .where(
              inArray(
                users.id,
                counted.map((r) => r.readerId),
              ),
            )
        ).map((u) => [u.id, u.name]),
      );
  const shown = counted.map((r, i) => {
    const row = rows.find((x) => x.id === r.id);
    return {
      id: r.id,
      label: mask ? `Reader ${String.fromCharCode(65 + i)}` : (names.get(r.readerId) ?? `Reader ${i + 1}`),
      values: r.values as ReadValues | null,
      comment: row?.comment ?? null,
      confidence: row?.confidence ?? null,
    };
  });
  // Amendments made after the reads were compared: shown beside the read they amend, never counted.
  const labelOf = new Map(counted.map((r, i) => [r.readerId, shown[i]!.label]));
  const amendments = late.map((a) => {
    const row = rows.find((x) => x.id === a.id);
    return {
      id: a.id,
      label: labelOf.get(a.readerId) ?? 'A reader',
      values: a.values as ReadValues | null,
      reason: row?.amendmentReason ?? '',
      at: a.at,
      comment: row?.comment ?? null,
    };
  });
  const ev = ctx.truthPolicy.informedTruthing ? await db.select().from(evidence).where(eq(evidence.caseId, caseId)).orderBy(asc(evidence.evidenceDate)) : null;
  const disputedItems = [...new Set((ctx.evaluation?.disputes ?? []).map((d) => d.item))];
  return {
    case: { id: c.id, studyDate: c.studyDate, modality: c.modality, bodyPart: c.bodyPart, images: c.images },
    readerForm: ctx.readerForm,
    markRules: Object.fromEntries(markItems(ctx.readerForm).map((m) => [m.item.key, markRuleFor(ctx.truthPolicy, m.item)])),
    disputes: ctx.evaluation?.disputes ?? [],
    disputedItems,
    consensus: ctx.evaluation?.consensus ?? {},
    reads: shown,
    amendments,
    evidence: ev?.map((e) => ({ id: e.id, kind: e.kind, date: e.evidenceDate, resultCode: e.resultCode, text: e.text, findingId: e.findingId })) ?? null,
    findings: ctx.findings,
    masked: mask,
    claimedByMe: entry.claimedByMe,
    votesNeeded: entry.votesNeeded,
  };
}

export async function decideAdjudication(args: {
  caseId: string;
  userId: string;
  clientRequestId: string;
  pickReadId?: string;
  values?: ReadValues;
  rationale: string;
  ip?: string;
}) {
  return sendCaseEvent({
    caseId: args.caseId,
    actorId: args.userId,
    clientRequestId: args.clientRequestId,
    ip: args.ip,
    event: { type: 'adjudication.decide', rationale: args.rationale, ...(args.pickReadId ? { pickReadId: args.pickReadId } : { values: args.values }) },
  });
}

export async function requestAnotherRead(args: { caseId: string; userId: string; clientRequestId: string; rationale: string; ip?: string }) {
  return sendCaseEvent({
    caseId: args.caseId,
    actorId: args.userId,
    clientRequestId: args.clientRequestId,
    ip: args.ip,
    event: { type: 'adjudication.requestRead', rationale: args.rationale },
  });
}
