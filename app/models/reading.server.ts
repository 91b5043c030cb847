/**
 * What readers see and do. Blinding lives here, server-side: a reader's case view is a
 * projection holding only their own reads and assignment — never another reader's read, the
 * workflow state or anything else that changes with other readers' answers (a decided flag,
 * whether an amendment can still count) — plus what the project's policy reveals after the
 * reader has finished AND the case is decided. The API uses the same functions.
 */
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { isDecided } from '../../domain/workflow-states.ts';
import { getDb } from '../../db/index.ts';
import { assignments, cases, caseWorkflows, projectCaseCounts, reads } from '../../db/schema.ts';
import { nextCaseForReader } from '../../workflows/assignment.ts';
import { sendCaseEvent, type SendResult } from '../../workflows/runtime.ts';
import { AppError, EventRefused } from '../../domain/errors.ts';
import { newestReadOf, type CaseContext } from '../../workflows/machine.ts';
import type { ReadValues } from '../../workflows/definition.ts';
import { isUuid } from '../../domain/vocabulary.ts';
import { currentTruth } from './truth.server.ts';

export async function getReaderProgress({ projectId, userId }: { projectId: string; userId: string }) {
  const db = getDb();
  // The project's size from its counter (kept by triggers on cases): never a count over the project.
  const [counted] = await db.select({ total: projectCaseCounts.cases }).from(projectCaseCounts).where(eq(projectCaseCounts.projectId, projectId));
  const total = counted?.total ?? 0;
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

/**
 * The reader's finished cases, newest first: their own reads only (nothing about the case's
 * progress). One page in SQL (the newest read per case, LIMIT/OFFSET) and its count: rows bounded
 * by the reader's own reads, never by the project's size.
 */
export async function listMyReads({ projectId, userId, limit = 25, offset = 0 }: { projectId: string; userId: string; limit?: number; offset?: number }) {
  const db = getDb();
  const mine = sql`select distinct on (r.case_id) r.case_id, r.id, r.values is null as cannot_assess, r.created_at, r.supersedes_id is not null as amended, c.study_date, c.modality
    from ${reads} r join ${cases} c on c.id = r.case_id
    where r.author_id = ${userId} and r.source = 'reader' and c.project_id = ${projectId}::uuid and c.withdrawn_at is null
    order by r.case_id, r.created_at desc, r.id desc`;
  const [page, [{ total }]] = await Promise.all([
    db.execute(sql`select * from (${mine}) m order by m.created_at desc, m.case_id limit ${Math.max(1, Math.min(limit, 200))} offset ${Math.max(0, offset)}`),
    db
      .execute(sql`select count(distinct r.case_id)::int as total from ${reads} r join ${cases} c on c.id = r.case_id
      where r.author_id = ${userId} and r.source = 'reader' and c.project_id = ${projectId}::uuid and c.withdrawn_at is null`)
      .then((x) => rowsOf<{ total: number }>(x)),
  ]);
  return {
    total: Number(total),
    items: rowsOf<{ case_id: string; id: string; cannot_assess: boolean; created_at: string | Date; amended: boolean; study_date: string; modality: string }>(page).map((r) => ({
      caseId: r.case_id,
      readId: r.id,
      cannotAssess: r.cannot_assess,
      at: new Date(r.created_at).toISOString(),
      studyDate: r.study_date,
      modality: r.modality,
      amended: r.amended,
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
  // One statement: the case, the parts of its workflow this view needs (never the whole
  // snapshot), the reader's open assignment and their own reads, newest first.
  const [row] = rowsOf<{
    id: string;
    study_date: string;
    modality: string;
    body_part: string;
    images: string[];
    view: string | null;
    state: string;
    reader_form: CaseContext['readerForm'];
    truth_policy: CaseContext['truthPolicy'];
    round: number;
    ctx_reads: CaseContext['reads'];
    expires_at: string | null;
    assigned: boolean;
    mine:
      | {
          id: string;
          values: ReadValues | null;
          cannot_assess_reason: string | null;
          comment: string | null;
          confidence: number | null;
          created_at: string;
          amendment_reason: string | null;
          time_spent_ms: number | null;
        }[]
      | null;
  }>(
    await getDb().execute(sql`
      select c.id, c.study_date, c.modality, c.body_part, c.images,
        case when jsonb_typeof(c.metadata->'view') = 'string' then c.metadata->>'view' end as view,
        cw.state, cw.snapshot->'context'->'readerForm' as reader_form, cw.snapshot->'context'->'truthPolicy' as truth_policy,
        (cw.snapshot->'context'->>'round')::int as round, cw.snapshot->'context'->'reads' as ctx_reads,
        a.expires_at, a.id is not null as assigned,
        (select json_agg(json_build_object('id', r.id, 'values', r.values, 'cannot_assess_reason', r.cannot_assess_reason, 'comment', r.comment,
            'confidence', r.confidence, 'created_at', r.created_at, 'amendment_reason', r.amendment_reason, 'time_spent_ms', r.time_spent_ms) order by r.created_at desc)
          from ${reads} r where r.case_id = c.id and r.author_id = ${userId} and r.source = 'reader') as mine
      from ${cases} c
      join ${caseWorkflows} cw on cw.case_id = c.id
      left join ${assignments} a on a.case_id = c.id and a.user_id = ${userId} and a.role = 'reader' and a.status = 'open'
      where c.id = ${caseId}::uuid and c.project_id = ${projectId}::uuid and c.withdrawn_at is null`),
  );
  if (!row) throw notVisible();
  const mine = row.mine ?? [];
  if (!row.assigned && mine.length === 0) throw notVisible();
  // Their newest read of this round, late amendments included: what they last said.
  const newest = newestReadOf({ reads: row.ctx_reads, round: row.round } as CaseContext, userId);
  const current = (newest && mine.find((r) => r.id === newest.id)) ?? null;
  const policy = row.truth_policy;
  const iso = (t: string) => new Date(t).toISOString();
  let revealed: null | { truth: { findingKey: string | null; state: string; value: unknown }[] } = null;
  if (policy.blinding.revealAfterFinish && isDecided(row.state) && mine.length > 0) {
    revealed = { truth: (await currentTruth({ caseIds: [caseId] })).map((l) => ({ findingKey: l.findingKey, state: l.state, value: l.value })) };
  }
  return {
    case: {
      id: row.id,
      studyDate: row.study_date,
      modality: row.modality,
      bodyPart: row.body_part,
      images: row.images,
      view: row.view,
    },
    readerForm: row.reader_form,
    assigned: row.assigned,
    expiresAt: row.expires_at === null ? null : iso(row.expires_at),
    myRead: current
      ? {
          id: current.id,
          values: current.values,
          cannotAssessReason: current.cannot_assess_reason,
          comment: current.comment,
          confidence: current.confidence,
          // The reader's own time on the case (shown to them only).
          timeSpentMs: current.time_spent_ms,
          at: iso(current.created_at),
        }
      : null,
    history: mine.map((r) => ({ id: r.id, values: r.values, at: iso(r.created_at), amendmentReason: r.amendment_reason })),
    // Always offered on their own read: whether an amendment still counts depends on the other
    // reads, so the server records it either way and answers the same (late ones go to the adjudicator).
    // Depends only on the reader having a read of their own: every amendment gets the same answer.
    hasOwnRead: Boolean(current),
    revealed,
  };
}

function rowsOf<T>(r: unknown): T[] {
  return ((r as { rows?: T[] }).rows ?? (r as T[])) as T[];
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
  // One statement: the case is in the project, the reader holds an open assignment on it, or
  // this request was recorded already (a repeat is acknowledged by the runtime, not refused).
  const [c] = rowsOf<{ assigned: boolean; repeat: boolean }>(
    await getDb().execute(sql`
      select exists (select 1 from ${assignments} a where a.case_id = c.id and a.user_id = ${args.userId} and a.role = 'reader' and a.status = 'open') as assigned,
        exists (select 1 from ${reads} r where r.client_request_id = ${args.clientRequestId}) as repeat
      from ${cases} c where c.id = ${isUuid(args.caseId) ? args.caseId : NIL}::uuid and c.project_id = ${args.projectId}::uuid`),
  );
  if (!c) throw new AppError('not_found', 'no such case in this project');
  if (!c.assigned && !c.repeat) throw new AppError('refused', NOT_TAKING_READS);
  return asReader(sendCaseEvent({ caseId: args.caseId, actorId: args.userId, clientRequestId: args.clientRequestId, ip: args.ip, event: { type: 'read.submit', ...args.read } }));
}

const NIL = '00000000-0000-0000-0000-000000000000';

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
