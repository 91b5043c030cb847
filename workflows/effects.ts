/**
 * Carries out the machine's effects inside the event's transaction. Rows get the event's time
 * (`at`), not the database clock, so a case replays and reads the same in tests and demos.
 */
import { and, eq, inArray, isNotNull, isNull, max, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import type { SQL } from 'drizzle-orm';
import { writeAudit, type AuditEntry } from '../db/audit.ts';
import { assignments, cases, evidence, reads, reviews, scheduledEvents, truthLabels } from '../db/schema.ts';
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
  /** evidence.record: what stays out of the chain (date, text, how it was extracted). */
  evidence?: { date: string; text: string | null; extraction: Record<string, unknown>; extractionRuleId: string | null };
};

/** Replaces purged free text where a CHECK needs a value. */
export const PURGED = '(purged: case withdrawn)';

export type EffectHandler = (tx: Tx, effect: Effect, ctx: EffectContext) => Promise<void>;

function readRow(effect: Extract<Effect, { type: 'read.record' }>, ctx: EffectContext) {
  return {
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
  };
}

const noteAudit = (effect: Extract<Effect, { type: 'note' }>, ctx: EffectContext): AuditEntry => ({
  actorId: ctx.actorId,
  action: effect.action,
  projectId: ctx.projectId,
  caseId: ctx.caseId,
  details: { seq: ctx.seq, ...effect.details },
});

/**
 * An effect that only adds rows of its own (a read, an audit note), as a write the runtime can
 * send in one statement with the event's other writes; null for effects that read or change
 * existing rows (they run through applyEffect, in order).
 */
export function effectWrite(tx: Tx, effect: Effect, ctx: EffectContext): { sql?: SQL; audit?: AuditEntry } | null {
  if (effect.type === 'read.record') return { sql: tx.insert(reads).values(readRow(effect, ctx)).getSQL() };
  if (effect.type === 'note') return { audit: noteAudit(effect, ctx) };
  return null;
}

export async function applyEffect(tx: Tx, effect: Effect, ctx: EffectContext): Promise<void> {
  switch (effect.type) {
    case 'read.record': {
      await tx.insert(reads).values(readRow(effect, ctx));
      return;
    }
    case 'truth.write': {
      for (const s of effect.subjects) {
        const subject = and(eq(truthLabels.caseId, ctx.caseId), s.findingId ? eq(truthLabels.findingId, s.findingId) : isNull(truthLabels.findingId));
        const [{ v }] = await tx
          .select({ v: max(truthLabels.version) })
          .from(truthLabels)
          .where(subject);
        const prev = v
          ? (
              await tx
                .select({ id: truthLabels.id })
                .from(truthLabels)
                .where(and(subject, eq(truthLabels.version, v)))
            )[0]
          : undefined;
        await tx.insert(truthLabels).values({
          caseId: ctx.caseId,
          findingId: s.findingId,
          version: (v ?? 0) + 1,
          state: effect.state,
          value: s.value,
          method: effect.method,
          derivedFromReads: effect.derivedFromReads,
          derivedFromEvidence: effect.derivedFromEvidence ?? [],
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
      await tx.insert(reviews).values({
        caseId: ctx.caseId,
        kind: effect.kind,
        reason: effect.reason,
        openedAt: ctx.at,
        ...(effect.kind === 'discordance' ? { findingId: effect.findingId, evidenceId: effect.evidenceId } : {}),
      });
      return;
    case 'review.close':
      await tx
        .update(reviews)
        .set({ outcome: effect.outcome, outcomeReason: effect.reason, closedBy: effect.closedBy, closedAt: ctx.at })
        .where(
          and(
            eq(reviews.caseId, ctx.caseId),
            eq(reviews.kind, effect.kind),
            isNull(reviews.closedAt),
            ...(effect.kind === 'discordance' ? [effect.findingId ? eq(reviews.findingId, effect.findingId) : isNull(reviews.findingId)] : []),
          ),
        );
      return;
    case 'evidence.record': {
      const x = ctx.evidence;
      if (!x) throw new Error('evidence.record effect without the evidence row data');
      await tx.insert(evidence).values({
        id: effect.evidenceId,
        caseId: ctx.caseId,
        findingId: effect.findingId,
        kind: effect.kind,
        evidenceDate: x.date,
        resultCode: effect.resultCode,
        text: x.text,
        extraction: x.extraction,
        extractionRuleId: x.extractionRuleId,
        enteredBy: ctx.actorId,
        clientRequestId: ctx.clientRequestId,
        createdAt: ctx.at,
      });
      await writeAudit(tx, {
        actorId: ctx.actorId,
        action: 'evidence.mapped',
        projectId: ctx.projectId,
        caseId: ctx.caseId,
        target: effect.evidenceId,
        details: { seq: ctx.seq, kind: effect.kind, resultCode: effect.resultCode, outcome: effect.outcome, reason: effect.reason },
      });
      return;
    }
    case 'schedule': {
      const [existing] = await tx
        .select({ id: scheduledEvents.id })
        .from(scheduledEvents)
        .where(and(eq(scheduledEvents.caseId, ctx.caseId), eq(scheduledEvents.eventType, effect.eventType), inArray(scheduledEvents.status, ['pending', 'fired'])));
      if (existing) return;
      const [c] = await tx.select({ studyDate: cases.studyDate }).from(cases).where(eq(cases.id, ctx.caseId));
      const dueAt = new Date(Date.parse(`${c.studyDate}T00:00:00Z`) + effect.dayAfterStudy * 86_400_000);
      await tx.insert(scheduledEvents).values({ caseId: ctx.caseId, dueAt, eventType: effect.eventType, payload: {}, createdAt: ctx.at });
      return;
    }
    case 'case.purge': {
      await tx.update(cases).set({ withdrawnAt: ctx.at, externalId: null, studyInstanceUid: null, images: [], metadata: {} }).where(eq(cases.id, ctx.caseId));
      // Free text that may identify the patient; coded values, ids and the chain stay.
      await tx
        .update(evidence)
        .set({ text: sql`case when ${evidence.resultCode} is null then ${PURGED} else null end` })
        .where(and(eq(evidence.caseId, ctx.caseId), isNotNull(evidence.text)));
      await tx
        .update(reads)
        .set({ comment: null })
        .where(and(eq(reads.caseId, ctx.caseId), isNotNull(reads.comment)));
      await tx
        .update(reads)
        .set({ cannotAssessReason: PURGED })
        .where(and(eq(reads.caseId, ctx.caseId), isNotNull(reads.cannotAssessReason)));
      await tx
        .update(scheduledEvents)
        .set({ status: 'cancelled', lastError: 'case withdrawn' })
        .where(and(eq(scheduledEvents.caseId, ctx.caseId), eq(scheduledEvents.status, 'pending')));
      return;
    }
    case 'assignments.cancel':
      await tx
        .update(assignments)
        .set({ status: 'cancelled', closedAt: ctx.at })
        .where(and(eq(assignments.caseId, ctx.caseId), eq(assignments.role, effect.role), eq(assignments.status, 'open')));
      return;
    case 'note':
      await writeAudit(tx, noteAudit(effect, ctx));
      return;
  }
}
