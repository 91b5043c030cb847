/**
 * What readers see and do. Blinding lives here, server-side: a reader's case view is a
 * projection holding only their own reads and assignment — never another reader's read, the
 * workflow state or anything else that changes with other readers' answers (a decided flag,
 * whether an amendment can still count) — plus what the project's policy reveals after the
 * reader has finished AND the case is decided. The API uses the same functions.
 */
import { and, count, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { isDecided } from '../../domain/workflow-states.ts';
import { getDb } from '../../db/index.ts';
import { assignments, cases, reads } from '../../db/schema.ts';
import { nextCaseForReader } from '../../workflows/assignment.ts';
import { sendCaseEvent, getCaseWorkflow, type SendResult } from '../../workflows/runtime.ts';
import { AppError, EventRefused } from '../../domain/errors.ts';
import { newestReadOf } from '../../workflows/machine.ts';
import type { ReadValues } from '../../workflows/definition.ts';
import { isUuid } from '../../domain/vocabulary.ts';
import { currentTruth } from './truth.server.ts';

export async function getReaderProgress({ projectId, userId }: { projectId: string; userId: string }) {
  const db = getDb();
  const [{ total }] = await db
    .select({ total: count() })
    .from(cases)
    .where(and(eq(cases.projectId, projectId), isNull(cases.withdrawnAt)));
  const [{ done }] = await db
    .select({ done: sql<number>`count(distinct ${reads.caseId})::int` })
    .from(reads)
    .innerJoin(cases, eq(cases.id, reads.caseId))
    .where(and(eq(cases.projectId, projectId), eq(reads.authorId, userId), eq(reads.source, 'reader'), isNull(cases.withdrawnAt)));
  const open = await db
    .select({ caseId: assignments.caseId, assignedAt: assignments.assignedAt, expiresAt: assignments.expiresAt })
    .from(assignments)
    .innerJoin(cases, eq(cases.id, assignments.caseId))
    .where(and(eq(cases.projectId, projectId), eq(assignments.userId, userId), eq(assignments.role, 'reader'), eq(assignments.status, 'open'), isNull(cases.withdrawnAt)))
    .orderBy(assignments.assignedAt);
  return { total, done, assigned: done + open.length, open: open.map((o) => ({ caseId: o.caseId, expiresAt: o.expiresAt?.toISOString() ?? null })) };
}

/** The reader's finished cases, newest first: their own reads only (nothing about the case's progress). */
export async function listMyReads({ projectId, userId, limit = 25, offset = 0 }: { projectId: string; userId: string; limit?: number; offset?: number }) {
  const db = getDb();
  const rows = await db
    .select({
      caseId: reads.caseId,
      readId: reads.id,
      values: reads.values,
      createdAt: reads.createdAt,
      supersedesId: reads.supersedesId,
      studyDate: cases.studyDate,
      modality: cases.modality,
    })
    .from(reads)
    .innerJoin(cases, eq(cases.id, reads.caseId))
    .where(and(eq(cases.projectId, projectId), eq(reads.authorId, userId), eq(reads.source, 'reader'), isNull(cases.withdrawnAt)))
    .orderBy(desc(reads.createdAt));
  // The newest read per case is the one that counts; older ones were amended.
  const seen = new Set<string>();
  const latest = rows.filter((r) => (seen.has(r.caseId) ? false : (seen.add(r.caseId), true)));
  return {
    total: latest.length,
    items: latest.slice(offset, offset + limit).map((r) => ({
      caseId: r.caseId,
      readId: r.readId,
      cannotAssess: r.values === null,
      at: r.createdAt.toISOString(),
      studyDate: r.studyDate,
      modality: r.modality,
      amended: r.supersedesId !== null,
    })),
  };
}

/** A case the person may not see is reported exactly like one that does not exist. */
export const notVisible = () => new AppError('not_found', 'There is no such case in your queue.');

/**
 * One case as its reader may see it. Throws notVisible() when the reader has neither an open
 * assignment nor a read on it (so ids cannot be probed).
 */
export async function getReaderCase({ projectId, caseId, userId }: { projectId: string; caseId: string; userId: string }) {
  if (!isUuid(caseId)) throw notVisible();
  const db = getDb();
  const [c] = await db
    .select()
    .from(cases)
    .where(and(eq(cases.id, caseId), eq(cases.projectId, projectId), isNull(cases.withdrawnAt)));
  if (!c) throw notVisible();
  const wf = await getCaseWorkflow({ caseId });
  if (!wf) throw notVisible();
  const [assignment] = await db
    .select()
    .from(assignments)
    .where(and(eq(assignments.caseId, caseId), eq(assignments.userId, userId), eq(assignments.role, 'reader'), eq(assignments.status, 'open')));
  const mine = await db
    .select()
    .from(reads)
    .where(and(eq(reads.caseId, caseId), eq(reads.authorId, userId), eq(reads.source, 'reader')))
    .orderBy(desc(reads.createdAt));
  if (!assignment && mine.length === 0) throw notVisible();
  const ctx = wf.context;
  // Their newest read of this round, late amendments included: what they last said.
  const newest = newestReadOf(ctx, userId);
  const current = (newest && mine.find((r) => r.id === newest.id)) ?? null;
  const policy = ctx.truthPolicy;
  let revealed: null | { truth: { findingKey: string | null; state: string; value: unknown }[] } = null;
  if (policy.blinding.revealAfterFinish && isDecided(wf.state) && mine.length > 0) {
    revealed = { truth: (await currentTruth({ caseIds: [caseId] })).map((l) => ({ findingKey: l.findingKey, state: l.state, value: l.value })) };
  }
  return {
    case: {
      id: c.id,
      studyDate: c.studyDate,
      modality: c.modality,
      bodyPart: c.bodyPart,
      images: c.images,
      view: typeof (c.metadata as Record<string, unknown>)?.view === 'string' ? String((c.metadata as Record<string, unknown>).view) : null,
    },
    readerForm: ctx.readerForm,
    assigned: Boolean(assignment),
    expiresAt: assignment?.expiresAt?.toISOString() ?? null,
    myRead: current
      ? {
          id: current.id,
          values: current.values as ReadValues | null,
          cannotAssessReason: current.cannotAssessReason,
          comment: current.comment,
          confidence: current.confidence,
          // The reader's own time on the case (shown to them only).
          timeSpentMs: current.timeSpentMs,
          at: current.createdAt.toISOString(),
        }
      : null,
    history: mine.map((r) => ({ id: r.id, values: r.values as ReadValues | null, at: r.createdAt.toISOString(), amendmentReason: r.amendmentReason })),
    // Always offered on their own read: whether an amendment still counts depends on the other
    // reads, so the server records it either way and answers the same (late ones go to the adjudicator).
    // Depends only on the reader having a read of their own: every amendment gets the same answer.
    hasOwnRead: Boolean(current),
    revealed,
  };
}

const NOT_TAKING_READS = 'this case is not taking your read now (the assignment may have expired): ask for the next case';

/** A refusal as a reader may hear it: its reason, never the case's state (which other reads decide). */
async function asReader<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof EventRefused) throw new AppError('refused', /^the case (is )?in /.test(e.message) ? NOT_TAKING_READS : e.message);
    throw e;
  }
}

