/** Pure helpers of the case machine (also used by the runtime, assignment and verify) and `whyNot`. */
import { applyResolution, disputedItems, mode, type Evaluation } from '../../agreement-rules.ts';
import { formItems, itemKey, markItems, type ReaderForm, type ReadValues } from '../../definition.ts';
import { evaluateReadsWithMarks, lesionsOf } from '../../marks-agreement.ts';
import {
  DISCORDANCE_OUTCOMES,
  EVIDENCE_RULES_VERSION,
  expectationOf,
  outcomeValue,
  windowCloseDay,
  type EvidenceEntry,
  type SubjectChange,
  type SubjectTruth,
} from '../../evidence-mapping.ts';
import type { CaseContext, CaseEvent, CaseInput, Effect, ReadEntry, TruthSubject, Vote } from './types.ts';

/** The reads of this round that count: neither amended away nor late amendments. */
export function currentReads(ctx: CaseContext): ReadEntry[] {
  return ctx.reads.filter((r) => r.round === ctx.round && !r.supersededBy && !r.late);
}
/** Amendments of this round made after its reads were evaluated (shown, never counted). */
export function lateAmendments(ctx: CaseContext): ReadEntry[] {
  return ctx.reads.filter((r) => r.round === ctx.round && r.late === true);
}
/** A reader's newest read of this round (their amendments included), or null. */
export function newestReadOf(ctx: CaseContext, readerId: string): ReadEntry | null {
  const mine = ctx.reads.filter((r) => r.round === ctx.round && r.readerId === readerId);
  return mine.find((r) => !mine.some((x) => x.supersedes === r.id)) ?? null;
}
/**
 * Whether an amendment now still counts: only while the case awaits the reads of a round that
 * has not been evaluated with a dispute (no extra reader added). Afterwards it is late.
 */
export function amendmentCounts(state: string, ctx: CaseContext): boolean {
  return state === 'awaitingReads' && ctx.extraReads === 0;
}
export function countedReads(ctx: CaseContext): ReadEntry[] {
  return currentReads(ctx).filter((r) => r.values !== null);
}
export function neededReads(ctx: CaseContext): number {
  return ctx.truthPolicy.readersPerCase + ctx.extraReads;
}
export function pendingCannotAssess(ctx: CaseContext): number {
  return currentReads(ctx).filter((r) => r.values === null).length - ctx.cannotAssessAcknowledged;
}
export function panelSize(ctx: CaseContext): number {
  return ctx.truthPolicy.adjudication.mode === 'panel' ? ctx.truthPolicy.adjudication.panelSize : 1;
}
export function activeVotes(ctx: CaseContext): Vote[] {
  return ctx.votes.filter((v) => v.round === ctx.round && v.batch === ctx.voteBatch);
}
/** Everyone who read this case in this round (including cannot-assess and amended reads). */
export function readersOfRound(ctx: CaseContext): Set<string> {
  return new Set(ctx.reads.filter((r) => r.round === ctx.round).map((r) => r.readerId));
}
export function adjudicatorsOfRound(ctx: CaseContext): Set<string> {
  return new Set(ctx.votes.filter((v) => v.round === ctx.round).map((v) => v.adjudicatorId));
}

export function evaluate(ctx: CaseContext): Evaluation {
  return evaluateReadsWithMarks(
    ctx.readerForm,
    ctx.truthPolicy,
    countedReads(ctx).map((r) => ({ id: r.id, values: r.values! })),
    { majorityFallback: ctx.extraReads > 0 },
  );
}

