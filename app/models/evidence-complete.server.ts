/**
 * Historical cases (imported after their follow-up window closed) wait for their evidence
 * (case@5 `evidenceHold`, docs/decisions/workflow-0005-historical-cases.md). The lead ends the
 * wait for the whole project from the import page: a job sends `evidence.complete` to every
 * waiting case, one event (its own short transaction) per case, in chunks with progress.
 */
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { writeAudit } from '../../db/audit.ts';
import { caseWorkflows } from '../../db/schema.ts';
import { AppError, EventRefused } from '../../domain/errors.ts';
import { enqueueJob, registerJob, type JobContext } from '../../jobs/runner.ts';
import { sendCaseEvent } from '../../workflows/runtime.ts';

/** The waiting condition, as the partial index case_workflows_evidence_hold_idx states it. */
const waiting = sql`(${caseWorkflows.snapshot} #> '{context,evidenceHold,released}') = 'null'::jsonb`;
const CHUNK = 200;

/** How many of the project's cases wait for historical evidence (answered from the partial index). */
export async function historicalWaiting({ projectId, db }: { projectId: string; db?: Db }): Promise<number> {
  const [r] = await (db ?? getDb())
    .select({ n: sql<number>`count(*)::int` })
    .from(caseWorkflows)
    .where(and(eq(caseWorkflows.projectId, projectId), waiting));
  return r?.n ?? 0;
}

export type EvidenceCompleteParams = { projectId: string; actorId: string; reason: string; ip: string | null };
export type EvidenceCompleteResult = { closed: number; refused: number };

/** Queues the job that marks the evidence of every waiting case of the project complete. */
export async function startEvidenceComplete({ projectId, actorId, reason, ip = null, db }: { projectId: string; actorId: string; reason: string; ip?: string | null; db?: Db }) {
  if (!reason.trim()) throw new AppError('invalid', 'say why the evidence is complete (e.g. "all pathology up to 2024 is loaded")');
  const params: EvidenceCompleteParams = { projectId, actorId, reason: reason.trim(), ip };
  return enqueueJob({ kind: 'evidence.complete', projectId, createdBy: actorId, params, db: db as never });
}

async function runEvidenceComplete(ctx: JobContext): Promise<EvidenceCompleteResult> {
  const p = ctx.job.params as EvidenceCompleteParams;
  const total = await historicalWaiting({ projectId: p.projectId, db: ctx.db });
  const result: EvidenceCompleteResult = { closed: 0, refused: 0 };
  await ctx.progress({ done: 0, total, phase: `marking the evidence of ${total.toLocaleString('en')} cases complete` });
  // Keyset over case ids: a case that refuses (withdrawn meanwhile) is not met again.
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const chunk = await ctx.db
      .select({ caseId: caseWorkflows.caseId })
      .from(caseWorkflows)
      .where(and(eq(caseWorkflows.projectId, p.projectId), waiting, gt(caseWorkflows.caseId, after)))
      .orderBy(asc(caseWorkflows.caseId))
      .limit(CHUNK);
    if (!chunk.length) break;
    for (const { caseId } of chunk) {
      try {
        await sendCaseEvent({
          db: ctx.db,
          caseId,
          actorId: p.actorId,
          ip: p.ip,
          clientRequestId: `evidence-complete:${ctx.job.id}:${caseId}`,
          event: { type: 'evidence.complete', reason: p.reason },
        });
        result.closed++;
      } catch (e) {
        if (!(e instanceof EventRefused)) throw e;
        result.refused++;
      }
    }
    after = chunk[chunk.length - 1].caseId;
    await ctx.progress({ done: result.closed + result.refused, phase: `${result.closed.toLocaleString('en')} of ${total.toLocaleString('en')} cases marked complete` });
  }
  await ctx.db.transaction(async (tx) => {
    await ctx.lockIn(tx);
    await writeAudit(tx, { actorId: p.actorId, action: 'evidence.complete', projectId: p.projectId, ip: p.ip, details: { ...result, reason: p.reason, job: ctx.job.id } });
    await ctx.succeedIn(tx, result);
  });
  return result;
}
registerJob('evidence.complete', runEvidenceComplete);
