/**
 * Carries out the machine's effects inside the event's transaction. Rows get the event's time
 * (`at`), not the database clock, so a case replays and reads the same in tests and demos.
 */
import { and, eq, isNull, max } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { writeAudit } from '../db/audit.ts';
import { assignments, reads, reviews, truthLabels } from '../db/schema.ts';
import type { Effect } from './machine.ts';

export type EffectContext = {
  caseId: string;
  projectId: string;
  projectVersion: number;
  seq: number;
  at: Date;
  actorId: string | null;
  clientRequestId: string;
  /** Stored only in the reads row, never in the chain. */
  readExtras: { cannotAssessReason?: string; comment?: string; confidence?: number; timeSpentMs?: number };
};

export type EffectHandler = (tx: Tx, effect: Effect, ctx: EffectContext) => Promise<void>;

export async function applyEffect(tx: Tx, effect: Effect, ctx: EffectContext): Promise<void> {
  switch (effect.type) {
    case 'read.record': {
      await tx.insert(reads).values({
        id: effect.readId,
        caseId: ctx.caseId,
        source: effect.source,
        authorId: effect.authorId,
        values: effect.values,
        cannotAssessReason: effect.values === null ? (ctx.readExtras.cannotAssessReason ?? 'cannot assess') : null,
        confidence: ctx.readExtras.confidence ?? null,
        comment: ctx.readExtras.comment ?? null,
        timeSpentMs: ctx.readExtras.timeSpentMs ?? null,
        clientRequestId: ctx.clientRequestId,
        supersedesId: effect.supersedesId ?? null,
        amendmentReason: effect.amendmentReason ?? null,
        createdAt: ctx.at,
      });
      return;
    }
    case 'truth.write': {
      for (const s of effect.subjects) {
        const subject = and(eq(truthLabels.caseId, ctx.caseId), s.findingId ? eq(truthLabels.findingId, s.findingId) : isNull(truthLabels.findingId));
        const [{ v }] = await tx.select({ v: max(truthLabels.version) }).from(truthLabels).where(subject);
        const prev = v ? (await tx.select({ id: truthLabels.id }).from(truthLabels).where(and(subject, eq(truthLabels.version, v))))[0] : undefined;
        await tx.insert(truthLabels).values({
          caseId: ctx.caseId,
          findingId: s.findingId,
          version: (v ?? 0) + 1,
          state: effect.state,
          value: s.value,
          method: effect.method,
          derivedFromReads: effect.derivedFromReads,
          policyVersion: ctx.projectVersion,
          ruleVersion: effect.ruleVersion,
          deciderId: effect.deciderId,
          rationale: effect.rationale,
          supersedesId: prev?.id ?? null,
          eventSeq: ctx.seq,
          createdAt: ctx.at,
        });
      }
      return;
    }
    case 'review.open':
      await tx.insert(reviews).values({ caseId: ctx.caseId, kind: effect.kind, reason: effect.reason, openedAt: ctx.at });
      return;
    case 'review.close':
      await tx
        .update(reviews)
        .set({ outcome: effect.outcome, outcomeReason: effect.reason, closedBy: effect.closedBy, closedAt: ctx.at })
        .where(and(eq(reviews.caseId, ctx.caseId), eq(reviews.kind, effect.kind), isNull(reviews.closedAt)));
      return;
    case 'assignments.cancel':
      await tx
        .update(assignments)
        .set({ status: 'cancelled', closedAt: ctx.at })
        .where(and(eq(assignments.caseId, ctx.caseId), eq(assignments.role, effect.role), eq(assignments.status, 'open')));
      return;
    case 'note':
      await writeAudit(tx, { actorId: ctx.actorId, action: effect.action, projectId: ctx.projectId, caseId: ctx.caseId, details: { seq: ctx.seq, ...effect.details } });
      return;
  }
}
