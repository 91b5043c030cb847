/**
 * The project's vocabulary: every enumerated fact declared once. The database enums
 * (db/schema.ts), the zod schemas (domain/vocabulary-schemas.server.ts: forms, API, workflow
 * commands), the UI labels and the OpenAPI document are all built from these tuples; test/vocabulary.test.ts fails when a
 * migrated database enum and its tuple differ. Order is the database order: append new values
 * at the end (PostgreSQL can only add enum values, and a reorder would be a new migration).
 *
 * Plain tuples and labels only, no zod: pages import this file, and a zod import here (with
 * its configuration call, a side effect the bundler must keep) put zod into every page's bundle.
 *
 * Workflow states and their tags live beside the case machine (`domain/workflow-states.ts`).
 */

// ── people ────────────────────────────────────────────────────────────────────
export const PROJECT_ROLES = ['reader', 'adjudicator', 'lead'] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];
export const ROLE_LABELS: Record<ProjectRole, string> = { reader: 'Reader', adjudicator: 'Adjudicator', lead: 'Lead' };

// ── evidence and reads ────────────────────────────────────────────────────────
export const EVIDENCE_KINDS = ['report', 'pathology', 'surgery', 'follow_up'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];
export const EVIDENCE_KIND_LABELS: Record<EvidenceKind, string> = {
  pathology: 'Pathology',
  surgery: 'Surgery',
  follow_up: 'Follow-up exam',
  report: 'Radiology report',
};
/** Which evidence wins when several verify, unless a project's mapping says otherwise; also the order forms list the kinds in. */
export const DEFAULT_EVIDENCE_PRECEDENCE = ['pathology', 'surgery', 'follow_up', 'report'] as const satisfies readonly EvidenceKind[];

/** Where a read comes from: people, evidence of each kind, an import or a model. */
export const READ_SOURCES = ['reader', 'adjudicator', ...EVIDENCE_KINDS, 'import', 'model'] as const;
export type ReadSource = (typeof READ_SOURCES)[number];

// ── truth ─────────────────────────────────────────────────────────────────────
export const TRUTH_STATES = ['pending', 'verified', 'unverified', 'lost_to_follow_up', 'discordant', 'excluded'] as const;
export type TruthState = (typeof TRUTH_STATES)[number];
export const TRUTH_STATE_LABELS: Record<TruthState, string> = {
  pending: 'pending',
  verified: 'verified',
  unverified: 'unverified',
  lost_to_follow_up: 'lost to follow up',
  discordant: 'discordant',
  excluded: 'excluded',
};
/** What an unverified subject becomes when its follow-up window closes. */
export const WINDOW_CLOSE_STATES = ['unverified', 'lost_to_follow_up'] as const satisfies readonly TruthState[];

// ── reviews ───────────────────────────────────────────────────────────────────
export const REVIEW_KINDS = ['discordance', 'exclusion'] as const;
export type ReviewKind = (typeof REVIEW_KINDS)[number];
export const DISCORDANCE_OUTCOMES = ['concordant', 'truth_changed', 'resample', 'excision_pending', 'upgraded'] as const;
export type DiscordanceOutcome = (typeof DISCORDANCE_OUTCOMES)[number];
export const DISCORDANCE_OUTCOME_LABELS: Record<DiscordanceOutcome, string> = {
  concordant: 'concordant',
  truth_changed: 'truth changed',
  resample: 'resample',
  excision_pending: 'excision pending',
  upgraded: 'upgraded',
};
export const EXCLUSION_OUTCOMES = ['excluded', 'not_excluded'] as const;
export const REVIEW_OUTCOMES = [...DISCORDANCE_OUTCOMES, ...EXCLUSION_OUTCOMES] as const;
export type ReviewOutcome = (typeof REVIEW_OUTCOMES)[number];

// ── assignment and scheduling ─────────────────────────────────────────────────
export const ASSIGNMENT_ROLES = ['reader', 'adjudicator'] as const satisfies readonly ProjectRole[];
export const ASSIGNMENT_STATUSES = ['open', 'completed', 'expired', 'cancelled'] as const;
/** A reader's open assignments in a project: the case being read and the one reserved next. */
export const ASSIGNMENT_SLOTS = ['current', 'next'] as const;
export const SCHEDULED_STATUSES = ['pending', 'fired', 'cancelled', 'failed'] as const;

// ── datasets ──────────────────────────────────────────────────────────────────
export const SPLITS = ['train', 'validation', 'test', 'unassigned'] as const;
export type Split = (typeof SPLITS)[number];

// ── the reader form ───────────────────────────────────────────────────────────
/** Kinds of reader-form field, i.e. kinds of answer. */
export const ANSWER_KINDS = ['binary', 'nominal', 'ordinal', 'multi_label', 'numeric'] as const;
export type AnswerKind = (typeof ANSWER_KINDS)[number];

// ── ids ───────────────────────────────────────────────────────────────────────
/** A UUID as PostgreSQL prints it (any version; case-insensitive). */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID_RE.test(s);

// ── reader studies ─────────────────────────────────────────────────
/** What a reading unit of a study is: a (case, arm) read for the study, a blind re-read, or a calibration case. */
export const STUDY_UNIT_KINDS = ['study', 'reread', 'calibration'] as const;
export type StudyUnitKind = (typeof STUDY_UNIT_KINDS)[number];
/** Why a reader skips a case; the study definition says which are deferred and which exclude. */
export const SKIP_REASONS = ['image_quality', 'missing_series', 'conflict_of_interest'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];
export const SKIP_REASON_LABELS: Record<SkipReason, string> = {
  image_quality: 'Image quality too poor to read',
  missing_series: 'Series or images missing',
  conflict_of_interest: 'Conflict of interest',
};
export const SKIP_OUTCOMES = ['deferred', 'excluded'] as const;
export type SkipOutcome = (typeof SKIP_OUTCOMES)[number];
