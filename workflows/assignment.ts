/**
 * Pull-based assignment (DESIGN.md "Assignment", "Scale"). Each reader walks the project's cases
 * in their own reproducible order — a seeded permutation of the project (queue_key) entered at a
 * point seeded by project and reader, or the import order for everyone when the policy says
 * `caseOrder: fixed` — and gets the first case with an open read slot they may read. The choice
 * is one indexed query (`… LIMIT 1 FOR UPDATE SKIP LOCKED`) over the queue columns the runtime
 * keeps on case_workflows; candidates' snapshots are never read. A reader holds at most one
 * current case and one reserved next case per project (partial unique indexes); both hold a read
 * slot and expire per policy. Adjudicators pick from a queue of disputed cases, oldest first.
 * See docs/decisions/assignment-0001-sql-queue.md.
 */
import { and, eq, inArray, lte, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { getDb } from '../db/index.ts';
import { writeAudit } from '../db/audit.ts';
import { assignments, auditLog, caseWorkflows, cases, projectMembers, projectVersions, readerQueues, users } from '../db/schema.ts';
import type { Dispute } from './agreement-rules.ts';
import type { PersistedSnapshot } from './engine.ts';
import { AppError, EventRefused } from '../domain/errors.ts';
import { activeVotes, adjudicatorsOfRound, countedReads, neededReads, panelSize, readersOfRound, type CaseContext } from './machine.ts';
import { readerStartKey } from './queue-columns.ts';
import { ensureReaderPlan, firstStudyUnit } from './study-queue.ts';
import { studySchema } from './definition.ts';
import { readerQualification } from './study-qualification.ts';
import { toIso } from './runtime.ts';

export type AssignmentView = {
  assignmentId: string;
  caseId: string;
  role: 'reader' | 'adjudicator';
  assignedAt: Date;
  expiresAt: Date | null;
  reused: boolean;
  /** Readers: the case reserved next for them (its images may be prefetched), if any. */
  next?: { assignmentId: string; caseId: string; expiresAt: Date | null; images: string[] } | null;
};

/** Work for a client that has gone away is rolled back (a next-case request then assigns nothing). */
export class RequestAborted extends AppError {
  constructor() {
    super('conflict', 'the request was cancelled');
  }
}
function checkSignal(signal: AbortSignal | undefined) {
  if (signal?.aborted) throw new RequestAborted();
}

async function requireRole(tx: Tx, projectId: string, userId: string, role: 'reader' | 'adjudicator'): Promise<void> {
  const [m] = await tx
    .select()
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId), eq(projectMembers.role, role)));
  if (!m) throw new AppError('forbidden', `you are not a ${role} in this project`);
}

