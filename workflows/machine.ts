/**
 * The case workflow (DESIGN.md "The case workflow"): one actor per case, pure. It does no I/O
 * and never reads the clock — every event carries its time (`at`) and its actor. What must
 * happen in the database is emitted as effects (`Effect`), which the runtime carries out in
 * the same transaction as the event and the new snapshot.
 *
 *   awaitingReads ──(enough reads)──▶ evaluating ──agree──▶ decided ◀── adjudication
 *        ▲   │                           │  └──disagree (2+1: one more reader)──▶ awaitingReads
 *        │   └─(cannot-assess limit)─▶ exclusionReview ──confirm──▶ excluded
 *        └──────────────(lead reopens: new round)───────── decided | excluded
 *
 *   decided ──(evidence)──▶ decided (new truth version) | discordant ──(review closed)──▶ decided
 *   any state ──(lead withdraws: consent withdrawn)──▶ withdrawn (accepts nothing more)
 *
 * case@2 (issue 7): evidence (`evidence.record`) is accepted in every state: before a decision it
 * is only recorded, and the decision folds it in; after, it changes the truth of the subjects it
 * concerns (workflows/evidence-mapping.ts). The follow-up window closes by a system event
 * (`window.close`, fired by the scheduler). Discordances are closed by the lead (`discordance.close`).
 */
import { and, assertEvent, assign, emit, enqueueActions, not, setup } from 'xstate';
import {
  applyResolution,
  disputedItems,
  evaluateReads,
  mode,
  RULES_VERSION,
  type Evaluation,
} from './agreement-rules.ts';
import { formItems, itemKey, type EvidenceKind, type Mapping, type ReaderForm, type ReadValues, type ReferenceStandard, type TruthPolicy } from './definition.ts';
import {
  applyToSubject,
  closeDiscordance,
  closeWindow,
  concerns,
  DISCORDANCE_OUTCOMES,
  EVIDENCE_RULES_VERSION,
  expectationOf,
  foldEvidence,
  mapEvidence,
  outcomeValue,
  windowCloseDay,
  type DiscordanceOutcome,
  type EvidenceEntry,
  type SubjectChange,
  type SubjectTruth,
  type TruthState,
} from './evidence-mapping.ts';

/** Bump on any change to states, transitions, context shape or effects; add a migration from the old version. */
export const MACHINE_VERSION = 'case@2';

export type CaseInput = {
  caseId: string;
  projectId: string;
  projectVersion: number;
  readerForm: ReaderForm;
  truthPolicy: TruthPolicy;
  referenceStandard: ReferenceStandard;
  /** Evidence → reference standard (case@2; cases migrated from case@1 get it from their pinned version). */
  mapping: Mapping;
  /** The case's findings rows (id ↔ reader-form finding key). */
  findings: { id: string; key: string }[];
  startedAt: string;
};

export type ReadEntry = {
  id: string;
  readerId: string;
  round: number;
  /** null = cannot assess. */
  values: ReadValues | null;
  at: string;
  supersedes?: string;
  supersededBy?: string;
};

export type Vote = {
  /** The adjudicator's reads row. */
  readId: string;
  adjudicatorId: string;
  round: number;
  /** Votes are discarded (a new batch starts) when the panel deadlocks, a read is amended or one more read is asked for. */
  batch: number;
  /** Answers for the disputed items. */
  values: ReadValues;
  pickedReadId?: string;
  rationale: string;
  at: string;
};

export type Decision = {
  round: number;
  at: string;
  method: 'consensus' | 'majority' | 'adjudication' | 'panel_adjudication';
  values: ReadValues;
  readIds: string[];
  deciderId: string | null;
  rationale: string | null;
};

