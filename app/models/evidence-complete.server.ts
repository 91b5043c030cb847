/**
 * Historical cases (imported after their follow-up window closed) wait for their evidence
 * (case@5 `evidenceHold`, docs/decisions/workflow-0005-historical-cases.md). The lead ends the
 * wait for the whole project from the import page: a job sends `evidence.complete` to every
 * waiting case, one event per case, a chunk of cases per short transaction, with progress.
 */
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { writeAudit } from '../../db/audit.ts';
import { caseWorkflows } from '../../db/schema.ts';
import { AppError, EventRefused } from '../../domain/errors.ts';
import { enqueueJob, JobCancelled, registerJob, type JobContext } from '../../jobs/runner.ts';
import { sendCaseEvent } from '../../workflows/runtime.ts';

/** The waiting condition, as the partial index case_workflows_evidence_hold_idx states it. */
const waiting = sql`(${caseWorkflows.snapshot} #> '{context,evidenceHold,released}') = 'null'::jsonb`;
/** Cases per transaction: short enough that the embedded database's one connection serves requests between them. */
const CHUNK = 50;

/** How many of the project's cases wait for historical evidence (answered from the partial index). */
export async function historicalWaiting({ projectId, db }: { projectId: string; db?: Db }): Promise<number> {
  const [r] = await (db ?? getDb())
    .select({ n: sql<number>`count(*)::int` })
    .from(caseWorkflows)
    .where(and(eq(caseWorkflows.projectId, projectId), waiting));
  return r?.n ?? 0;
}

export type EvidenceCompleteParams = { projectId: string; actorId: string; reason: string; ip: string | null };
export type EvidenceCompleteResult = {
  closed: number;
  refused: number;
  /** Set when the job was cancelled: the cases that still wait (the project is partly released). */
  stillWaiting?: number;
};
/** The checkpoint committed with each chunk: counts so far, the keyset position, the first count. */
type Checkpoint = { closed: number; refused: number; after: string; total: number };

/** Queues the job that marks the evidence of every waiting case of the project complete. */
export async function startEvidenceComplete({ projectId, actorId, reason, ip = null, db }: { projectId: string; actorId: string; reason: string; ip?: string | null; db?: Db }) {
  if (!reason.trim()) throw new AppError('invalid', 'say why the evidence is complete (e.g. "all pathology up to 2024 is loaded")');
  const params: EvidenceCompleteParams = { projectId, actorId, reason: reason.trim(), ip };
  return enqueueJob({ kind: 'evidence.complete', projectId, createdBy: actorId, params, db: db as never });
}

/**
 * Each case's event is final (its hash chain), so a cancel cannot take a release back: the job
 * stops between chunks and says how many cases were released and how many still wait. Each chunk
 * commits with the job's checkpoint, and each case's request id names the job, so a restarted
 * attempt continues where the last committed chunk ended and releases no case twice.
 */
async function runEvidenceComplete(ctx: JobContext): Promise<EvidenceCompleteResult> {
  const p = ctx.job.params as EvidenceCompleteParams;
  const resumed = (ctx.job.result as { checkpoint?: Checkpoint } | null)?.checkpoint;
  const cp: Checkpoint = resumed ?? {
    closed: 0,
    refused: 0,
    after: '00000000-0000-0000-0000-000000000000',
    total: await historicalWaiting({ projectId: p.projectId, db: ctx.db }),
  };
  const n = (x: number) => x.toLocaleString('en');
  const phase = (c: Checkpoint) => `${n(c.closed)} of ${n(c.total)} cases marked complete`;
  await ctx.progress({
    done: cp.closed + cp.refused,
    total: cp.total,
    phase: resumed ? `resuming after a restart: ${phase(cp)}` : `marking the evidence of ${n(cp.total)} cases complete`,
  });
  const audit = (tx: Tx, c: Checkpoint, ended: 'done' | 'cancelled') =>
    writeAudit(tx, {
      actorId: p.actorId,
      action: 'evidence.complete',
      projectId: p.projectId,
      ip: p.ip,
      details: { closed: c.closed, refused: c.refused, ended, reason: p.reason, job: ctx.job.id },
    });
  let state = cp;
  try {
    for (;;) {
      // Keyset over case ids: a case that refuses (withdrawn meanwhile) is not met again.
      const chunk = await ctx.db
        .select({ caseId: caseWorkflows.caseId })
        .from(caseWorkflows)
        .where(and(eq(caseWorkflows.projectId, p.projectId), waiting, gt(caseWorkflows.caseId, state.after)))
        .orderBy(asc(caseWorkflows.caseId))
        .limit(CHUNK);
      if (!chunk.length) break;
      const next: Checkpoint = { ...state };
      await ctx.db.transaction(async (tx) => {
        for (const { caseId } of chunk) {
          try {
            await sendCaseEvent({
              db: tx as unknown as Db,
              caseId,
              actorId: p.actorId,
              ip: p.ip,
              clientRequestId: `evidence-complete:${ctx.job.id}:${caseId}`,
              event: { type: 'evidence.complete', reason: p.reason },
            });
            next.closed++;
          } catch (e) {
            if (!(e instanceof EventRefused)) throw e;
            next.refused++;
          }
        }
        next.after = chunk[chunk.length - 1].caseId;
        await ctx.checkpointIn(tx, { closed: next.closed, refused: next.refused, checkpoint: next });
      });
      state = next;
      await ctx.progress({ done: state.closed + state.refused, phase: phase(state) });
    }
  } catch (e) {
    if (!(e instanceof JobCancelled)) throw e;
    const stillWaiting = await historicalWaiting({ projectId: p.projectId, db: ctx.db });
    await ctx.db.transaction((tx) => audit(tx, state, 'cancelled'));
    throw new JobCancelled({
      phase: `cancelled: ${phase(state)}; ${n(stillWaiting)} still wait for evidence — mark evidence complete again to release them`,
      result: { closed: state.closed, refused: state.refused, stillWaiting } satisfies EvidenceCompleteResult,
    });
  }
  const result: EvidenceCompleteResult = { closed: state.closed, refused: state.refused };
  await ctx.db.transaction(async (tx) => {
    await ctx.lockIn(tx);
    await audit(tx, state, 'done');
    await ctx.succeedIn(tx, result);
  });
  return result;
}
registerJob('evidence.complete', runEvidenceComplete);