/** The truth subjects of a decision: one per case, or one per finding (plus the case for case-level fields). */
export function truthSubjects(ctx: CaseInput, values: ReadValues | null): TruthSubject[] {
  if (ctx.referenceStandard.level === 'case') return [{ findingId: null, findingKey: null, value: values }];
  const out: TruthSubject[] = [];
  const caseFields = ctx.readerForm.fields.filter((f) => f.scope === 'case');
  const caseMarks = (ctx.readerForm.marks ?? []).filter((m) => m.scope === 'case');
  if (caseFields.length || caseMarks.length) {
    const v: ReadValues = {};
    for (const f of [...caseFields, ...caseMarks]) if (values && values[f.key] !== undefined) v[f.key] = values[f.key];
    out.push({ findingId: null, findingKey: null, value: values ? v : null });
  }
  for (const finding of ctx.readerForm.findings) {
    const row = ctx.findings.find((f) => f.key === finding.key);
    const v: ReadValues = {};
    for (const f of [...ctx.readerForm.fields, ...(ctx.readerForm.marks ?? [])].filter((x) => x.scope === 'finding')) {
      const a = values?.[itemKey(f.key, finding.key)];
      if (a !== undefined) v[f.key] = a;
    }
    out.push({ findingId: row?.id ?? null, findingKey: finding.key, value: values ? v : null });
  }
  return out;
}

export type VoteTally = { status: 'incomplete' } | { status: 'deadlock'; items: string[] } | { status: 'decided'; values: ReadValues };

/** A panel decides each disputed item by strict majority of its votes; a single adjudicator is a panel of one. */
export function tallyVotes(ctx: CaseContext, votes: Vote[]): VoteTally {
  if (votes.length < panelSize(ctx) || !ctx.evaluation) return { status: 'incomplete' };
  const finals = votes.map((v) => applyResolution(ctx.readerForm, ctx.evaluation!, v.values));
  const resolution: ReadValues = {};
  const deadlocked: string[] = [];
  for (const item of disputedItems(ctx.evaluation)) {
    const m = mode(finals.map((f) => (f[item] === undefined ? null : f[item])));
    if (m.count * 2 > votes.length) {
      if (m.value !== null) resolution[item] = m.value;
    } else deadlocked.push(item);
  }
  if (deadlocked.length) return { status: 'deadlock', items: deadlocked };
  return { status: 'decided', values: applyResolution(ctx.readerForm, ctx.evaluation, resolution) };
}

export function voteFromEvent(ctx: CaseContext, ev: Extract<CaseEvent, { type: 'adjudication.decide' }>): Vote {
  const disputed = ctx.evaluation ? disputedItems(ctx.evaluation) : [];
  let values: ReadValues = {};
  if (ev.pickReadId) {
    const picked = ctx.reads.find((r) => r.id === ev.pickReadId)?.values ?? {};
    const marks = new Set(markItems(ctx.readerForm).map((m) => m.key));
    for (const item of disputed) {
      if (picked[item] === undefined) continue;
      // A picked read's marks become lesions kept from that read (provenance of the truth).
      values[item] = marks.has(item) ? lesionsOf(picked[item]).map((l) => ({ ...l, source: { marks: [`${ev.pickReadId}:${l.id}`], action: 'keep' as const } })) : picked[item];
    }
  } else values = { ...(ev.values ?? {}) };
  return {
    readId: ev.readId,
    adjudicatorId: ev.actorId ?? '',
    round: ctx.round,
    batch: ctx.voteBatch,
    values,
    ...(ev.pickReadId ? { pickedReadId: ev.pickReadId } : {}),
    rationale: ev.rationale,
    at: ev.at,
  };
}

export const blank = (s: string | undefined | null) => !s || !s.trim();

/**
 * Why the case would refuse this event in its current context, or null when it accepts it.
 * Machine guards use the same function, so the runtime's refusal reasons and the machine agree.
 */