export type CaseContext = CaseInput & {
  round: number;
  reads: ReadEntry[];
  /** Readers added in this round after a disagreement (2+1) or an adjudicator's request. */
  extraReads: number;
  /** Cannot-assess reads of this round the lead has already declined to exclude on. */
  cannotAssessAcknowledged: number;
  evaluation: Evaluation | null;
  votes: Vote[];
  voteBatch: number;
  decision: Decision | null;
  /** When the current state was entered (queues: oldest first). */
  since: string;
  /** Evidence recorded on this case (no text, no dates: offsets and digests). */
  evidence: EvidenceEntry[];
  /** Truth per reference-standard subject from evidence; filled at a decision (evidence reference standards), emptied on reopening. */
  subjectTruth: SubjectTruth[];
  /** When the follow-up window closed (the scheduler's event), or null. */
  windowClosedAt: string | null;
};

type Stamp = { at: string; actorId: string | null };
export type CaseEvent =
  | ({ type: 'read.submit'; readId: string; values: ReadValues | null } & Stamp)
  | ({ type: 'read.amend'; readId: string; supersedesReadId: string; values: ReadValues | null; reason: string } & Stamp)
  | ({ type: 'adjudication.decide'; readId: string; pickReadId?: string; values?: ReadValues; rationale: string } & Stamp)
  | ({ type: 'adjudication.requestRead'; rationale: string } & Stamp)
  | ({ type: 'exclusion.resolve'; exclude: boolean; reason: string } & Stamp)
  | ({ type: 'case.reopen'; reason: string } & Stamp)
  | ({ type: 'evidence.record'; evidenceId: string; kind: EvidenceKind; findingId: string | null; resultCode: string | null; dayOffset: number; digest: string } & Stamp)
  | ({ type: 'window.close' } & Stamp)
  | ({ type: 'discordance.close'; findingId: string | null; outcome: DiscordanceOutcome; value?: boolean; reason: string } & Stamp)
  | ({ type: 'case.withdraw'; reason: string } & Stamp);
export type CaseEventType = CaseEvent['type'];

export type TruthSubject = { findingId: string | null; findingKey: string | null; value: ReadValues | null };

export type Effect =
  | {
      type: 'read.record';
      readId: string;
      authorId: string;
      source: 'reader' | 'adjudicator';
      values: ReadValues | null;
      supersedesId?: string;
      amendmentReason?: string;
    }
  | {
      type: 'truth.write';
      state: TruthState;
      subjects: TruthSubject[];
      method: string;
      ruleVersion: string;
      derivedFromReads: string[];
      derivedFromEvidence?: string[];
      deciderId: string | null;
      rationale: string | null;
    }
  | { type: 'review.open'; kind: 'exclusion'; reason: string }
  | { type: 'review.open'; kind: 'discordance'; reason: string; findingId: string | null; evidenceId: string }
  | { type: 'review.close'; kind: 'exclusion'; outcome: 'excluded' | 'not_excluded'; reason: string; closedBy: string | null }
  | { type: 'review.close'; kind: 'discordance'; findingId: string | null; outcome: DiscordanceOutcome; reason: string; closedBy: string | null }
  /** Writes the evidence row (its date and text come from the command, outside the chain). */
  | { type: 'evidence.record'; evidenceId: string; kind: EvidenceKind; findingId: string | null; resultCode: string | null; outcome: 'positive' | 'negative' | 'none'; reason: string }
  /** A scheduled_events row at study date + `dayAfterStudy` days (00:00 UTC), once per case and event type. */
  | { type: 'schedule'; eventType: 'window.close'; dayAfterStudy: number }
  /** Withdrawal: identifying metadata, image references and free text purged; pending schedules cancelled. */
  | { type: 'case.purge'; reason: string }
  | { type: 'assignments.cancel'; role: 'reader' | 'adjudicator' }
  | { type: 'note'; action: string; details: Record<string, unknown> };

// ── pure helpers (also used by the runtime and by assignment) ──────────────────

