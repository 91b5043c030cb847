/**
 * Review queues of the lead: exclusions to confirm (closed through the workflow command
 * `exclusion.resolve`), discordances (evidence contradicting truth, closed through
 * `discordance.close`), and withdrawn cases.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, count, desc, eq, isNotNull, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { caseWorkflows, cases, evidence, patients, reviews, users } from '../../db/schema.ts';
import { sendCaseEvent } from '../../workflows/runtime.ts';
import type { CaseCommand } from '../../workflows/commands.ts';
import { AppError, EventRefused } from '../../domain/errors.ts';
import type { DiscordanceOutcome } from '../../domain/vocabulary.ts';

export const REVIEW_PAGE_SIZE = 25;

export type ReviewRow = {
  id: string;
  caseId: string;
  externalId: string | null;
  patient: string;
  kind: 'discordance' | 'exclusion';
  reason: string;
  openedAt: string;
  state: string | null;
  evidence: { kind: string; date: string; resultCode: string | null } | null;
  outcome: string | null;
  outcomeReason: string | null;
  closedAt: string | null;
  closedBy: string | null;
};

/** Open (or closed) reviews of one kind in a project, oldest first (closed: newest first). */
export async function listReviews({
  projectId,
  kind,
  open = true,
  page = 1,
  pageSize = REVIEW_PAGE_SIZE,
  db,
}: {
  projectId: string;
  kind: 'discordance' | 'exclusion';
  open?: boolean;
  page?: number;
  pageSize?: number;
  db?: Db;
}) {
  const d = db ?? getDb();
  const where = and(eq(cases.projectId, projectId), eq(reviews.kind, kind), isNull(cases.withdrawnAt), open ? isNull(reviews.closedAt) : isNotNull(reviews.closedAt));
  const [{ total }] = await d.select({ total: count() }).from(reviews).innerJoin(cases, eq(cases.id, reviews.caseId)).where(where);
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const p = Math.min(Math.max(1, page), pages);
  const rows = await d
    .select({
      r: reviews,
      externalId: cases.externalId,
      patient: patients.pseudonym,
      state: caseWorkflows.state,
      evKind: evidence.kind,
      evDate: evidence.evidenceDate,
      evCode: evidence.resultCode,
      closedByName: users.name,
    })
    .from(reviews)
    .innerJoin(cases, eq(cases.id, reviews.caseId))
    .innerJoin(patients, eq(patients.id, cases.patientId))
    .leftJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id))
    .leftJoin(evidence, eq(evidence.id, reviews.evidenceId))
    .leftJoin(users, eq(users.id, reviews.closedBy))
    .where(where)
    .orderBy(open ? asc(reviews.openedAt) : desc(reviews.closedAt), asc(reviews.id))
    .limit(pageSize)
    .offset((p - 1) * pageSize);
  const out: ReviewRow[] = rows.map((x) => ({
    id: x.r.id,
    caseId: x.r.caseId,
    externalId: x.externalId,
    patient: x.patient,
    kind: x.r.kind,
    reason: x.r.reason,
    openedAt: x.r.openedAt.toISOString(),
    state: x.state,
    evidence: x.evKind ? { kind: x.evKind, date: x.evDate!, resultCode: x.evCode } : null,
    outcome: x.r.outcome,
    outcomeReason: x.r.outcomeReason,
    closedAt: x.r.closedAt?.toISOString() ?? null,
    closedBy: x.closedByName,
  }));
  return { rows: out, total, page: p, pages };
}

export async function listWithdrawn({ projectId, db }: { projectId: string; db?: Db }) {
  const d = db ?? getDb();
  const rows = await d
    .select({ id: cases.id, withdrawnAt: cases.withdrawnAt, patient: patients.pseudonym })
    .from(cases)
    .innerJoin(patients, eq(patients.id, cases.patientId))
    .where(and(eq(cases.projectId, projectId), isNotNull(cases.withdrawnAt)))
    .orderBy(desc(cases.withdrawnAt))
    .limit(200);
  return rows.map((r) => ({ id: r.id, patient: r.patient, withdrawnAt: r.withdrawnAt!.toISOString() }));
}

/**
 * Confirms (exclude = true) or declines an exclusion through the workflow command
 * `exclusion.resolve`: the machine closes the review and writes the truth.
 */
export async function resolveExclusion({
  caseId,
  actorId,
  exclude,
  reason,
  ip,
  clientRequestId,
  db,
}: {
  caseId: string;
  actorId: string;
  exclude: boolean;
  reason: string;
  ip?: string | null;
  clientRequestId?: string;
  db?: Db;
}) {
  // No state check of its own: a repeat of this request is recognised by the runtime first.
  return sendCaseEvent({ caseId, event: { type: 'exclusion.resolve', exclude, reason }, actorId, clientRequestId: clientRequestId ?? `ui:${randomUUID()}`, ip, db }).catch(
    (e: unknown) => {
      if (e instanceof EventRefused) throw new AppError('refused', 'This case has no exclusion waiting for a decision (someone may have decided it already).');
      throw e;
    },
  );
}

/** Reopens a decided or excluded case (a new round of reads), through `case.reopen`. */
export async function reopenCase({
  caseId,
  actorId,
  reason,
  clientRequestId,
  ip,
  db,
}: {
  caseId: string;
  actorId: string;
  reason: string;
  clientRequestId?: string;
  ip?: string | null;
  db?: Db;
}) {
  return sendCaseEvent({ caseId, event: { type: 'case.reopen', reason }, actorId, clientRequestId: clientRequestId ?? `ui:${randomUUID()}`, ip, db });
}

/**
 * Closes an open discordance review with a coded outcome through the evidence workflow's
 * command (`discordance.close`). `value` (true = positive) only with truth_changed.
 */
export async function closeDiscordance({
  reviewId,
  projectId,
  actorId,
  outcome,
  value,
  reason,
  clientRequestId,
  ip,
  db,
}: {
  reviewId: string;
  projectId: string;
  actorId: string;
  outcome: DiscordanceOutcome;
  value?: boolean;
  reason: string;
  clientRequestId?: string;
  ip?: string | null;
  db?: Db;
}) {
  const d = db ?? getDb();
  const [r] = await d
    .select({ r: reviews })
    .from(reviews)
    .innerJoin(cases, eq(cases.id, reviews.caseId))
    .where(and(eq(reviews.id, reviewId), eq(cases.projectId, projectId), eq(reviews.kind, 'discordance')));
  if (!r) throw new AppError('not_found', 'There is no such discordance in this project.');
  const event: CaseCommand = { type: 'discordance.close', findingId: r.r.findingId, outcome, ...(outcome === 'truth_changed' && value !== undefined ? { value } : {}), reason };
  // A closed review is refused by the workflow, after the runtime has recognised a repeat of this request.
  return sendCaseEvent({ caseId: r.r.caseId, event, actorId, clientRequestId: clientRequestId ?? `ui:${randomUUID()}`, ip, db }).catch((e: unknown) => {
    if (e instanceof EventRefused && r.r.closedAt) throw new AppError('refused', 'This discordance is already closed.');
    throw e;
  });
}
