/** The case machine's types: input, context, events and the effects it emits. */
import type { Evaluation } from './rules/agreement-rules.ts';
import type { EvidenceKind, Mapping, ReaderForm, ReadValues, ReferenceStandard, TruthPolicy } from './rules/definition.ts';
import type { DiscordanceOutcome, EvidenceEntry, SubjectTruth, TruthState } from './rules/evidence-mapping.ts';

export const MACHINE_VERSION = 'case@4';

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
  /**
   * An amendment made after this round's reads were evaluated (a dispute, a decision, a review):
   * recorded and shown to the adjudicator and lead, never counted — the read it amends still is.
   */
  late?: true;
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
  | {
      type: 'evidence.record';
      evidenceId: string;
      kind: EvidenceKind;
      findingId: string | null;
      resultCode: string | null;
      outcome: 'positive' | 'negative' | 'none';
      reason: string;
    }
  /** A scheduled_events row at study date + `dayAfterStudy` days (00:00 UTC), once per case and event type. */
  | { type: 'schedule'; eventType: 'window.close'; dayAfterStudy: number }
  /** Withdrawal: identifying metadata, image references and free text purged; pending schedules cancelled. */
  | { type: 'case.purge'; reason: string }
  | { type: 'assignments.cancel'; role: 'reader' | 'adjudicator' }
  | { type: 'note'; action: string; details: Record<string, unknown> };