export type ReadInput = { values: ReadValues | null; cannotAssessReason?: string; comment?: string; confidence?: number; timeSpentMs?: number };

/** Records a read. The reader must hold an open assignment on the case (pull-based assignment). */
export async function submitReaderRead(args: { projectId: string; caseId: string; userId: string; clientRequestId: string; read: ReadInput; ip?: string }): Promise<SendResult> {
  const db = getDb();
  const [c] = await db
    .select({ id: cases.id })
    .from(cases)
    .where(and(eq(cases.id, args.caseId), eq(cases.projectId, args.projectId)));
  if (!c) throw new AppError('not_found', 'no such case in this project');
  const [a] = await db
    .select({ id: assignments.id })
    .from(assignments)
    .where(and(eq(assignments.caseId, args.caseId), eq(assignments.userId, args.userId), eq(assignments.role, 'reader'), eq(assignments.status, 'open')));
  if (!a) {
    // A repeat of a read already recorded is acknowledged by the runtime (idempotency), not refused.
    const [dup] = await db.select({ id: reads.id }).from(reads).where(eq(reads.clientRequestId, args.clientRequestId));
    if (!dup) throw new AppError('refused', NOT_TAKING_READS);
  }
  return asReader(sendCaseEvent({ caseId: args.caseId, actorId: args.userId, clientRequestId: args.clientRequestId, ip: args.ip, event: { type: 'read.submit', ...args.read } }));
}

export async function amendReaderRead(args: {
  projectId: string;
  caseId: string;
  userId: string;
  clientRequestId: string;
  supersedesReadId: string;
  reason: string;
  read: ReadInput;
  ip?: string;
}) {
  const db = getDb();
  const [c] = await db
    .select({ id: cases.id })
    .from(cases)
    .where(and(eq(cases.id, args.caseId), eq(cases.projectId, args.projectId)));
  if (!c) throw new AppError('not_found', 'no such case in this project');
  return asReader(
    sendCaseEvent({
      caseId: args.caseId,
      actorId: args.userId,
      clientRequestId: args.clientRequestId,
      ip: args.ip,
      event: { type: 'read.amend', supersedesReadId: args.supersedesReadId, reason: args.reason, ...args.read },
    }),
  );
}

/** The reader's current case (and the one reserved next); `signal` aborted → nothing is assigned. */
export async function takeNextCase({ projectId, userId, signal }: { projectId: string; userId: string; signal?: AbortSignal }) {
  return nextCaseForReader({ projectId, userId, signal });
}

/** Cases of the project by id, for checks that several ids all belong to it. */
export async function casesInProject({ projectId, caseIds }: { projectId: string; caseIds: string[] }) {
  if (!caseIds.length) return [];
  return getDb()
    .select({ id: cases.id })
    .from(cases)
    .where(and(eq(cases.projectId, projectId), inArray(cases.id, caseIds)));
}
