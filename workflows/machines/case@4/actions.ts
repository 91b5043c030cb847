/** The machine's named actions: what each transition records and which effects it emits. */
import { assertEvent } from 'xstate';
import { disputedItems, MARKS_RULES_VERSION, RULES_VERSION } from './rules/agreement-rules.ts';
import { applyToSubject, closeDiscordance, closeWindow, concerns, foldEvidence, mapEvidence, windowCloseDay, type EvidenceEntry } from './rules/evidence-mapping.ts';
import { base } from './guards.ts';
import {
  activeVotes,
  countedReads,
  currentReads,
  evaluate,
  evidenceEffects,
  evidenceSubjects,
  panelSize,
  pendingCannotAssess,
  readsAfter,
  subjectWrite,
  tallyVotes,
  truthSubjects,
  voteFromEvent,
} from './helpers.ts';
import type { Decision } from './types.ts';

export const withActions = base.extend({
  actions: {
    recordRead: base.assign(({ context, event }) => {
      assertEvent(event, 'read.submit');
      return { reads: readsAfter(context, event).reads };
    }),
    emitReadRecord: base.emit(({ event }) => {
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
    recordAmendment: base.assign(({ context, event }) => {
      assertEvent(event, 'read.amend');
      // Every earlier read of this reader in the round (late amendments included) is amended away.
      const reads = context.reads.map((r) => (r.round === context.round && r.readerId === event.actorId && !r.supersededBy ? { ...r, supersededBy: event.readId } : r));
      reads.push({ id: event.readId, readerId: event.actorId!, round: context.round, values: event.values, at: event.at, supersedes: event.supersedesReadId });
      return { reads };
    }),
    recordLateAmendment: base.assign(({ context, event }) => {
      assertEvent(event, 'read.amend');
      const late = {
        id: event.readId,
        readerId: event.actorId!,
        round: context.round,
        values: event.values,
        at: event.at,
        supersedes: event.supersedesReadId,
        late: true as const,
      };
      return { reads: [...context.reads, late] };
    }),
    noteLateAmendment: base.emit(({ event }) => {
      assertEvent(event, 'read.amend');
      return { type: 'note' as const, action: 'workflow.late_amendment', details: { readId: event.readId, supersedes: event.supersedesReadId, counted: false } };
    }),
    evaluate: base.assign({ evaluation: ({ context }) => evaluate(context) }),
    markSince: base.assign({ since: ({ context, event }) => (event as { at?: string }).at ?? context.since }),
    addExtraReader: base.assign({ extraReads: ({ context }) => context.extraReads + 1 }),
    noteExtraReader: base.emit(({ context, event }) => ({
      type: 'note' as const,
      action: 'workflow.extra_reader',
      details: {
        cause: event.type === 'adjudication.requestRead' ? 'adjudicator' : 'disagreement',
        disputes: (context.evaluation?.disputes ?? []).map((d) => (d.label ? `${d.item}#${d.label}` : d.item)),
      },
    })),
    discardVotes: base.assign({ voteBatch: ({ context }) => context.voteBatch + 1 }),
    recordVote: base.assign(({ context, event }) => {
      assertEvent(event, 'adjudication.decide');
      return { votes: [...context.votes, voteFromEvent(context, event)] };
    }),
    emitVoteRead: base.emit(({ context, event }) => {
      assertEvent(event, 'adjudication.decide');
      const vote = context.votes.find((v) => v.readId === event.readId)!;
      return { type: 'read.record' as const, readId: vote.readId, authorId: vote.adjudicatorId, source: 'adjudicator' as const, values: vote.values };
    }),
    noteDeadlock: base.emit(({ context }) => ({
      type: 'note' as const,
      action: 'workflow.panel_deadlock',
      details: { batch: context.voteBatch, items: context.evaluation ? disputedItems(context.evaluation) : [] },
    })),
    decideByConsensus: base.assign(({ context, event }) => {
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
    decideByAdjudication: base.assign(({ context, event }) => {
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
    emitTruth: base.emit(({ context }) => {
      const d = context.decision!;
      return {
        type: 'truth.write' as const,
        state: context.referenceStandard.source === 'panel' ? ('verified' as const) : ('pending' as const),
        subjects: truthSubjects(context, d.values),
        method: context.referenceStandard.source === 'panel' ? d.method : `reader_${d.method}`,
        ruleVersion: context.readerForm.marks?.length ? MARKS_RULES_VERSION : RULES_VERSION,
        derivedFromReads: d.readIds,
        deciderId: d.deciderId,
        rationale: d.rationale,
      };
    }),
    emitExcludedTruth: base.emit(({ context, event }) => {
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
    openExclusionReview: base.emit(({ context }) => ({
      type: 'review.open' as const,
      kind: 'exclusion' as const,
      reason: `${pendingCannotAssess(context)} readers could not assess this case`,
    })),
    closeExclusionReview: base.emit(({ event }) => {
      assertEvent(event, 'exclusion.resolve');
      return {
        type: 'review.close' as const,
        kind: 'exclusion' as const,
        outcome: event.exclude ? ('excluded' as const) : ('not_excluded' as const),
        reason: event.reason,
        closedBy: event.actorId,
      };
    }),
    acknowledgeCannotAssess: base.assign({
      cannotAssessAcknowledged: ({ context }) => currentReads(context).filter((r) => r.values === null).length,
    }),
    cancelReaderAssignments: base.emit({ type: 'assignments.cancel' as const, role: 'reader' as const }),
    cancelAdjudicatorAssignments: base.emit({ type: 'assignments.cancel' as const, role: 'adjudicator' as const }),
    startNewRound: base.assign(({ context }) => ({
      round: context.round + 1,
      extraReads: 0,
      cannotAssessAcknowledged: 0,
      evaluation: null,
      voteBatch: context.voteBatch + 1,
      decision: null,
      subjectTruth: [],
    })),
    scheduleWindow: base.enqueueActions(({ context, enqueue }) => {
      const w = context.truthPolicy.followUpWindow;
      if (w && context.referenceStandard.source === 'evidence' && !context.windowClosedAt) {
        enqueue.emit({ type: 'schedule', eventType: 'window.close', dayAfterStudy: windowCloseDay(w) });
      }
    }),
    recordEvidence: base.enqueueActions(({ context, event, enqueue }) => {
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
      enqueue.emit({
        type: 'evidence.record',
        evidenceId: entry.id,
        kind: entry.kind,
        findingId: entry.findingId,
        resultCode: entry.resultCode,
        outcome: m.effect,
        reason: m.reason,
      });
      const subjectTruth = context.subjectTruth.map((s) => {
        if (!concerns(s, entry.findingId, context.referenceStandard.level)) return s;
        const r = applyToSubject(s, entry, m);
        for (const eff of evidenceEffects(context, s, r.next, r.change, entry, event.actorId)) enqueue.emit(eff);
        return r.next;
      });
      enqueue.assign({ evidence: [...context.evidence, entry], subjectTruth });
    }),
    buildSubjectTruth: base.enqueueActions(({ context, enqueue }) => {
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
    closeFollowUpWindow: base.enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'window.close');
      const w = context.truthPolicy.followUpWindow!;
      const subjectTruth = context.subjectTruth.map((s) => {
        const r = closeWindow(s, w.onClose);
        if (r.changed) {
          enqueue.emit(
            subjectWrite(context, r.next, 'follow_up_window', null, `the follow-up window (days ${w.startDays}–${w.endDays} after the study) closed without verifying evidence`),
          );
        }
        return r.next;
      });
      enqueue.assign({ windowClosedAt: event.at, subjectTruth });
    }),
    closeDiscordanceReview: base.enqueueActions(({ context, event, enqueue }) => {
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
    emitPurge: base.emit(({ event }) => {
      assertEvent(event, 'case.withdraw');
      return { type: 'case.purge' as const, reason: event.reason };
    }),
    emitReopenedTruth: base.emit(({ context, event }) => {
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
});