export function whyNot(ctx: CaseContext, ev: CaseEvent): string | null {
  const hasId = (id: string) => ctx.reads.some((r) => r.id === id) || ctx.votes.some((v) => v.readId === id);
  switch (ev.type) {
    case 'read.submit': {
      if (!ev.actorId) return 'a read needs a reader';
      if (hasId(ev.readId)) return 'this read is already recorded';
      if (readersOfRound(ctx).has(ev.actorId)) return 'you have already read this case';
      if (adjudicatorsOfRound(ctx).has(ev.actorId)) return 'you adjudicate this case, so you cannot read it';
      return null;
    }
    case 'read.amend': {
      const old = ctx.reads.find((r) => r.id === ev.supersedesReadId);
      if (!old) return 'the read to amend does not exist on this case';
      if (old.readerId !== ev.actorId) return 'only the reader who wrote a read can amend it';
      if (old.round !== ctx.round) return 'that read belongs to an earlier round';
      if (old.supersededBy || ctx.reads.some((r) => r.supersedes === old.id)) return 'that read has already been amended; amend the newest one';
      if (blank(ev.reason)) return 'an amendment needs a reason';
      if (hasId(ev.readId)) return 'this read is already recorded';
      return null;
    }
    case 'adjudication.decide': {
      if (!ev.actorId) return 'an adjudication needs an adjudicator';
      if (readersOfRound(ctx).has(ev.actorId)) return 'you read this case, so you cannot adjudicate it';
      if (activeVotes(ctx).some((v) => v.adjudicatorId === ev.actorId)) return 'you have already adjudicated this case';
      if (blank(ev.rationale)) return 'an adjudication needs a rationale';
      if (hasId(ev.readId)) return 'this adjudication is already recorded';
      if ((ev.pickReadId === undefined) === (ev.values === undefined)) return 'pick one read or enter a value (not both)';
      const disputed = ctx.evaluation ? disputedItems(ctx.evaluation) : [];
      if (ev.pickReadId !== undefined) {
        if (!countedReads(ctx).some((r) => r.id === ev.pickReadId)) return "the picked read is not one of this case's current reads";
      } else {
        const missing = disputed.filter((item) => ev.values![item] === undefined);
        if (missing.length) return `answer every disputed item: ${missing.join(', ')} missing`;
        const extra = Object.keys(ev.values!).filter((k) => !disputed.includes(k));
        if (extra.length) return `only the disputed items are adjudicated: ${extra.join(', ')} are not in dispute`;
      }
      return null;
    }
    case 'adjudication.requestRead': {
      if (ev.actorId && readersOfRound(ctx).has(ev.actorId)) return 'you read this case, so you cannot adjudicate it';
      if (blank(ev.rationale)) return 'asking for one more read needs a rationale';
      return null;
    }
    case 'exclusion.resolve':
      return blank(ev.reason) ? 'a reason is required' : null;
    case 'case.reopen':
      return blank(ev.reason) ? 'reopening a case needs a reason' : null;
    case 'evidence.record': {
      if (!ev.actorId) return 'evidence needs a lead who enters or imports it';
      if (ctx.evidence.some((e) => e.id === ev.evidenceId)) return 'this evidence is already recorded';
      if (ev.findingId !== null && !ctx.findings.some((f) => f.id === ev.findingId)) return "the finding is not one of this case's findings";
      if (!Number.isInteger(ev.dayOffset)) return 'the evidence date is not a whole number of days from the study';
      return null;
    }
    case 'window.close': {
      if (ev.actorId) return 'only the scheduler closes a follow-up window';
      if (!ctx.truthPolicy.followUpWindow) return 'the truth policy has no follow-up window';
      if (ctx.windowClosedAt) return 'the follow-up window has already closed';
      if (ctx.evidenceHold) return 'the follow-up window had closed before the case was imported: it closes when the lead marks the evidence complete';
      return null;
    }
    case 'evidence.complete': {
      if (!ev.actorId) return 'a lead marks the evidence complete';
      if (blank(ev.reason)) return 'marking the evidence complete needs a reason';
      if (!ctx.evidenceHold) return 'this case is not waiting for historical evidence';
      if (ctx.evidenceHold.released) return 'the evidence of this case is already marked complete';
      return null;
    }
    case 'evidence.grace': {
      if (ev.actorId) return 'only the scheduler ends a grace period';
      if (!ctx.evidenceHold) return 'this case is not waiting for historical evidence';
      if (ctx.evidenceHold.released) return 'the evidence of this case is already marked complete';
      return null;
    }
    case 'discordance.close': {
      if (!(DISCORDANCE_OUTCOMES as readonly string[]).includes(ev.outcome)) return `the outcome must be one of ${DISCORDANCE_OUTCOMES.join(', ')}`;
      if (blank(ev.reason)) return 'closing a discordance needs a reason';
      if (ev.value !== undefined && ev.outcome !== 'truth_changed') return 'a truth value is given only with the outcome truth_changed';
      const s = ctx.subjectTruth.find((x) => x.findingId === ev.findingId);
      if (!s?.open) return ev.findingId ? 'there is no open discordance on this finding' : 'there is no open discordance on this case';
      return null;
    }
    case 'case.withdraw':
      return blank(ev.reason) ? 'withdrawing a case needs a reason' : null;
  }
}

