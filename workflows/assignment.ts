/**
 * Pull-based assignment (DESIGN.md "Assignment"): a reader asks for the next case and gets the
 * eligible case with the fewest reads in its current round (so reads spread evenly across
 * cases and readers); assignments expire per policy and return to the pool. Adjudicators pick
 * from a queue of disputed cases, oldest first. Every function locks the case_workflows row it
 * assigns, so slots are counted under the same lock as the events that fill them.
 */
import { and, eq, inArray, isNull, lte, ne, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { getDb } from '../db/index.ts';
import { writeAudit } from '../db/audit.ts';
import { assignments, caseWorkflows, cases, projectMembers, users } from '../db/schema.ts';
import type { Dispute } from './agreement-rules.ts';
import type { PersistedSnapshot } from './engine.ts';
import { EventRefused, AppError } from '../domain/errors.ts';
import { activeVotes, adjudicatorsOfRound, countedReads, currentReads, neededReads, panelSize, readersOfRound, type CaseContext } from './machine.ts';
import { toIso } from './runtime.ts';

export type AssignmentView = { assignmentId: string; caseId: string; role: 'reader' | 'adjudicator'; assignedAt: Date; expiresAt: Date | null; reused: boolean };

async function requireRole(tx: Tx, projectId: string, userId: string, role: 'reader' | 'adjudicator'): Promise<void> {
  const [m] = await tx.select().from(projectMembers).where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId), eq(projectMembers.role, role)));
  if (!m) throw new AppError('forbidden', `you are not a ${role} in this project`);
}

/** Marks open assignments whose expiry has passed as expired (their slots return to the pool). */
export async function releaseExpiredAssignments({ db, at, projectId, caseId }: { db?: Tx; at?: Date | string; projectId?: string; caseId?: string }): Promise<number> {
  const now = new Date(toIso(at));
  const conds = [eq(assignments.status, 'open'), lte(assignments.expiresAt, now)];
  if (caseId) conds.push(eq(assignments.caseId, caseId));
  if (projectId) conds.push(inArray(assignments.caseId, (db ?? getDb()).select({ id: cases.id }).from(cases).where(eq(cases.projectId, projectId))));
  const rows = await (db ?? getDb())
    .update(assignments)
    .set({ status: 'expired', closedAt: now })
    .where(and(...conds))
    .returning({ id: assignments.id });
  return rows.length;
}

/** Why this user cannot read this case now (null: eligible). Pure: judged on the workflow context. */
export function readerIneligibility(state: string, ctx: CaseContext, userId: string): string | null {
  if (state !== 'awaitingReads') return `the case is in ${state}`;
  if (readersOfRound(ctx).has(userId)) return 'you have already read this case';
  if (adjudicatorsOfRound(ctx).has(userId)) return 'you adjudicate this case';
  return null;
}

/**
 * The case manifest's optional `report_author` metadata column names, by email, who signed the
 * case's original report; that reader is not eligible (DESIGN.md "Assignment"). Pure. Matching
 * ignores case and surrounding spaces; a case without the field (or a reader without an email)
 * is unaffected. See docs/decisions/workflow-0003-report-author.md.
 */
export function reportAuthorIneligibility(reportAuthor: unknown, readerEmail: string | null | undefined): string | null {
  if (typeof reportAuthor !== 'string' || !readerEmail) return null;
  const author = reportAuthor.trim().toLowerCase();
  return author !== '' && author === readerEmail.trim().toLowerCase() ? "you signed this case's original report" : null;
}

/** Reader slots still open: reads needed minus counted reads minus other readers' open assignments. */
export function openReaderSlots(ctx: CaseContext, openAssignmentsOfOthers: number): number {
  return neededReads(ctx) - countedReads(ctx).length - openAssignmentsOfOthers;
}

type Candidate = { caseId: string; state: string; ctx: CaseContext; createdAt: Date; reportAuthor: string | null };

/**
 * Returns the reader's open assignment in this project, or creates one on the eligible case with
 * the fewest reads; null when nothing is left for this reader.
 */
