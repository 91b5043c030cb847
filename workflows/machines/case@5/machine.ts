/**
 * case@5, the current version. Once a case has been recorded under it, it is frozen like
 * case@4: change it by cutting case@6 (workflows/machines/README.md).
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
 *   decided ──(evidence)──▶ decided (new truth version) | discordant ──(review closed)──▶ decided
 *   any state ──(lead withdraws: consent withdrawn)──▶ withdrawn (accepts nothing more)
 *
 * case@2: evidence (`evidence.record`) is accepted in every state: before a decision it
 * is only recorded, and the decision folds it in; after, it changes the truth of the subjects it
 * concerns (workflows/evidence-mapping.ts). The follow-up window closes by a system event
 * (`window.close`, fired by the scheduler). Discordances are closed by the lead (`discordance.close`).
 *
 * case@3: an amendment counts only while the round's reads are still coming in undisputed. Made
 * later (a dispute, adjudication, a review, a decision) it is a late amendment: recorded, shown
 * to the adjudicator and lead, never counted, and the case stays where it is — so a reader who
 * learns of a disagreement can never turn it into a consensus (docs/decisions/workflow-0004-frozen-versions-late-amendments.md).
 *
 * case@4: marks items (readerForm.marks) are matched by location (workflows/marks-agreement.ts):
 * a lesion marked by some readers only, or matched but answered differently, is a dispute
 * (docs/decisions/marks-0001-location-disputes.md); truth subjects carry the lesions.
 *
 * case@5: historical cases. A case imported after its follow-up window closed gets its
 * `window.close` at once; it no longer closes the window (which made the case lost to follow-up
 * before its evidence could be loaded) but holds it (`evidenceHold`). Decided with truth still
 * pending, such a case waits in `awaitingEvidence` until the lead marks the evidence complete
 * (`evidence.complete`) or the definition's grace period ends (`evidence.grace`); either closes
 * the window as before (docs/decisions/workflow-0005-historical-cases.md).
 */
import { and, not } from 'xstate';
import { STATE_TAGS } from '../../../domain/workflow-states.ts';
import { withActions } from './actions.ts';

/** Accepted in every state but the transient `evaluating` and the terminal `withdrawn`. */
const EVIDENCE_EVENTS = {
  'evidence.record': { guard: 'accepted', actions: 'recordEvidence' },
  'window.close': [
    { guard: and(['accepted', 'windowClosedBeforeImport']), actions: 'holdForEvidence' },
    { guard: 'accepted', actions: 'closeFollowUpWindow' },
  ],
  'evidence.complete': { guard: 'accepted', actions: 'closeFollowUpWindow' },
  'evidence.grace': { guard: 'accepted', actions: 'closeFollowUpWindow' },
  'case.withdraw': { guard: 'accepted', target: 'withdrawn', actions: ['emitPurge', 'cancelReaderAssignments', 'cancelAdjudicatorAssignments'] },
} as const;

/** A late amendment: accepted wherever a reader could have a read, and changes no state. */
const LATE_AMENDMENT = { guard: 'accepted', actions: ['recordLateAmendment', 'emitReadRecord', 'noteLateAmendment'] } as const;

export const caseMachine = withActions.createMachine({
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
    evidenceHold: null,
  }),
  entry: 'scheduleWindow',
  initial: 'awaitingReads',
  states: {
    awaitingReads: {
      tags: [...STATE_TAGS.awaitingReads],
      entry: 'markSince',
      on: {
        'read.submit': [
          { guard: and(['accepted', 'readReachesExclusionLimit']), target: 'exclusionReview', actions: ['recordRead', 'emitReadRecord'] },
          { guard: and(['accepted', 'readCompletesReads']), target: 'evaluating', actions: ['recordRead', 'emitReadRecord'] },
          { guard: 'accepted', actions: ['recordRead', 'emitReadRecord'] },
        ],
        'read.amend': [{ guard: and(['accepted', 'roundUndisputed']), target: 'evaluating', actions: ['recordAmendment', 'emitReadRecord'] }, LATE_AMENDMENT],
        ...EVIDENCE_EVENTS,
      },
    },
    evaluating: {
      tags: [...STATE_TAGS.evaluating],
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
      tags: [...STATE_TAGS.adjudication],
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
        'read.amend': LATE_AMENDMENT,
        ...EVIDENCE_EVENTS,
      },
    },
    exclusionReview: {
      tags: [...STATE_TAGS.exclusionReview],
      entry: ['markSince', 'cancelReaderAssignments', 'openExclusionReview'],
      on: {
        'exclusion.resolve': [
          { guard: and(['accepted', 'excludeChosen']), target: 'excluded', actions: ['closeExclusionReview', 'emitExcludedTruth'] },
          { guard: 'accepted', target: 'evaluating', actions: ['closeExclusionReview', 'acknowledgeCannotAssess'] },
        ],
        'read.amend': LATE_AMENDMENT,
        ...EVIDENCE_EVENTS,
      },
    },
    decided: {
      tags: [...STATE_TAGS.decided],
      entry: ['markSince', 'cancelReaderAssignments'],
      always: [
        { guard: 'openDiscordance', target: 'discordant' },
        { guard: 'waitsForEvidence', target: 'awaitingEvidence' },
      ],
      on: {
        'case.reopen': { guard: 'accepted', target: 'awaitingReads', actions: ['startNewRound', 'emitReopenedTruth'] },
        'read.amend': LATE_AMENDMENT,
        ...EVIDENCE_EVENTS,
      },
    },
    awaitingEvidence: {
      tags: [...STATE_TAGS.awaitingEvidence],
      entry: 'markSince',
      always: [
        { guard: 'openDiscordance', target: 'discordant' },
        { guard: not('waitsForEvidence'), target: 'decided' },
      ],
      on: {
        'case.reopen': { guard: 'accepted', target: 'awaitingReads', actions: ['startNewRound', 'emitReopenedTruth'] },
        'read.amend': LATE_AMENDMENT,
        ...EVIDENCE_EVENTS,
      },
    },
    discordant: {
      tags: [...STATE_TAGS.discordant],
      entry: 'markSince',
      always: { guard: not('openDiscordance'), target: 'decided' },
      on: {
        'discordance.close': { guard: 'accepted', actions: 'closeDiscordanceReview' },
        'read.amend': LATE_AMENDMENT,
        ...EVIDENCE_EVENTS,
      },
    },
    excluded: {
      tags: [...STATE_TAGS.excluded],
      entry: ['markSince', 'cancelReaderAssignments'],
      on: {
        'case.reopen': { guard: 'accepted', target: 'awaitingReads', actions: ['startNewRound', 'emitReopenedTruth'] },
        'read.amend': LATE_AMENDMENT,
        ...EVIDENCE_EVENTS,
      },
    },
    withdrawn: {
      tags: [...STATE_TAGS.withdrawn],
      entry: 'markSince',
    },
  },
});

export type CaseMachine = typeof caseMachine;
