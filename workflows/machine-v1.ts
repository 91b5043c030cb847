/**
 * FROZEN: the case machine as it was at 'case@1' (issue 6). Kept so that cases still on case@1
 * replay with exactly the code that advanced them; never edit it (see engine.ts migrations).
 *
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
 * Issue 7 adds evidence events on `decided` and a `discordant` state; both fit beside these.
 */
import { and, assertEvent, assign, emit, setup } from 'xstate';
import {
  applyResolution,
  disputedItems,
  evaluateReads,
  mode,
  RULES_VERSION,
  type Evaluation,
} from './agreement-rules.ts';
import { formItems, itemKey, type ReaderForm, type ReadValues, type ReferenceStandard, type TruthPolicy } from './definition.ts';

/** Bump on any change to states, transitions, context shape or effects; add a migration from the old version. */
export const MACHINE_VERSION_V1 = 'case@1';

export type CaseInput = {
  caseId: string;
  projectId: string;
  projectVersion: number;
  readerForm: ReaderForm;
  truthPolicy: TruthPolicy;
  referenceStandard: ReferenceStandard;
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
};

type Stamp = { at: string; actorId: string | null };
export type CaseEvent =
  | ({ type: 'read.submit'; readId: string; values: ReadValues | null } & Stamp)
  | ({ type: 'read.amend'; readId: string; supersedesReadId: string; values: ReadValues | null; reason: string } & Stamp)
  | ({ type: 'adjudication.decide'; readId: string; pickReadId?: string; values?: ReadValues; rationale: string } & Stamp)
  | ({ type: 'adjudication.requestRead'; rationale: string } & Stamp)
  | ({ type: 'exclusion.resolve'; exclude: boolean; reason: string } & Stamp)
  | ({ type: 'case.reopen'; reason: string } & Stamp);
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
      state: 'pending' | 'verified' | 'excluded';
      subjects: TruthSubject[];
      method: string;
      ruleVersion: string;
      derivedFromReads: string[];
      deciderId: string | null;
      rationale: string | null;
    }
  | { type: 'review.open'; kind: 'exclusion'; reason: string }
  | { type: 'review.close'; kind: 'exclusion'; outcome: 'excluded' | 'not_excluded'; reason: string; closedBy: string | null }
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
  }
}

function readsAfter(ctx: CaseContext, ev: Extract<CaseEvent, { type: 'read.submit' }>): CaseContext {
  return { ...ctx, reads: [...ctx.reads, { id: ev.readId, readerId: ev.actorId!, round: ctx.round, values: ev.values, at: ev.at }] };
}

export const caseMachineV1 = setup({
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
    })),
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
  }),
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
      },
    },
    evaluating: {
      entry: 'evaluate',
      always: [
        { guard: 'cannotAssessLimitReached', target: 'exclusionReview' },
        { guard: 'needsMoreReads', target: 'awaitingReads' },
        { guard: 'agreed', target: 'decided', actions: 'decideByConsensus' },
        { guard: 'extraReaderOnDisagreement', target: 'awaitingReads', actions: ['addExtraReader', 'noteExtraReader'] },
        { target: 'adjudication' },
      ],
    },
    adjudication: {
      entry: ['markSince', 'cancelReaderAssignments'],
      exit: 'cancelAdjudicatorAssignments',
      on: {
        'adjudication.decide': [
          { guard: and(['accepted', 'voteDecides']), target: 'decided', actions: ['recordVote', 'emitVoteRead', 'decideByAdjudication'] },
          { guard: and(['accepted', 'voteDeadlocks']), actions: ['recordVote', 'emitVoteRead', 'noteDeadlock', 'discardVotes'] },
          { guard: 'accepted', actions: ['recordVote', 'emitVoteRead'] },
        ],
        'adjudication.requestRead': { guard: 'accepted', target: 'awaitingReads', actions: ['discardVotes', 'addExtraReader', 'noteExtraReader'] },
        'read.amend': { guard: 'accepted', target: 'evaluating', actions: ['recordAmendment', 'emitReadRecord', 'discardVotes'] },
      },
    },
    exclusionReview: {
      entry: ['markSince', 'cancelReaderAssignments', 'openExclusionReview'],
      on: {
        'exclusion.resolve': [
          { guard: and(['accepted', 'excludeChosen']), target: 'excluded', actions: ['closeExclusionReview', 'emitExcludedTruth'] },
          { guard: 'accepted', target: 'evaluating', actions: ['closeExclusionReview', 'acknowledgeCannotAssess'] },
        ],
      },
    },
    decided: {
      entry: ['markSince', 'cancelReaderAssignments', 'emitTruth'],
      on: {
        'case.reopen': { guard: 'accepted', target: 'awaitingReads', actions: ['startNewRound', 'emitReopenedTruth'] },
      },
    },
    excluded: {
      entry: ['markSince', 'cancelReaderAssignments'],
      on: {
        'case.reopen': { guard: 'accepted', target: 'awaitingReads', actions: ['startNewRound', 'emitReopenedTruth'] },
      },
    },
  },
});

export type CaseMachineV1 = typeof caseMachineV1;

/** Every item key the reader form asks, in order (convenience for UIs showing disputes). */
export function itemsOf(form: ReaderForm): string[] {
  return formItems(form).map((i) => i.key);
}