export function currentReads(ctx: CaseContext): ReadEntry[] {
  return ctx.reads.filter((r) => r.round === ctx.round && !r.supersededBy);
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

function evaluate(ctx: CaseContext): Evaluation {
  return evaluateReads(
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
  if (caseFields.length) {
    const v: ReadValues = {};
    for (const f of caseFields) if (values && values[f.key] !== undefined) v[f.key] = values[f.key];
    out.push({ findingId: null, findingKey: null, value: values ? v : null });
  }
  for (const finding of ctx.readerForm.findings) {
    const row = ctx.findings.find((f) => f.key === finding.key);
    const v: ReadValues = {};
    for (const f of ctx.readerForm.fields.filter((x) => x.scope === 'finding')) {
      const a = values?.[itemKey(f.key, finding.key)];
      if (a !== undefined) v[f.key] = a;
    }
    out.push({ findingId: row?.id ?? null, findingKey: finding.key, value: values ? v : null });
  }
  return out;
}

type VoteTally = { status: 'incomplete' } | { status: 'deadlock'; items: string[] } | { status: 'decided'; values: ReadValues };

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

function voteFromEvent(ctx: CaseContext, ev: Extract<CaseEvent, { type: 'adjudication.decide' }>): Vote {
  const disputed = ctx.evaluation ? disputedItems(ctx.evaluation) : [];
  let values: ReadValues = {};
  if (ev.pickReadId) {
    const picked = ctx.reads.find((r) => r.id === ev.pickReadId)?.values ?? {};
    for (const item of disputed) if (picked[item] !== undefined) values[item] = picked[item];
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

const blank = (s: string | undefined | null) => !s || !s.trim();

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
      if (old.supersededBy) return 'that read has already been amended; amend the newest one';
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
        if (!countedReads(ctx).some((r) => r.id === ev.pickReadId)) return 'the picked read is not one of this case\'s current reads';
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
      if (ev.findingId !== null && !ctx.findings.some((f) => f.id === ev.findingId)) return 'the finding is not one of this case\'s findings';
      if (!Number.isInteger(ev.dayOffset)) return 'the evidence date is not a whole number of days from the study';
      return null;
    }
    case 'window.close': {
      if (ev.actorId) return 'only the scheduler closes a follow-up window';
      if (!ctx.truthPolicy.followUpWindow) return 'the truth policy has no follow-up window';
      if (ctx.windowClosedAt) return 'the follow-up window has already closed';
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
function subjectWrite(ctx: CaseContext, s: SubjectTruth, method: string, deciderId: string | null, rationale: string | null): Effect {
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

function evidenceEffects(ctx: CaseContext, before: SubjectTruth, after: SubjectTruth, change: SubjectChange, e: EvidenceEntry, actorId: string | null): Effect[] {
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

export function hasOpenDiscordance(ctx: CaseContext): boolean {
  return ctx.subjectTruth.some((s) => s.open !== null);
}

function readsAfter(ctx: CaseContext, ev: Extract<CaseEvent, { type: 'read.submit' }>): CaseContext {
  return { ...ctx, reads: [...ctx.reads, { id: ev.readId, readerId: ev.actorId!, round: ctx.round, values: ev.values, at: ev.at }] };
}

/** Accepted in every state but the transient `evaluating` and the terminal `withdrawn`. */
const EVIDENCE_EVENTS = {
  'evidence.record': { guard: 'accepted', actions: 'recordEvidence' },
  'window.close': { guard: 'accepted', actions: 'closeFollowUpWindow' },
  'case.withdraw': { guard: 'accepted', target: 'withdrawn', actions: ['emitPurge', 'cancelReaderAssignments', 'cancelAdjudicatorAssignments'] },
} as const;

export const caseMachine = setup({
  types: {} as { context: CaseContext; events: CaseEvent; input: CaseInput; emitted: Effect },
  guards: {
    accepted: ({ context, event }) => whyNot(context, event) === null,
    readReachesExclusionLimit: ({ context, event }) => {
      assertEvent(event, 'read.submit');
      return pendingCannotAssess(readsAfter(context, event)) >= context.truthPolicy.cannotAssessLimit;
    },
    readCompletesReads: ({ context, event }) => {
      assertEvent(event, 'read.submit');
      return countedReads(readsAfter(context, event)).length >= neededReads(context);
    },
    cannotAssessLimitReached: ({ context }) => pendingCannotAssess(context) >= context.truthPolicy.cannotAssessLimit,
    needsMoreReads: ({ context }) => countedReads(context).length < neededReads(context),
    agreed: ({ context }) => context.evaluation?.agreed === true,
    extraReaderOnDisagreement: ({ context }) =>
      context.truthPolicy.onDisagreement === 'extra_reader' &&
      context.extraReads === 0 &&
      !(context.evaluation?.disputes ?? []).some((d) => d.forceAdjudication),
    voteDecides: ({ context, event }) => {
      assertEvent(event, 'adjudication.decide');
      return tallyVotes(context, [...activeVotes(context), voteFromEvent(context, event)]).status === 'decided';
    },
    voteDeadlocks: ({ context, event }) => {
      assertEvent(event, 'adjudication.decide');
      return tallyVotes(context, [...activeVotes(context), voteFromEvent(context, event)]).status === 'deadlock';
    },
    openDiscordance: ({ context }) => hasOpenDiscordance(context),
    excludeChosen: ({ event }) => {
      assertEvent(event, 'exclusion.resolve');
      return event.exclude;
    },
  },
  actions: {
    recordRead: assign(({ context, event }) => {
      assertEvent(event, 'read.submit');
      return { reads: readsAfter(context, event).reads };
    }),
    emitReadRecord: emit(({ event }) => {
      assertEvent(event, ['read.submit', 'read.amend']);
      return {
        type: 'read.record' as const,
        readId: event.readId,
        authorId: event.actorId!,
        source: 'reader' as const,
        values: event.values,
        ...(event.type === 'read.amend' ? { supersedesId: event.supersedesReadId, amendmentReason: event.reason } : {}),
      };
    }),
    recordAmendment: assign(({ context, event }) => {
      assertEvent(event, 'read.amend');
      const reads = context.reads.map((r) => (r.id === event.supersedesReadId ? { ...r, supersededBy: event.readId } : r));
      reads.push({ id: event.readId, readerId: event.actorId!, round: context.round, values: event.values, at: event.at, supersedes: event.supersedesReadId });
      return { reads };
    }),
    evaluate: assign({ evaluation: ({ context }) => evaluate(context) }),
    markSince: assign({ since: ({ context, event }) => (event as { at?: string }).at ?? context.since }),
    addExtraReader: assign({ extraReads: ({ context }) => context.extraReads + 1 }),
    noteExtraReader: emit(({ context, event }) => ({
      type: 'note' as const,
      action: 'workflow.extra_reader',
      details: {
        cause: event.type === 'adjudication.requestRead' ? 'adjudicator' : 'disagreement',
        disputes: (context.evaluation?.disputes ?? []).map((d) => (d.label ? `${d.item}#${d.label}` : d.item)),
      },
    })),
    discardVotes: assign({ voteBatch: ({ context }) => context.voteBatch + 1 }),
    recordVote: assign(({ context, event }) => {
      assertEvent(event, 'adjudication.decide');
      return { votes: [...context.votes, voteFromEvent(context, event)] };
    }),
    emitVoteRead: emit(({ context, event }) => {
      assertEvent(event, 'adjudication.decide');
      const vote = context.votes.find((v) => v.readId === event.readId)!;
      return { type: 'read.record' as const, readId: vote.readId, authorId: vote.adjudicatorId, source: 'adjudicator' as const, values: vote.values };
    }),
    noteDeadlock: emit(({ context }) => ({
      type: 'note' as const,
      action: 'workflow.panel_deadlock',
      details: { batch: context.voteBatch, items: context.evaluation ? disputedItems(context.evaluation) : [] },
    })),
    decideByConsensus: assign(({ context, event }) => {
      const ev = context.evaluation!;
      const usedMajority = Object.values(ev.methods).includes('majority');
      const decision: Decision = {
        round: context.round,
        at: (event as { at?: string }).at ?? context.since,
        method: usedMajority ? 'majority' : 'consensus',
        values: ev.consensus,
        readIds: countedReads(context).map((r) => r.id),
        deciderId: null,
        rationale: null,
      };
      return { decision };
    }),
    decideByAdjudication: assign(({ context, event }) => {
      assertEvent(event, 'adjudication.decide');
      const votes = activeVotes(context);
      const tally = tallyVotes(context, votes);
      if (tally.status !== 'decided') throw new Error('decideByAdjudication without a decided tally');
      const panel = panelSize(context) > 1;
      const decision: Decision = {
        round: context.round,
        at: event.at,
        method: panel ? 'panel_adjudication' : 'adjudication',
        values: tally.values,
        readIds: [...countedReads(context).map((r) => r.id), ...votes.map((v) => v.readId)],
        deciderId: event.actorId,
        rationale: panel ? votes.map((v) => v.rationale).join('\n') : event.rationale,
      };
      return { decision };
    }),
    emitTruth: emit(({ context }) => {
      const d = context.decision!;
      return {
        type: 'truth.write' as const,
        state: context.referenceStandard.source === 'panel' ? ('verified' as const) : ('pending' as const),
        subjects: truthSubjects(context, d.values),
        method: context.referenceStandard.source === 'panel' ? d.method : `reader_${d.method}`,
        ruleVersion: RULES_VERSION,
        derivedFromReads: d.readIds,
        deciderId: d.deciderId,
        rationale: d.rationale,
      };
    }),
    emitExcludedTruth: emit(({ context, event }) => {
      assertEvent(event, 'exclusion.resolve');
      return {
        type: 'truth.write' as const,
        state: 'excluded' as const,
        subjects: truthSubjects(context, null),
        method: 'exclusion',
        ruleVersion: RULES_VERSION,
        derivedFromReads: currentReads(context).map((r) => r.id),
        deciderId: event.actorId,
        rationale: event.reason,
      };
    }),
    openExclusionReview: emit(({ context }) => ({
      type: 'review.open' as const,
      kind: 'exclusion' as const,
      reason: `${pendingCannotAssess(context)} readers could not assess this case`,
    })),
    closeExclusionReview: emit(({ event }) => {
      assertEvent(event, 'exclusion.resolve');
      return {
        type: 'review.close' as const,
        kind: 'exclusion' as const,
        outcome: event.exclude ? ('excluded' as const) : ('not_excluded' as const),
        reason: event.reason,
        closedBy: event.actorId,
      };
    }),
    acknowledgeCannotAssess: assign({
      cannotAssessAcknowledged: ({ context }) => currentReads(context).filter((r) => r.values === null).length,
    }),
    cancelReaderAssignments: emit({ type: 'assignments.cancel' as const, role: 'reader' as const }),
    cancelAdjudicatorAssignments: emit({ type: 'assignments.cancel' as const, role: 'adjudicator' as const }),
    startNewRound: assign(({ context }) => ({
      round: context.round + 1,
      extraReads: 0,
      cannotAssessAcknowledged: 0,
      evaluation: null,
      voteBatch: context.voteBatch + 1,
      decision: null,
      subjectTruth: [],
    })),
    scheduleWindow: enqueueActions(({ context, enqueue }) => {
      const w = context.truthPolicy.followUpWindow;
      if (w && context.referenceStandard.source === 'evidence' && !context.windowClosedAt) {
        enqueue.emit({ type: 'schedule', eventType: 'window.close', dayAfterStudy: windowCloseDay(w) });
      }
    }),
    recordEvidence: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'evidence.record');
      const entry: EvidenceEntry = {
        id: event.evidenceId,
        kind: event.kind,
        findingId: event.findingId,
        resultCode: event.resultCode,
        dayOffset: event.dayOffset,
        digest: event.digest,
        at: event.at,
      };
      const m = mapEvidence(context, entry);
      enqueue.emit({ type: 'evidence.record', evidenceId: entry.id, kind: entry.kind, findingId: entry.findingId, resultCode: entry.resultCode, outcome: m.effect, reason: m.reason });
      const subjectTruth = context.subjectTruth.map((s) => {
        if (!concerns(s, entry.findingId, context.referenceStandard.level)) return s;
        const r = applyToSubject(s, entry, m);
        for (const eff of evidenceEffects(context, s, r.next, r.change, entry, event.actorId)) enqueue.emit(eff);
        return r.next;
      });
      enqueue.assign({ evidence: [...context.evidence, entry], subjectTruth });
    }),
    buildSubjectTruth: enqueueActions(({ context, enqueue }) => {
      const d = context.decision;
      if (!d) return;
      const w = context.truthPolicy.followUpWindow;
      const subjectTruth = evidenceSubjects(context, d.values).map((s0) => {
        const f = foldEvidence(context, s0, context.evidence);
        let s = f.subject;
        let windowClosed = false;
        if (context.windowClosedAt && w) {
          const r = closeWindow(s, w.onClose);
          s = r.next;
          windowClosed = r.changed;
        }
        if (s.state !== 'pending') {
          const reasons = f.changes.filter((c) => c.change.kind !== 'none').map((c) => c.change.reason);
          if (windowClosed) reasons.push('the follow-up window had closed without verifying evidence');
          const lastKind = context.evidence.find((e) => e.id === (s.open?.evidenceId ?? s.evidenceIds[s.evidenceIds.length - 1]))?.kind;
          const method = s.state === 'discordant' ? 'discordance' : s.state === 'verified' ? `evidence:${lastKind ?? 'unknown'}` : 'follow_up_window';
          enqueue.emit(subjectWrite(context, s, method, d.deciderId, reasons.join('; ') || null));
        }
        if (s.open) enqueue.emit({ type: 'review.open', kind: 'discordance', reason: s.open.reason, findingId: s.findingId, evidenceId: s.open.evidenceId });
        return s;
      });
      enqueue.assign({ subjectTruth });
    }),
    closeFollowUpWindow: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'window.close');
      const w = context.truthPolicy.followUpWindow!;
      const subjectTruth = context.subjectTruth.map((s) => {
        const r = closeWindow(s, w.onClose);
        if (r.changed) {
          enqueue.emit(subjectWrite(context, r.next, 'follow_up_window', null, `the follow-up window (days ${w.startDays}–${w.endDays} after the study) closed without verifying evidence`));
        }
        return r.next;
      });
      enqueue.assign({ windowClosedAt: event.at, subjectTruth });
    }),
    closeDiscordanceReview: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'discordance.close');
      const w = context.truthPolicy.followUpWindow;
      const mappedOf = (id: string) => {
        const e = context.evidence.find((x) => x.id === id);
        const m = e ? mapEvidence(context, e) : null;
        return m && m.effect !== 'none' ? { value: m.value, rank: m.rank } : null;
      };
      const subjectTruth = context.subjectTruth.map((s) => {
        if (s.findingId !== event.findingId || !s.open) return s;
        const ids = context.evidence.filter((e) => concerns(s, e.findingId, context.referenceStandard.level)).map((e) => e.id);
        let n = closeDiscordance(s, event.outcome, event.value, mappedOf, ids);
        if (n.state === 'pending' && context.windowClosedAt && w) n = closeWindow(n, w.onClose).next;
        enqueue.emit({ type: 'review.close', kind: 'discordance', findingId: s.findingId, outcome: event.outcome, reason: event.reason, closedBy: event.actorId });
        enqueue.emit(subjectWrite(context, n, `discordance_review:${event.outcome}`, event.actorId, event.reason));
        return n;
      });
      enqueue.assign({ subjectTruth });
    }),
    emitPurge: emit(({ event }) => {
      assertEvent(event, 'case.withdraw');
      return { type: 'case.purge' as const, reason: event.reason };
    }),
    emitReopenedTruth: emit(({ context, event }) => {
      assertEvent(event, 'case.reopen');
      return {
        type: 'truth.write' as const,
        state: 'pending' as const,
        subjects: truthSubjects(context, null),
        method: 'reopened',
        ruleVersion: RULES_VERSION,
        derivedFromReads: [],
        deciderId: event.actorId,
        rationale: event.reason,
      };
    }),
  },
}).createMachine({
  id: 'case',
  context: ({ input }) => ({
    ...input,
    round: 1,
    reads: [],
    extraReads: 0,
    cannotAssessAcknowledged: 0,
    evaluation: null,
    votes: [],
    voteBatch: 1,
    decision: null,
    since: input.startedAt,
    evidence: [],
    subjectTruth: [],
    windowClosedAt: null,
  }),
  entry: 'scheduleWindow',
  initial: 'awaitingReads',
  states: {
    awaitingReads: {
      entry: 'markSince',
      on: {
        'read.submit': [
          { guard: and(['accepted', 'readReachesExclusionLimit']), target: 'exclusionReview', actions: ['recordRead', 'emitReadRecord'] },
          { guard: and(['accepted', 'readCompletesReads']), target: 'evaluating', actions: ['recordRead', 'emitReadRecord'] },
          { guard: 'accepted', actions: ['recordRead', 'emitReadRecord'] },
        ],
        'read.amend': { guard: 'accepted', target: 'evaluating', actions: ['recordAmendment', 'emitReadRecord'] },
        ...EVIDENCE_EVENTS,
      },
    },
    evaluating: {
      entry: 'evaluate',
      always: [
        { guard: 'cannotAssessLimitReached', target: 'exclusionReview' },
        { guard: 'needsMoreReads', target: 'awaitingReads' },
        { guard: 'agreed', target: 'decided', actions: ['decideByConsensus', 'emitTruth', 'buildSubjectTruth', 'scheduleWindow'] },
        { guard: 'extraReaderOnDisagreement', target: 'awaitingReads', actions: ['addExtraReader', 'noteExtraReader'] },
        { target: 'adjudication' },
      ],
    },
    adjudication: {
      entry: ['markSince', 'cancelReaderAssignments'],
      exit: 'cancelAdjudicatorAssignments',
      on: {
        'adjudication.decide': [
          {
            guard: and(['accepted', 'voteDecides']),
            target: 'decided',
            actions: ['recordVote', 'emitVoteRead', 'decideByAdjudication', 'emitTruth', 'buildSubjectTruth', 'scheduleWindow'],
          },
          { guard: and(['accepted', 'voteDeadlocks']), actions: ['recordVote', 'emitVoteRead', 'noteDeadlock', 'discardVotes'] },
          { guard: 'accepted', actions: ['recordVote', 'emitVoteRead'] },
        ],
        'adjudication.requestRead': { guard: 'accepted', target: 'awaitingReads', actions: ['discardVotes', 'addExtraReader', 'noteExtraReader'] },
        'read.amend': { guard: 'accepted', target: 'evaluating', actions: ['recordAmendment', 'emitReadRecord', 'discardVotes'] },
        ...EVIDENCE_EVENTS,
      },
    },
    exclusionReview: {
      entry: ['markSince', 'cancelReaderAssignments', 'openExclusionReview'],
      on: {
        'exclusion.resolve': [
          { guard: and(['accepted', 'excludeChosen']), target: 'excluded', actions: ['closeExclusionReview', 'emitExcludedTruth'] },
          { guard: 'accepted', target: 'evaluating', actions: ['closeExclusionReview', 'acknowledgeCannotAssess'] },
        ],
        ...EVIDENCE_EVENTS,
      },
    },
    decided: {
      entry: ['markSince', 'cancelReaderAssignments'],
      always: { guard: 'openDiscordance', target: 'discordant' },
      on: {
        'case.reopen': { guard: 'accepted', target: 'awaitingReads', actions: ['startNewRound', 'emitReopenedTruth'] },
        ...EVIDENCE_EVENTS,
      },
    },
    discordant: {
      entry: 'markSince',
      always: { guard: not('openDiscordance'), target: 'decided' },
      on: {
        'discordance.close': { guard: 'accepted', actions: 'closeDiscordanceReview' },
        ...EVIDENCE_EVENTS,
      },
    },
    excluded: {
      entry: ['markSince', 'cancelReaderAssignments'],
      on: {
        'case.reopen': { guard: 'accepted', target: 'awaitingReads', actions: ['startNewRound', 'emitReopenedTruth'] },
        ...EVIDENCE_EVENTS,
      },
    },
    withdrawn: {
      entry: 'markSince',
    },
  },
});

export type CaseMachine = typeof caseMachine;

/** Every item key the reader form asks, in order (convenience for UIs showing disputes). */
export function itemsOf(form: ReaderForm): string[] {
  return formItems(form).map((i) => i.key);
}