/** Marks open assignments whose expiry has passed as expired (their slots return to the pool). */
export async function releaseExpiredAssignments({
  db,
  at,
  projectId,
  caseId,
  userId,
}: {
  db?: Tx;
  at?: Date | string;
  projectId?: string;
  caseId?: string;
  userId?: string;
}): Promise<number> {
  const now = new Date(toIso(at));
  const conds = [eq(assignments.status, 'open'), lte(assignments.expiresAt, now)];
  if (caseId) conds.push(eq(assignments.caseId, caseId));
  if (projectId) conds.push(eq(assignments.projectId, projectId));
  if (userId) conds.push(eq(assignments.userId, userId));
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
 * is unaffected. See docs/decisions/workflow-0003-report-author.md. The reader queue applies the
 * same rule in SQL (`reportAuthorClause`).
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

const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const MIN_KEY = -(2n ** 63n);
type Position = { key: bigint; caseId: string };

/** Open reader assignments of others on the case that have not expired. */
const othersClaims = (caseId: SQL, userId: string, now: Date) => sql`(
  select count(*) from ${assignments} a
  where a.case_id = ${caseId} and a.role = 'reader' and a.status = 'open'
    and (a.expires_at is null or a.expires_at > ${now.toISOString()}::timestamptz) and a.user_id <> ${userId})`;

/**
 * The first case strictly after `after` (and up to `upTo`, inclusive) in the project's order
 * this reader may take now, locked (skipping rows other transactions hold).
 */
type Chosen = { caseId: string; key: bigint; expiryHours: number };

async function firstEligible(
  tx: Tx,
  a: { projectId: string; userId: string; email: string; now: Date; after: Position | null; upTo: Position | null; exclude: string[] },
): Promise<Chosen | null> {
  const pos = sql`(cw.queue_key, cw.case_id)`;
  const tuple = (p: Position) => sql`(${p.key.toString()}::bigint, ${p.caseId}::uuid)`;
  // The NOT EXISTS tests are written as per-row scalar subqueries: the planner then probes an
  // index for each candidate it walks, where as anti-joins it materialised whole tables
  // (cases: a sequential scan of the project per request).
  const rows = await tx.execute(sql`
    select cw.case_id, cw.queue_key::text as queue_key, (cw.snapshot->'context'->'truthPolicy'->>'assignmentExpiryHours')::int as hours
    from ${caseWorkflows} cw
    where cw.project_id = ${a.projectId} and cw.open_read_slots > 0
      ${a.after ? sql`and ${pos} > ${tuple(a.after)}` : sql``}
      ${a.upTo ? sql`and ${pos} <= ${tuple(a.upTo)}` : sql``}
      ${
        a.exclude.length
          ? sql`and cw.case_id not in (${sql.join(
              a.exclude.map((id) => sql`${id}::uuid`),
              sql`, `,
            )})`
          : sql``
      }
      and (select true from round_participants rp where rp.user_id = ${a.userId} and rp.case_id = cw.case_id limit 1) is null
      and ${reportAuthorClause(sql`cw.case_id`, a.email)}
      and cw.open_read_slots > ${othersClaims(sql`cw.case_id`, a.userId, a.now)}
    order by cw.queue_key, cw.case_id
    limit 1
    for update of cw skip locked`);
  const r = rowsOf<{ case_id: string; queue_key: string; hours: number }>(rows)[0];
  return r ? { caseId: r.case_id, key: BigInt(r.queue_key), expiryHours: Number(r.hours) } : null;
}

/** SQL form of reportAuthorIneligibility: true when the reader did not sign the case's report. */
function reportAuthorClause(caseId: SQL, email: string): SQL {
  if (!email) return sql`true`;
  return sql`coalesce((select lower(regexp_replace(cs.metadata->>'report_author', '^\\s+|\\s+$', '', 'g')) from ${cases} cs
    where cs.id = ${caseId} and jsonb_typeof(cs.metadata->'report_author') = 'string'), '') <> ${email}`;
}

function rowsOf<T>(r: unknown): T[] {
  return ((r as { rows?: T[] }).rows ?? (r as T[])) as T[];
}

/**
 * Takes the next case for the reader after `from`, wrapping round to the start of the order
 * once. `claim` re-checks the slot count under the row lock in a fresh statement (so a claim
 * committed after the search began is seen) and, in that same statement, records the
 * assignment; null when the case filled up meanwhile (the walk goes on past it).
 */
async function takeCase<R>(
  tx: Tx,
  a: { projectId: string; userId: string; email: string; now: Date; from: Position; exclude: string[]; claim: (c: Chosen) => Promise<R | null> },
): Promise<{ c: Chosen; row: R } | null> {
  for (const wrapped of [false, true]) {
    let after: Position | null = wrapped ? null : a.from;
    const upTo = wrapped ? a.from : null;
    for (;;) {
      const c = await firstEligible(tx, { ...a, after, upTo });
      if (!c) break;
      const row = await a.claim(c);
      if (row) return { c, row };
      after = { key: c.key, caseId: c.caseId };
    }
  }
  return null;
}

/** The study path of takeCase: the reader's plan, the claim re-checked under the row lock. */
async function takeStudyCase(tx: Tx, a: { projectId: string; userId: string; now: Date; exclude: string[]; qualified: boolean }): Promise<Chosen | null> {
  const exclude = [...a.exclude];
  for (;;) {
    const c = await firstStudyUnit(tx, { ...a, exclude, othersClaims: (id) => othersClaims(id, a.userId, a.now) });
    if (!c) return null;
    const rows = rowsOf<{ ok: boolean; hours: number }>(
      await tx.execute(sql`
        with released as (
          update ${assignments} set status = 'expired', closed_at = ${a.now.toISOString()}::timestamptz
          where case_id = ${c.caseId} and status = 'open' and expires_at <= ${a.now.toISOString()}::timestamptz returning 1)
        select (cw.open_read_slots > ${othersClaims(sql`cw.case_id`, a.userId, a.now)}) as ok, (select count(*) from released) as released,
          (cw.snapshot->'context'->'truthPolicy'->>'assignmentExpiryHours')::int as hours
        from ${caseWorkflows} cw where cw.case_id = ${c.caseId}`),
    );
    if (rows[0]?.ok) return { caseId: c.caseId, key: c.key, expiryHours: Number(rows[0].hours) };
    exclude.push(c.caseId);
  }
}

/**
 * Returns the reader's current case in this project — the open one, else the reserved next one
 * promoted, else a new one — and makes sure one more is reserved next; null when nothing is
 * left for this reader. Aborting `signal` (the client went away) rolls everything back.
 */
export async function nextCaseForReader({
  projectId,
  userId,
  at,
  db,
  signal,
}: {
  projectId: string;
  userId: string;
  at?: Date | string;
  db?: Db;
  signal?: AbortSignal;
}): Promise<AssignmentView | null> {
  const now = new Date(toIso(at));
  const nowIso = now.toISOString();
  return (db ?? getDb()).transaction(async (tx) => {
    checkSignal(signal);
    // The reader's queue row is their lock (the upsert takes it): their concurrent requests run
    // one after another. Only a reader of the project gets one; it answers who they are too.
    const [queue] = rowsOf<{ cursor_key: string | null; cursor_case: string | null; email: string; case_order: string | null; study: unknown }>(
      await tx.execute(sql`
        insert into ${readerQueues} (project_id, user_id, updated_at)
        select ${projectId}::uuid, ${userId}, ${nowIso}::timestamptz
        where exists (select 1 from ${projectMembers} m where m.project_id = ${projectId}::uuid and m.user_id = ${userId} and m.role = 'reader')
        on conflict (project_id, user_id) do update set updated_at = excluded.updated_at
        returning cursor_key::text, cursor_case,
          (select u.email from ${users} u where u.id = ${userId}) as email,
          (select pv.truth_policy->>'caseOrder' from ${projectVersions} pv where pv.project_id = ${projectId}::uuid order by pv.version desc limit 1) as case_order,
          (select pv.study from ${projectVersions} pv where pv.project_id = ${projectId}::uuid order by pv.version desc limit 1) as study`),
    );
    if (!queue) throw new AppError('forbidden', 'you are not a reader in this project');

    // Under the lock, in a fresh statement: own expired assignments are released, and the open
    // ones (at most a current and a next) are read with whether they are still readable.
    const mine = rowsOf<{ id: string; case_id: string; slot: 'current' | 'next' | null; assigned_at: string | Date; expires_at: string | Date | null; readable: boolean }>(
      await tx.execute(sql`
        with released as (
          update ${assignments} set status = 'expired', closed_at = ${nowIso}::timestamptz
          where project_id = ${projectId}::uuid and user_id = ${userId} and status = 'open' and expires_at <= ${nowIso}::timestamptz
          returning id)
        select a.id, a.case_id, a.slot, a.assigned_at, a.expires_at,
          (cw.open_read_slots > 0 and not exists (select 1 from round_participants rp where rp.user_id = a.user_id and rp.case_id = a.case_id)) as readable
        from ${assignments} a join ${caseWorkflows} cw on cw.case_id = a.case_id
        where a.project_id = ${projectId}::uuid and a.user_id = ${userId} and a.role = 'reader' and a.status = 'open'
          and a.id not in (select id from released)
        order by a.assigned_at, a.id`),
    );
    const stale = mine.filter((m) => !m.readable).map((m) => m.id);
    if (stale.length) await tx.update(assignments).set({ status: 'cancelled', closedAt: now }).where(inArray(assignments.id, stale));
    const live = mine.filter((m) => m.readable);
    let current = live.find((m) => m.slot !== 'next');
    let next = live.find((m) => m !== current && m.slot === 'next');
    let reused = Boolean(current);
    if (!current && next) {
      await tx.update(assignments).set({ slot: 'current' }).where(eq(assignments.id, next.id));
      current = next;
      next = undefined;
      reused = false;
    }

    const email = queue.email.trim().toLowerCase();
    const start: Position =
      queue.cursor_key !== null && queue.cursor_case
        ? { key: BigInt(queue.cursor_key), caseId: queue.cursor_case }
        : { key: queue.case_order === 'fixed' ? MIN_KEY : readerStartKey(projectId, userId), caseId: NIL_UUID };
    let from = start;
    let cursorSaved = false;
    let nextImages: string[] | null = null;

    // A reader study: the reader walks their own recorded plan (sessions, washout, qualification).
    // The latest version's study design came back with the queue row (as studyDesignOf reads it).
    const design = queue.study === null || queue.study === undefined ? null : studySchema.parse(queue.study);
    let study: { qualified: boolean } | null = null;
    if (design) {
      await ensureReaderPlan(tx, { projectId, userId, design });
      study = { qualified: design.qualification ? (await readerQualification(tx, { projectId, userId, design })).qualified : true };
    }

    // The reader's own open assignments (at most two) are never chosen again. The assignment, its
    // audit row, and (for the last one) the reader's cursor and the next case's images: one statement.
    const assign = async (slot: 'current' | 'next') => {
      const exclude = [current?.case_id, next?.case_id].filter((x): x is string => Boolean(x));
      const last = slot === 'next';
      type Row = { id: string; assigned_at: string | Date; expires_at: string | Date | null; images: string[] | null };
      // The assignment, its audit row, and (for the last one) the reader's cursor and the next
      // case's images: one statement. `recheck`: only if the case still has a slot for this
      // reader, counted in this fresh statement under the row lock (marking the case's expired
      // claims expired on the way: they stopped counting already).
      const insert = async (c: Chosen, recheck: boolean): Promise<Row | null> => {
        const expiresAt = new Date(now.getTime() + c.expiryHours * 3_600_000);
        const details = JSON.stringify({ role: 'reader', slot, orderKey: c.key.toString() });
        const [row] = rowsOf<Row>(
          await tx.execute(sql`
            with ${
              recheck
                ? sql`released as (
                  update ${assignments} set status = 'expired', closed_at = ${nowIso}::timestamptz
                  where case_id = ${c.caseId} and status = 'open' and expires_at <= ${nowIso}::timestamptz returning 1),
                ok as (select 1 from ${caseWorkflows} cw where cw.case_id = ${c.caseId} and cw.open_read_slots > ${othersClaims(sql`cw.case_id`, userId, now)}),`
                : sql`ok as (select 1),`
            }
            a as (
              insert into ${assignments} (case_id, project_id, user_id, role, slot, order_key, assigned_at, expires_at)
              select ${c.caseId}::uuid, ${projectId}::uuid, ${userId}, 'reader', ${slot}, ${c.key.toString()}::bigint, ${nowIso}::timestamptz, ${expiresAt.toISOString()}::timestamptz from ok
              returning id, assigned_at, expires_at),
            au as (
              insert into ${auditLog} (actor_id, action, project_id, case_id, target, details)
              select ${userId}, 'assignment.create', ${projectId}::uuid, ${c.caseId}::uuid, a.id::text, ${details}::jsonb from a)
            ${
              last
                ? sql`, q as (update ${readerQueues} set cursor_key = ${c.key.toString()}::bigint, cursor_case = ${c.caseId}::uuid, updated_at = ${nowIso}::timestamptz
                    where project_id = ${projectId}::uuid and user_id = ${userId} and exists (select 1 from a))`
                : sql``
            }
            select a.id, a.assigned_at, a.expires_at, ${last ? sql`(select images from ${cases} where id = ${c.caseId}::uuid)` : sql`null::jsonb`} as images from a`),
        );
        return row ?? null;
      };
      let taken: { c: Chosen; row: Row } | null;
      if (study) {
        const c = await takeStudyCase(tx, { projectId, userId, now, exclude, qualified: study.qualified });
        const row = c ? await insert(c, false) : null;
        taken = c && row ? { c, row } : null;
      } else taken = await takeCase(tx, { projectId, userId, email, now, from, exclude, claim: (c) => insert(c, true) });
      if (!taken) return null;
      const { c, row } = taken;
      from = { key: c.key, caseId: c.caseId };
      if (last) {
        cursorSaved = true;
        nextImages = row.images ?? [];
      }
      return { id: row.id, case_id: c.caseId, slot, assigned_at: row.assigned_at, expires_at: row.expires_at, readable: true };
    };
    if (!current) current = (await assign('current')) ?? undefined;
    if (!current) {
      checkSignal(signal);
      return null;
    }
    if (!next) next = (await assign('next')) ?? undefined;
    if (!cursorSaved && (from.key !== start.key || from.caseId !== start.caseId || queue.cursor_key === null))
      await tx
        .update(readerQueues)
        .set({ cursorKey: from.key, cursorCase: from.caseId, updatedAt: now })
        .where(and(eq(readerQueues.projectId, projectId), eq(readerQueues.userId, userId)));
    if (next && nextImages === null) {
      const [n] = await tx.select({ images: cases.images }).from(cases).where(eq(cases.id, next.case_id));
      nextImages = n?.images ?? [];
    }
    checkSignal(signal);
    const date = (d: string | Date | null) => (d === null ? null : new Date(d));
    return {
      assignmentId: current.id,
      caseId: current.case_id,
      role: 'reader' as const,
      assignedAt: date(current.assigned_at)!,
      expiresAt: date(current.expires_at),
      reused,
      next: next ? { assignmentId: next.id, caseId: next.case_id, expiresAt: date(next.expires_at), images: nextImages ?? [] } : null,
    };
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
 * Disputed cases this adjudicator may take, oldest first, one page (`limit` rows after `after`):
 * never a case they read in this round or already voted on in the current batch, nor one whose
 * panel is fully claimed by others. Only the page's rows are read.
 */
export async function adjudicationQueueForUser({
  projectId,
  userId,
  db,
  limit = 100,
  after,
  caseId,
}: {
  projectId: string;
  userId: string;
  db?: Tx;
  limit?: number;
  /** Keyset pagination: the last item of the previous page. */
  after?: { since: string; caseId: string };
  /** Only this case (is it in this adjudicator's queue?). */
  caseId?: string;
}): Promise<AdjudicationQueueItem[]> {
  // Expired claims still count here; claiming a case releases them (claimAdjudication).
  const claims = (extra: SQL) => sql`(
    select count(*)::int from ${assignments} a
    where a.case_id = cw.case_id and a.role = 'adjudicator' and a.status = 'open' ${extra})`;
  const rows = rowsOf<{ case_id: string; since: string; votes_needed: number; open_claims: number; mine: number; disputes: Dispute[] | null }>(
    await (db ?? getDb()).execute(sql`
      select q.*, cw2.snapshot->'context'->'evaluation'->'disputes' as disputes
      from (
        select cw.case_id, cw.state_since as since, cw.open_vote_slots as votes_needed,
          ${claims(sql``)} as open_claims, ${claims(sql`and a.user_id = ${userId}`)} as mine
        from ${caseWorkflows} cw
        where cw.project_id = ${projectId} and cw.open_vote_slots > 0
          ${after ? sql`and (cw.state_since, cw.case_id) > (${after.since}, ${after.caseId}::uuid)` : sql``}
          ${caseId ? sql`and cw.case_id = ${caseId}::uuid` : sql``}
          and not exists (select 1 from round_participants rp where rp.user_id = ${userId} and rp.case_id = cw.case_id
                          and (rp.role = 'reader' or rp.vote_batch = cw.vote_batch))
          and (${claims(sql`and a.user_id = ${userId}`)} > 0 or ${claims(sql``)} < cw.open_vote_slots)
          and not exists (select 1 from study_units su where su.case_id = cw.case_id and su.kind <> 'study')
        order by cw.state_since, cw.case_id
        limit ${Math.max(1, Math.min(limit, 500))}
      ) q join ${caseWorkflows} cw2 on cw2.case_id = q.case_id
      order by q.since, q.case_id`),
  );
  return rows.map((r) => ({
    caseId: r.case_id,
    since: r.since,
    disputes: r.disputes ?? [],
    votesNeeded: Number(r.votes_needed),
    openClaims: Number(r.open_claims),
    claimedByMe: Number(r.mine) > 0,
  }));
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
    const open = await tx
      .select()
      .from(assignments)
      .where(and(eq(assignments.caseId, caseId), eq(assignments.role, 'adjudicator'), eq(assignments.status, 'open')));
    const mine = open.find((a) => a.userId === userId);
    if (mine) return { assignmentId: mine.id, caseId, role: 'adjudicator' as const, assignedAt: mine.assignedAt, expiresAt: mine.expiresAt, reused: true };
    if (open.length >= panelSize(ctx) - activeVotes(ctx).length) throw new EventRefused(row.state, 'the case is already claimed by enough adjudicators');
    const expiresAt = new Date(now.getTime() + ctx.truthPolicy.assignmentExpiryHours * 3_600_000);
    const [a] = await tx.insert(assignments).values({ caseId, projectId: c.projectId, userId, role: 'adjudicator', assignedAt: now, expiresAt }).returning();
    await writeAudit(tx, { actorId: userId, action: 'assignment.create', projectId: c.projectId, caseId, target: a.id, details: { role: 'adjudicator' } });
    return { assignmentId: a.id, caseId, role: 'adjudicator' as const, assignedAt: a.assignedAt, expiresAt: a.expiresAt, reused: false };
  });
}
