/**
 * The public API of workflows/ for app/*.server.ts, the API, import and seed.
 * app/ never changes workflow state directly: it sends events through sendCaseEvent.
 */
export { sendCaseEvent, startCaseWorkflow, getCaseWorkflow, type SendResult, type SendCaseEventArgs, type CaseWorkflowView } from './runtime.ts';
export type { CaseCommand } from './commands.ts';
export { caseCommandSchema, REQUIRED_ROLE } from './commands.ts';
export { WorkflowError, EventRefused, type WorkflowErrorCode } from './errors.ts';
export {
  nextCaseForReader,
  adjudicationQueueForUser,
  claimAdjudication,
  releaseExpiredAssignments,
  readerIneligibility,
  type AssignmentView,
  type AdjudicationQueueItem,
} from './assignment.ts';
export { readValuesSchema, answerSchema, describeValueErrors } from './read-schema.ts';
export { verifyAllCases, verifyCase, type VerifyReport, type CaseReport } from './verify.ts';
export { MACHINE_VERSION, caseMachine, whyNot, countedReads, neededReads, truthSubjects, type CaseContext, type CaseEvent, type Effect } from './machine.ts';
export { evaluateReads, policyProblems, RULES_VERSION, type Dispute, type Evaluation } from './agreement-rules.ts';
export { canonicalJson } from './canonical-json.ts';
// Issue 7: truth from evidence, scheduler, PROV.
export { sendSystemEvent, dayOffset, evidenceDigest, type SendSystemEventArgs } from './runtime.ts';
export { isoDateSchema, type SystemCommand } from './commands.ts';
export {
  mapEvidence,
  windowPosition,
  windowCloseDay,
  applyToSubject,
  closeWindow,
  closeDiscordance,
  foldEvidence,
  expectationOf,
  DISCORDANCE_OUTCOMES,
  EVIDENCE_RULES_VERSION,
  type DiscordanceOutcome,
  type EvidenceEntry,
  type SubjectTruth,
  type TruthState,
  type Mapped,
} from './evidence-mapping.ts';
export { evidenceSubjects, hasOpenDiscordance } from './machine.ts';
export { fireDueScheduledEvents, startScheduler, type Scheduler, type FireReport } from './scheduler.ts';
export { caseProvenance, activityKind, type CaseProvInput, type ProvDocument } from './prov.ts';
export { provenanceOfCase, loadCaseProvInput } from './prov-load.ts';