export async function nextCaseForReader({ projectId, userId, at, db }: { projectId: string; userId: string; at?: Date | string; db?: Db }): Promise<AssignmentView | null> {
  const now = new Date(toIso(at));
  return (db ?? getDb()).transaction(async (tx) => {
    await requireRole(tx, projectId, userId, 'reader');
    await releaseExpiredAssignments({ db: tx, at: now, projectId });
    const mine = await tx
      .select({ a: assignments, state: caseWorkflows.state })
      .from(assignments)
      .innerJoin(cases, eq(cases.id, assignments.caseId))
      .innerJoin(caseWorkflows, eq(caseWorkflows.caseId, assignments.caseId))
      .where(and(eq(cases.projectId, projectId), eq(assignments.userId, userId), eq(assignments.role, 'reader'), eq(assignments.status, 'open')))
      .orderBy(assignments.assignedAt);
    const live = mine.find((m) => m.state === 'awaitingReads');
    if (live) return { assignmentId: live.a.id, caseId: live.a.caseId, role: 'reader', assignedAt: live.a.assignedAt, expiresAt: live.a.expiresAt, reused: true };

    const [me] = await tx.select({ email: users.email }).from(users).where(eq(users.id, userId));
    const rows = await tx
      .select({
        caseId: caseWorkflows.caseId,
        state: caseWorkflows.state,
        snapshot: caseWorkflows.snapshot,
        createdAt: cases.createdAt,
        reportAuthor: sql<string | null>`${cases.metadata}->>'report_author'`,
      })
      .from(caseWorkflows)
      .innerJoin(cases, eq(cases.id, caseWorkflows.caseId))
      .where(and(eq(cases.projectId, projectId), isNull(cases.withdrawnAt), eq(caseWorkflows.state, 'awaitingReads')));
    const open = await tx
      .select({ caseId: assignments.caseId, userId: assignments.userId })
      .from(assignments)
      .innerJoin(cases, eq(cases.id, assignments.caseId))
      .where(and(eq(cases.projectId, projectId), eq(assignments.role, 'reader'), eq(assignments.status, 'open'), ne(assignments.userId, userId)));
    const openBy = new Map<string, number>();
    for (const o of open) openBy.set(o.caseId, (openBy.get(o.caseId) ?? 0) + 1);
    const candidates: Candidate[] = rows
      .map((r) => ({ caseId: r.caseId, state: r.state, ctx: (r.snapshot as PersistedSnapshot).context, createdAt: r.createdAt, reportAuthor: r.reportAuthor }))
      .filter(
        (c) =>
          readerIneligibility(c.state, c.ctx, userId) === null &&
          reportAuthorIneligibility(c.reportAuthor, me?.email) === null &&
          openReaderSlots(c.ctx, openBy.get(c.caseId) ?? 0) > 0,
      )
      .sort(
        (a, b) =>
          currentReads(a.ctx).length + (openBy.get(a.caseId) ?? 0) - (currentReads(b.ctx).length + (openBy.get(b.caseId) ?? 0)) ||
          a.createdAt.getTime() - b.createdAt.getTime() ||
          a.caseId.localeCompare(b.caseId),
      );
    for (const c of candidates) {
      // Re-check under the case lock; skip cases another transaction is advancing right now.
      const [locked] = await tx.select().from(caseWorkflows).where(eq(caseWorkflows.caseId, c.caseId)).for('update', { skipLocked: true });
      if (!locked) continue;
      const ctx = (locked.snapshot as PersistedSnapshot).context;
      if (readerIneligibility(locked.state, ctx, userId)) continue;
      const others = await tx
        .select({ id: assignments.id })
        .from(assignments)
        .where(and(eq(assignments.caseId, c.caseId), eq(assignments.role, 'reader'), eq(assignments.status, 'open'), ne(assignments.userId, userId)));
      if (openReaderSlots(ctx, others.length) <= 0) continue;
      const expiresAt = new Date(now.getTime() + ctx.truthPolicy.assignmentExpiryHours * 3_600_000);
      const [a] = await tx.insert(assignments).values({ caseId: c.caseId, userId, role: 'reader', assignedAt: now, expiresAt }).returning();
      await writeAudit(tx, { actorId: userId, action: 'assignment.create', projectId, caseId: c.caseId, target: a.id, details: { role: 'reader' } });
      return { assignmentId: a.id, caseId: c.caseId, role: 'reader' as const, assignedAt: a.assignedAt, expiresAt: a.expiresAt, reused: false };
    }
    return null;
  });
}

export type AdjudicationQueueItem = {
  caseId: string;
  /** When the case entered adjudication. */
  since: string;
  /** What is disputed: item (and label), the rule that failed and why. */
  disputes: Dispute[];
  votesNeeded: number;
  openClaims: number;
  claimedByMe: boolean;
};

/**
 * Disputed cases this adjudicator may take, oldest first: never a case they read in this round
 * or already voted on, nor one whose panel is fully claimed by others.
 */
