/**
 * Report extraction: statuses of findings in free-text reports (pure; no app, no database).
 * Used by `truthline extract`, the FHIR import and the report-rules pages.
 */
export { analyze, extractLabel, extractReport, extractionRecord, MAX_SENTENCE, STATUSES, type FindingRow, type LabelResult, type MentionResult, type Status } from './extract.ts';
export {
  compilePattern,
  compileRules,
  formatPath,
  parseRulesText,
  RulesError,
  type CompiledRules,
  type FindingRulesInput,
  type LabelRulesInput,
  type RulesInput,
} from './rules.ts';
export { SHIPPED_TRIGGERS, TRIGGER_KINDS, type TriggerEntry, type TriggerKind, type TriggerSet } from './triggers.ts';