/** New evidence subjects at a decision: one per case, or one per finding (evidence reference standards only). */
export function evidenceSubjects(ctx: CaseContext, values: ReadValues | null): SubjectTruth[] {
  if (ctx.referenceStandard.source !== 'evidence') return [];
  return truthSubjects(ctx, values)
    .filter((s) => (ctx.referenceStandard.level === 'case' ? s.findingId === null && s.findingKey === null : s.findingKey !== null))
    .map((s) => ({
      findingId: s.findingId,
      findingKey: s.findingKey,
      state: 'pending' as const,
      value: null,
      evidenceIds: [],
      supportRank: null,
      expected: expectationOf(ctx.mapping, values, s.findingKey),
      open: null,
      reviewed: false,
    }));
}

/** The truth.write effect for one evidence subject. */
export function subjectWrite(ctx: CaseContext, s: SubjectTruth, method: string, deciderId: string | null, rationale: string | null): Effect {
  return {
    type: 'truth.write',
    state: s.state,
    subjects: [{ findingId: s.findingId, findingKey: s.findingKey, value: s.state === 'verified' && s.value !== null ? outcomeValue(ctx.referenceStandard, s.value) : null }],
    method,
    ruleVersion: EVIDENCE_RULES_VERSION,
    derivedFromReads: [],
    derivedFromEvidence: s.open ? [...s.evidenceIds, s.open.evidenceId] : s.evidenceIds,
    deciderId,
    rationale,
  };
}

export function evidenceEffects(ctx: CaseContext, before: SubjectTruth, after: SubjectTruth, change: SubjectChange, e: EvidenceEntry, actorId: string | null): Effect[] {
  switch (change.kind) {
    case 'verify':
    case 'confirm':
      return [subjectWrite(ctx, after, `evidence:${e.kind}`, actorId, change.reason)];
    case 'discordance':
      return [
        subjectWrite(ctx, after, 'discordance', actorId, change.reason),
        { type: 'review.open', kind: 'discordance', reason: change.reason, findingId: after.findingId, evidenceId: e.id },
      ];
    case 'held':
    case 'outranked':
      return [{ type: 'note', action: 'workflow.evidence_no_effect', details: { evidenceId: e.id, finding: before.findingKey, why: change.kind, reason: change.reason } }];
    case 'none':
      return [];
  }
}

/**
 * case@5: whether the follow-up window closed before the case was imported (a historical case):
 * its window.close arrives at once and is held instead of making the case lost to follow-up.
 */
export function closedBeforeImport(ctx: CaseContext, importedDay: number | undefined): boolean {
  const w = ctx.truthPolicy.followUpWindow;
  return !!w && importedDay !== undefined && importedDay >= windowCloseDay(w);
}

/** case@5: a decided historical case whose evidence the lead has not yet marked complete and that still has pending truth. */
export function waitsForEvidence(ctx: CaseContext): boolean {
  return !!ctx.evidenceHold && !ctx.evidenceHold.released && ctx.subjectTruth.some((s) => s.state === 'pending');
}

export function hasOpenDiscordance(ctx: CaseContext): boolean {
  return ctx.subjectTruth.some((s) => s.open !== null);
}

export function readsAfter(ctx: CaseContext, ev: Extract<CaseEvent, { type: 'read.submit' }>): CaseContext {
  return { ...ctx, reads: [...ctx.reads, { id: ev.readId, readerId: ev.actorId!, round: ctx.round, values: ev.values, at: ev.at }] };
}

/** Every item key the reader form asks, in order (convenience for UIs showing disputes). */
export function itemsOf(form: ReaderForm): string[] {
  return formItems(form).map((i) => i.key);
}
