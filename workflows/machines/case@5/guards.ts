/** The machine's guards (over the helpers), set up with its types; actions.ts extends this. */
import { assertEvent, setup } from 'xstate';
import {
  activeVotes,
  amendmentCounts,
  closedBeforeImport,
  countedReads,
  hasOpenDiscordance,
  neededReads,
  pendingCannotAssess,
  readsAfter,
  tallyVotes,
  voteFromEvent,
  waitsForEvidence,
  whyNot,
} from './helpers.ts';
import type { CaseContext, CaseEvent, CaseInput, Effect } from './types.ts';

export const base = setup({
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
      context.truthPolicy.onDisagreement === 'extra_reader' && context.extraReads === 0 && !(context.evaluation?.disputes ?? []).some((d) => d.forceAdjudication),
    voteDecides: ({ context, event }) => {
      assertEvent(event, 'adjudication.decide');
      return tallyVotes(context, [...activeVotes(context), voteFromEvent(context, event)]).status === 'decided';
    },
    voteDeadlocks: ({ context, event }) => {
      assertEvent(event, 'adjudication.decide');
      return tallyVotes(context, [...activeVotes(context), voteFromEvent(context, event)]).status === 'deadlock';
    },
    openDiscordance: ({ context }) => hasOpenDiscordance(context),
    waitsForEvidence: ({ context }) => waitsForEvidence(context),
    windowClosedBeforeImport: ({ context, event }) => {
      assertEvent(event, 'window.close');
      return closedBeforeImport(context, event.importedDay);
    },
    roundUndisputed: ({ context }) => amendmentCounts('awaitingReads', context),
    excludeChosen: ({ event }) => {
      assertEvent(event, 'exclusion.resolve');
      return event.exclude;
    },
  },
});
