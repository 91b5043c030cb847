/**
 * Background jobs in the database (docs/decisions/jobs-0001-database-queue.md). A queued row is
 * taken `FOR UPDATE SKIP LOCKED` (as the scheduled_events poller does), so several server
 * instances share the queue and each job runs once; PGlite and PostgreSQL alike.
 *
 * A handler works in chunks, each in its own short transaction, and calls `ctx.progress()`
 * between chunks: that records progress and the heartbeat, throws JobCancelled when the lead
 * asked to cancel, and yields to the event loop so the server keeps answering (on the embedded
 * database one connection serves everything). A handler whose output must appear all at once
 * stages it and publishes it in one final transaction that also marks the job succeeded.
 *
 * After a stop, a running job's heartbeat goes stale: it is cleaned (staging dropped) and queued
 * again up to MAX_ATTEMPTS, then failed with the reason.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, lt, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { getDb } from '../db/index.ts';
import { jobs, jobStaging } from '../db/schema.ts';

export type JobRow = typeof jobs.$inferSelect;
export type JobStatus = JobRow['status'];
export const FINISHED: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];
export const MAX_ATTEMPTS = 3;
/** A running job not heard from for this long was orphaned by a stopped server. */
export const STALE_MS = 120_000;

// The Remix server bundle and server.ts each load their own copy of this module (see HANDLERS), and
// the bundle's handlers are the ones registered last: `instanceof` must hold across both copies, so
// these errors carry a global brand rather than relying on class identity.
const CANCELLED = Symbol.for('truthline.JobCancelled');
const FAILED = Symbol.for('truthline.JobFailed');
const branded = (x: unknown, brand: symbol) => typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[brand] === true;

export class JobCancelled extends Error {
  static override [Symbol.hasInstance](x: unknown): boolean {
    return branded(x, CANCELLED);
  }
  /** A job that writes as it goes says what it wrote (phase) and leaves its counts (result). */
  constructor(readonly outcome: { phase?: string; result?: unknown } = {}) {
    super('cancelled by request');
    (this as unknown as Record<symbol, unknown>)[CANCELLED] = true;
  }
}
/** A failure whose message is meant for the person who started the job (no retry). */
export class JobFailed extends Error {
  constructor(
    message: string,
    readonly result?: unknown,
    cause?: unknown,
  ) {
    super(message, { cause });
    (this as unknown as Record<symbol, unknown>)[FAILED] = true;
  }
  static override [Symbol.hasInstance](x: unknown): boolean {
    return branded(x, FAILED);
  }
}

export type JobContext = {
  db: Db;
  job: JobRow;
  /** Records progress, checks for cancellation and yields to other work. */
  progress(p: { done: number; total?: number | null; phase?: string }): Promise<void>;
  /**
   * Opens the publish step: locks the job row in the caller's transaction (so no instance takes
   * it for orphaned meanwhile) and throws JobCancelled when a cancel was asked for.
   */
  lockIn(tx: Tx): Promise<void>;
  /** Marks the job succeeded inside the caller's transaction (the publish step). */
  succeedIn(tx: Tx, result: unknown): Promise<void>;
  /**
   * Stores where a job that writes as it goes has got to, in the caller's transaction (the one
   * that wrote the chunk), as the job's result; a restarted attempt finds it in `job.result`.
   */
  checkpointIn(tx: Tx, state: unknown): Promise<void>;
};
export type JobHandler = (ctx: JobContext) => Promise<unknown>;

// On globalThis: the Remix server bundle and server.ts each load their own copy of this module.
const HANDLERS = Symbol.for('truthline.jobHandlers');
const handlers: Map<string, JobHandler> = ((globalThis as Record<symbol, unknown>)[HANDLERS] ??= new Map()) as Map<string, JobHandler>;
export function registerJob(kind: string, handler: JobHandler): void {
  handlers.set(kind, handler);
}

export async function enqueueJob({
  kind,
  projectId = null,
  createdBy = null,
  params = {},
  db,
}: {
  kind: string;
  projectId?: string | null;
  createdBy?: string | null;
  params?: Record<string, unknown>;
  db?: Tx;
}): Promise<JobRow> {
  const [row] = await (db ?? getDb()).insert(jobs).values({ kind, projectId, createdBy, params, phase: 'waiting to start' }).returning();
  return row;
}