export async function adjudicationQueueForUser({ projectId, userId, db, limit = 100 }: { projectId: string; userId: string; db?: Tx; limit?: number }): Promise<AdjudicationQueueItem[]> {
  const d = db ?? getDb();
  const rows = await d
    .select({ caseId: caseWorkflows.caseId, snapshot: caseWorkflows.snapshot })
    .from(caseWorkflows)
    .innerJoin(cases, eq(cases.id, caseWorkflows.caseId))
    .where(and(eq(cases.projectId, projectId), isNull(cases.withdrawnAt), eq(caseWorkflows.state, 'adjudication')));
  if (!rows.length) return [];
  const claims = await d
    .select({ caseId: assignments.caseId, userId: assignments.userId, expiresAt: assignments.expiresAt })
    .from(assignments)
    .where(and(inArray(assignments.caseId, rows.map((r) => r.caseId)), eq(assignments.role, 'adjudicator'), eq(assignments.status, 'open')));
  const out: AdjudicationQueueItem[] = [];
  for (const r of rows) {
    const ctx = (r.snapshot as PersistedSnapshot).context;
    if (readersOfRound(ctx).has(userId) || activeVotes(ctx).some((v) => v.adjudicatorId === userId)) continue;
    const votesNeeded = panelSize(ctx) - activeVotes(ctx).length;
    const caseClaims = claims.filter((c) => c.caseId === r.caseId);
    const claimedByMe = caseClaims.some((c) => c.userId === userId);
    if (!claimedByMe && caseClaims.length >= votesNeeded) continue;
    out.push({ caseId: r.caseId, since: ctx.since, disputes: ctx.evaluation?.disputes ?? [], votesNeeded, openClaims: caseClaims.length, claimedByMe });
  }
  return out.sort((a, b) => a.since.localeCompare(b.since) || a.caseId.localeCompare(b.caseId)).slice(0, limit);
}

/** Claims a disputed case for this adjudicator (an open adjudicator assignment); returns the existing claim if any. */
export async function claimAdjudication({ caseId, userId, at, db }: { caseId: string; userId: string; at?: Date | string; db?: Db }): Promise<AssignmentView> {
  const now = new Date(toIso(at));
  return (db ?? getDb()).transaction(async (tx) => {
    const [c] = await tx.select({ projectId: cases.projectId, withdrawnAt: cases.withdrawnAt }).from(cases).where(eq(cases.id, caseId));
    if (!c) throw new AppError('not_found', `no case ${caseId}`);
    await requireRole(tx, c.projectId, userId, 'adjudicator');
    const [row] = await tx.select().from(caseWorkflows).where(eq(caseWorkflows.caseId, caseId)).for('update');
    if (!row) throw new AppError('not_found', `case ${caseId} has no workflow`);
    if (c.withdrawnAt) throw new EventRefused(row.state, 'the case has been withdrawn');
    if (row.state !== 'adjudication') throw new EventRefused(row.state, `the case is in ${row.state}, not in adjudication`);
    const ctx = (row.snapshot as PersistedSnapshot).context;
    if (readersOfRound(ctx).has(userId)) throw new EventRefused(row.state, 'you read this case, so you cannot adjudicate it');
    if (activeVotes(ctx).some((v) => v.adjudicatorId === userId)) throw new EventRefused(row.state, 'you have already adjudicated this case');
    await releaseExpiredAssignments({ db: tx, at: now, caseId });
    const open = await tx.select().from(assignments).where(and(eq(assignments.caseId, caseId), eq(assignments.role, 'adjudicator'), eq(assignments.status, 'open')));
    const mine = open.find((a) => a.userId === userId);
    if (mine) return { assignmentId: mine.id, caseId, role: 'adjudicator' as const, assignedAt: mine.assignedAt, expiresAt: mine.expiresAt, reused: true };
    if (open.length >= panelSize(ctx) - activeVotes(ctx).length) throw new EventRefused(row.state, 'the case is already claimed by enough adjudicators');
    const expiresAt = new Date(now.getTime() + ctx.truthPolicy.assignmentExpiryHours * 3_600_000);
    const [a] = await tx.insert(assignments).values({ caseId, userId, role: 'adjudicator', assignedAt: now, expiresAt }).returning();
    await writeAudit(tx, { actorId: userId, action: 'assignment.create', projectId: c.projectId, caseId, target: a.id, details: { role: 'adjudicator' } });
    return { assignmentId: a.id, caseId, role: 'adjudicator' as const, assignedAt: a.assignedAt, expiresAt: a.expiresAt, reused: false };
  });
}