/** Asks a job to stop; a queued job is cancelled at once, a running one at its next chunk. */
export async function requestCancel({ jobId, db }: { jobId: string; db?: Db }): Promise<JobRow | null> {
  const d = db ?? getDb();
  return d.transaction(async (tx) => {
    const [row] = await tx.select().from(jobs).where(eq(jobs.id, jobId)).for('update');
    if (!row || FINISHED.includes(row.status)) return row ?? null;
    if (row.status === 'queued') {
      const [r] = await tx
        .update(jobs)
        .set({ status: 'cancelled', cancelRequested: true, finishedAt: new Date(), phase: 'cancelled before it started' })
        .where(eq(jobs.id, jobId))
        .returning();
      return r;
    }
    const [r] = await tx.update(jobs).set({ cancelRequested: true }).where(eq(jobs.id, jobId)).returning();
    return r;
  });
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function finish(db: Db, id: string, set: Partial<typeof jobs.$inferInsert>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(jobStaging).where(eq(jobStaging.jobId, id));
    await tx
      .update(jobs)
      .set({ ...set, finishedAt: new Date(), heartbeatAt: new Date() })
      .where(and(eq(jobs.id, id), eq(jobs.status, 'running')));
  });
}

/** Takes one queued job (if any) and runs it to the end. Returns the job's final row, or null. */
export async function runNextJob({ db, worker = `w-${process.pid}` }: { db?: Db; worker?: string } = {}): Promise<JobRow | null> {
  const d = db ?? getDb();
  const job = await claim(d, worker, null);
  return job ? (await execute(d, job)).job : null;
}

/**
 * Runs one queued job now, in this call (the CLI and the HTTP API, which answer when the work is
 * done). Returns the final row and the handler's error, if any, as thrown.
 */
export async function runJobNow({ jobId, db, worker = `now-${process.pid}` }: { jobId: string; db?: Db; worker?: string }): Promise<{ job: JobRow; error: unknown }> {
  const d = db ?? getDb();
  const job = await claim(d, worker, jobId);
  if (!job) throw new Error(`job ${jobId} is not queued`);
  return execute(d, job);
}

async function claim(d: Db, worker: string, jobId: string | null): Promise<JobRow | null> {
  return d.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(jobs)
      .where(jobId ? and(eq(jobs.status, 'queued'), eq(jobs.id, jobId)) : eq(jobs.status, 'queued'))
      .orderBy(asc(jobs.createdAt), asc(jobs.id))
      .limit(1)
      .for('update', { skipLocked: true });
    if (!row) return null;
    const [r] = await tx
      .update(jobs)
      .set({ status: 'running', worker, attempts: row.attempts + 1, startedAt: row.startedAt ?? new Date(), heartbeatAt: new Date(), phase: 'starting' })
      .where(eq(jobs.id, row.id))
      .returning();
    return r;
  });
}

async function execute(d: Db, job: JobRow): Promise<{ job: JobRow; error: unknown }> {
  const reload = async () => (await d.select().from(jobs).where(eq(jobs.id, job.id)))[0];
  const handler = handlers.get(job.kind);
  if (!handler) {
    const error = new Error(`no handler for job kind "${job.kind}"`);
    await finish(d, job.id, { status: 'failed', error: error.message, phase: 'failed' });
    return { job: await reload(), error };
  }
  let succeededInside = false;
  const ctx: JobContext = {
    db: d,
    job,
    async progress(p) {
      const [row] = await d
        .update(jobs)
        .set({ done: p.done, ...(p.total !== undefined ? { total: p.total } : {}), ...(p.phase ? { phase: p.phase } : {}), heartbeatAt: new Date() })
        .where(eq(jobs.id, job.id))
        .returning({ cancel: jobs.cancelRequested });
      if (row?.cancel) throw new JobCancelled();
      await yieldToLoop();
    },
    async lockIn(tx) {
      const [row] = await tx.select({ cancel: jobs.cancelRequested }).from(jobs).where(eq(jobs.id, job.id)).for('update');
      if (row?.cancel) throw new JobCancelled();
    },
    async succeedIn(tx, result) {
      const [row] = await tx.select({ cancel: jobs.cancelRequested }).from(jobs).where(eq(jobs.id, job.id)).for('update');
      if (row?.cancel) throw new JobCancelled();
      await tx.delete(jobStaging).where(eq(jobStaging.jobId, job.id));
      await tx
        .update(jobs)
        .set({ status: 'succeeded', result: (result ?? null) as never, finishedAt: new Date(), heartbeatAt: new Date(), phase: 'done' })
        .where(eq(jobs.id, job.id));
      succeededInside = true;
    },
    async checkpointIn(tx, state) {
      await tx
        .update(jobs)
        .set({ result: (state ?? null) as never, heartbeatAt: new Date() })
        .where(eq(jobs.id, job.id));
    },
  };
  let error: unknown = null;
  try {
    const result = await handler(ctx);
    if (!succeededInside) await finish(d, job.id, { status: 'succeeded', result: (result ?? null) as never, phase: 'done' });
  } catch (e) {
    error = e;
    if (e instanceof JobCancelled) {
      const { phase, result } = (e as JobCancelled).outcome ?? {};
      await finish(d, job.id, { status: 'cancelled', phase: phase ?? 'cancelled; nothing was written', ...(result !== undefined ? { result: result as never } : {}) });
    } else if (e instanceof JobFailed) await finish(d, job.id, { status: 'failed', error: e.message, result: (e.result ?? null) as never, phase: 'failed' });
    else await finish(d, job.id, { status: 'failed', error: `internal error: ${e instanceof Error ? e.message : String(e)}`.slice(0, 2000), phase: 'failed' });
  }
  return { job: await reload(), error };
}

/**
 * Jobs orphaned by a stopped server: queued again (their staging dropped, they restart from
 * their stored input) or, after MAX_ATTEMPTS, failed with the reason. `olderThan` = 0 at the
 * start of the embedded server, which is the only process using its database.
 */
export async function recoverOrphanedJobs({ db, staleMs = STALE_MS }: { db?: Db; staleMs?: number } = {}): Promise<{ requeued: number; failed: number }> {
  const d = db ?? getDb();
  const cutoff = new Date(Date.now() - staleMs);
  return d.transaction(async (tx) => {
    const stale = await tx
      .select()
      .from(jobs)
      .where(and(eq(jobs.status, 'running'), lt(jobs.heartbeatAt, cutoff)))
      .for('update', { skipLocked: true });
    let requeued = 0;
    let failed = 0;
    for (const j of stale) {
      await tx.delete(jobStaging).where(eq(jobStaging.jobId, j.id));
      if (j.cancelRequested) {
        await tx.update(jobs).set({ status: 'cancelled', finishedAt: new Date(), phase: 'cancelled; nothing was written' }).where(eq(jobs.id, j.id));
      } else if (j.attempts >= MAX_ATTEMPTS) {
        await tx
          .update(jobs)
          .set({
            status: 'failed',
            finishedAt: new Date(),
            phase: 'failed',
            error: `the server stopped while this job ran, ${j.attempts} times; nothing of it was written — start it again`,
          })
          .where(eq(jobs.id, j.id));
        failed++;
      } else {
        await tx.update(jobs).set({ status: 'queued', done: 0, phase: 'restarting after a server stop', worker: null }).where(eq(jobs.id, j.id));
        requeued++;
      }
    }
    return { requeued, failed };
  });
}

export type JobRunner = { stop(): Promise<void>; kick(): void; worker: string };

const RUNNER = Symbol.for('truthline.jobRunner');
/** Polls at once after a job was queued (when this process runs a job runner). */
export function kickJobs(): void {
  ((globalThis as Record<symbol, unknown>)[RUNNER] as JobRunner | undefined)?.kick();
}

/**
 * Polls for queued jobs every `intervalMs` and runs them one at a time per instance (the machine
 * has few cores; a second instance takes the next job). `kick()` polls at once (after enqueue).
 */
export function startJobRunner({
  db,
  intervalMs = 2_000,
  staleMs = STALE_MS,
  onError = (e) => process.stderr.write(`truthline jobs: ${e instanceof Error ? e.message : String(e)}\n`),
}: {
  db?: Db;
  intervalMs?: number;
  staleMs?: number;
  onError?: (e: unknown) => void;
} = {}): JobRunner {
  const worker = `w-${process.pid}-${randomUUID().slice(0, 8)}`;
  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let first = true;
  const tick = () => {
    if (stopped || running) return;
    running = (async () => {
      try {
        await recoverOrphanedJobs({ db, staleMs: first ? Math.min(staleMs, staleMsAtStart(db)) : staleMs });
        first = false;
        while (!stopped && (await runNextJob({ db, worker }))) {
          /* drain the queue */
        }
      } catch (e) {
        onError(e);
      } finally {
        running = null;
        if (!stopped) schedule();
      }
    })();
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(tick, intervalMs);
    timer.unref?.();
  };
  tick();
  const runner: JobRunner = {
    worker,
    kick() {
      if (!running) {
        if (timer) clearTimeout(timer);
        setImmediate(tick);
      }
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (running) await running;
      (globalThis as Record<symbol, unknown>)[RUNNER] = undefined;
    },
  };
  (globalThis as Record<symbol, unknown>)[RUNNER] = runner;
  return runner;
}

let startStale: number | undefined;
/** The embedded database belongs to this process alone: anything "running" at start is orphaned. */
export function setStaleAtStart(ms: number): void {
  startStale = ms;
}
function staleMsAtStart(_db: Db | undefined): number {
  return startStale ?? STALE_MS;
}

/** Jobs of a project, newest first (bounded). */
export async function listJobs({ projectId, limit = 50, db }: { projectId: string; limit?: number; db?: Db }): Promise<JobRow[]> {
  return (db ?? getDb()).select().from(jobs).where(eq(jobs.projectId, projectId)).orderBy(sql`${jobs.createdAt} desc`).limit(limit);
}

export async function getJob({ jobId, projectId, db }: { jobId: string; projectId?: string; db?: Db }): Promise<JobRow | null> {
  const [row] = await (db ?? getDb())
    .select()
    .from(jobs)
    .where(projectId ? and(eq(jobs.id, jobId), eq(jobs.projectId, projectId)) : eq(jobs.id, jobId));
  return row ?? null;
}
