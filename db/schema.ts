/**
 * The whole data model (DESIGN.md "Data model"). Append-only tables — reads, evidence,
 * workflow_events, truth_labels, audit_log — are never updated or deleted by the app;
 * "current" is the highest version. Constraints here make bad states unrepresentable.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import {
  ASSIGNMENT_ROLES,
  ASSIGNMENT_SLOTS,
  ASSIGNMENT_STATUSES,
  EVIDENCE_KINDS,
  PROJECT_ROLES,
  READ_SOURCES,
  REVIEW_KINDS,
  REVIEW_OUTCOMES,
  SCHEDULED_STATUSES,
  SKIP_OUTCOMES,
  SKIP_REASONS,
  SPLITS,
  STUDY_UNIT_KINDS,
  TRUTH_STATES,
} from '../domain/vocabulary.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const createdAt = () => ts('created_at').notNull().defaultNow();

export const projectRole = pgEnum('project_role', PROJECT_ROLES);
export const readSource = pgEnum('read_source', READ_SOURCES);
export const evidenceKind = pgEnum('evidence_kind', EVIDENCE_KINDS);
export const truthState = pgEnum('truth_state', TRUTH_STATES);
export const assignmentStatus = pgEnum('assignment_status', ASSIGNMENT_STATUSES);
export const assignmentRole = pgEnum('assignment_role', ASSIGNMENT_ROLES);
/** A reader's open assignments in a project: the case being read and the one reserved next. */
export const assignmentSlot = pgEnum('assignment_slot', ASSIGNMENT_SLOTS);
export const scheduledStatus = pgEnum('scheduled_status', SCHEDULED_STATUSES);
export const splitKind = pgEnum('split_kind', SPLITS);
export const reviewKind = pgEnum('review_kind', REVIEW_KINDS);
export const reviewOutcome = pgEnum('review_outcome', REVIEW_OUTCOMES);

// ── accounts ────────────────────────────────────────────────────────────────
export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    name: text('name').notNull().default(''),
    passwordHash: text('password_hash').notNull(),
    isAdmin: boolean('is_admin').notNull().default(false),
    /** May create projects (administrators always may). */
    canCreateProjects: boolean('can_create_projects').notNull().default(false),
    active: boolean('active').notNull().default(true),
    mustChangePassword: boolean('must_change_password').notNull().default(false),
    createdAt: createdAt(),
    passwordChangedAt: ts('password_changed_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('users_email_key').on(t.email), check('users_email_lowercase', sql`${t.email} = lower(${t.email}) and position('@' in ${t.email}) > 1`)],
);

/** lucia's session table: id, user_id, expires_at are what the adapter needs. */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: ts('expires_at').notNull(),
    // Absolute expiry: lucia only knows the sliding one.
    createdAt: createdAt(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const loginAttempts = pgTable(
  'login_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    email: text('email'),
    ip: text('ip'),
    attemptedAt: ts('attempted_at').notNull().defaultNow(),
  },
  (t) => [index('login_attempts_email_idx').on(t.email, t.attemptedAt), index('login_attempts_ip_idx').on(t.ip, t.attemptedAt)],
);

// ── projects ────────────────────────────────────────────────────────────────
export const projects = pgTable(
  'projects',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    licence: text('licence').notNull().default(''),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('projects_slug_key').on(t.slug), check('projects_slug_format', sql`${t.slug} ~ '^[a-z0-9][a-z0-9-]{1,62}$'`)],
);

export const projectVersions = pgTable(
  'project_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    version: integer('version').notNull(),
    /** The reader form: the test readers answer. */
    readerForm: jsonb('reader_form').notNull(),
    /** The reference standard: what is true, per case or per finding. */
    referenceStandard: jsonb('reference_standard').notNull(),
    /** Evidence → reference standard. */
    mapping: jsonb('mapping').notNull(),
    truthPolicy: jsonb('truth_policy').notNull(),
    /** The reader-study design (arms, washout, re-reads, calibration); null: not a study. */
    study: jsonb('study'),
    note: text('note').notNull().default(''),
    createdBy: text('created_by').references(() => users.id),
    createdAt: createdAt(),
  },
  (t) => [unique('project_versions_project_version_key').on(t.projectId, t.version), check('project_versions_version_positive', sql`${t.version} >= 1`)],
);

export const projectMembers = pgTable(
  'project_members',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    role: projectRole('role').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId, t.role] }), index('project_members_user_idx').on(t.userId)],
);

// ── cases ───────────────────────────────────────────────────────────────────
export const patients = pgTable(
  'patients',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    /** Pseudonymous id: never a real MRN. */
    pseudonym: text('pseudonym').notNull(),
    /** Splits are per patient, so every case of a patient lands in the same split. */
    split: splitKind('split').notNull().default('unassigned'),
    createdAt: createdAt(),
  },
  (t) => [unique('patients_project_pseudonym_key').on(t.projectId, t.pseudonym)],
);

export const cases = pgTable(
  'cases',
  {
    /** Opaque id used in URLs (never the accession number). */
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    patientId: uuid('patient_id')
      .notNull()
      .references(() => patients.id),
    /** The project version the case started on; it stays pinned. */
    projectVersion: integer('project_version').notNull(),
    /** The importer's case id (accession or similar). Purged on withdrawal. */
    externalId: text('external_id'),
    studyInstanceUid: text('study_instance_uid'),
    studyDate: date('study_date', { mode: 'string' }).notNull(),
    modality: text('modality').notNull().default(''),
    bodyPart: text('body_part').notNull().default(''),
    metadata: jsonb('metadata').notNull().default({}),
    images: jsonb('images').$type<string[]>().notNull().default([]),
    withdrawnAt: ts('withdrawn_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('cases_project_external_key').on(t.projectId, t.externalId),
    index('cases_patient_idx').on(t.patientId),
    // The cases list's order (newest study first) and the API's creation order: a page is an index walk, not a sort of the project.
    index('cases_project_list_idx').on(t.projectId, t.studyDate.desc().nullsFirst(), t.externalId, t.id),
    index('cases_project_created_idx').on(t.projectId, t.createdAt, t.id),
    check('cases_withdrawn_purged', sql`${t.withdrawnAt} is null or (${t.externalId} is null and ${t.studyInstanceUid} is null)`),
  ],
);

export const findings = pgTable(
  'findings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    /** Stable key from the reference standard, e.g. "left" / "right". */
    key: text('key').notNull(),
    label: text('label').notNull().default(''),
    createdAt: createdAt(),
  },
  (t) => [unique('findings_case_key').on(t.caseId, t.key)],
);

// ── workflow ────────────────────────────────────────────────────────────────
export const assignments = pgTable(
  'assignments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    /** The case's project, so a reader's open assignments are constrained per project. */
    projectId: uuid('project_id').references(() => projects.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    role: assignmentRole('role').notNull(),
    status: assignmentStatus('status').notNull().default('open'),
    /** Reader assignments: current (being read) or next (reserved, prefetchable). */
    slot: assignmentSlot('slot'),
    /** Where the case sat in this reader's order when assigned (reproducible order). */
    orderKey: bigint('order_key', { mode: 'bigint' }),
    assignedAt: ts('assigned_at').notNull().defaultNow(),
    expiresAt: ts('expires_at'),
    closedAt: ts('closed_at'),
  },
  (t) => [
    // One open assignment per case, person and role.
    uniqueIndex('assignments_one_open').on(t.caseId, t.userId, t.role).where(sql`${t.status} = 'open'`),
    // Per reader and project: at most one current case and one reserved next.
    uniqueIndex('assignments_one_current').on(t.projectId, t.userId).where(sql`${t.status} = 'open' and ${t.role} = 'reader' and ${t.slot} = 'current'`),
    uniqueIndex('assignments_one_next').on(t.projectId, t.userId).where(sql`${t.status} = 'open' and ${t.role} = 'reader' and ${t.slot} = 'next'`),
    // Open claims on a case (slot counting) and expiry sweeps.
    index('assignments_case_open_idx').on(t.caseId, t.role).where(sql`${t.status} = 'open'`),
    index('assignments_open_expiry_idx').on(t.expiresAt).where(sql`${t.status} = 'open'`),
    index('assignments_user_idx').on(t.userId, t.status),
    check('assignments_closed_consistent', sql`(${t.status} = 'open') = (${t.closedAt} is null)`),
    check('assignments_slot_readers', sql`${t.slot} is null or ${t.role} = 'reader'`),
  ],
);

/** Where each reader is in their order through a project's cases (their cursor). */
export const readerQueues = pgTable(
  'reader_queues',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    /** The order key and case last handed to this reader; the walk continues after it. */
    cursorKey: bigint('cursor_key', { mode: 'bigint' }),
    cursorCase: uuid('cursor_case'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] })],
);

export const reads = pgTable(
  'reads',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    findingId: uuid('finding_id').references(() => findings.id),
    source: readSource('source').notNull(),
    authorId: text('author_id').references(() => users.id),
    /** Answers keyed by reader-form field (and finding key for per-finding sections); null = cannot assess. */
    values: jsonb('values'),
    cannotAssessReason: text('cannot_assess_reason'),
    confidence: integer('confidence'),
    comment: text('comment'),
    timeSpentMs: integer('time_spent_ms'),
    clientRequestId: text('client_request_id').notNull(),
    supersedesId: uuid('supersedes_id'),
    amendmentReason: text('amendment_reason'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('reads_client_request_key').on(t.clientRequestId),
    index('reads_case_idx').on(t.caseId),
    index('reads_author_idx').on(t.authorId),
    uniqueIndex('reads_supersedes_once').on(t.supersedesId),
    check('reads_cannot_assess_reason', sql`${t.values} is not null or ${t.cannotAssessReason} is not null`),
    check('reads_amend_reason', sql`${t.supersedesId} is null or ${t.amendmentReason} is not null`),
    check('reads_human_author', sql`${t.source} not in ('reader','adjudicator') or ${t.authorId} is not null`),
    check('reads_confidence_range', sql`${t.confidence} is null or ${t.confidence} between 0 and 100`),
    check('reads_time_nonnegative', sql`${t.timeSpentMs} is null or ${t.timeSpentMs} >= 0`),
  ],
);

export const extractionRules = pgTable(
  'extraction_rules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id').references(() => projects.id),
    name: text('name').notNull(),
    version: integer('version').notNull(),
    rules: jsonb('rules').notNull(),
    createdAt: createdAt(),
  },
  (t) => [unique('extraction_rules_name_version').on(t.projectId, t.name, t.version).nullsNotDistinct()],
);

export const evidence = pgTable(
  'evidence',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    findingId: uuid('finding_id').references(() => findings.id),
    kind: evidenceKind('kind').notNull(),
    evidenceDate: date('evidence_date', { mode: 'string' }).notNull(),
    resultCode: text('result_code'),
    text: text('text'),
    /** How the value was obtained: manual entry, import, or extraction rule + version. */
    extraction: jsonb('extraction').notNull().default({ method: 'manual' }),
    extractionRuleId: uuid('extraction_rule_id').references(() => extractionRules.id),
    enteredBy: text('entered_by').references(() => users.id),
    clientRequestId: text('client_request_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('evidence_client_request_key').on(t.clientRequestId),
    index('evidence_case_idx').on(t.caseId),
    check('evidence_has_content', sql`${t.resultCode} is not null or ${t.text} is not null`),
  ],
);

/** Issues fixed-order queue keys (the project's import order). */
export const caseQueueOrder = pgSequence('case_queue_order');

export const caseWorkflows = pgTable(
  'case_workflows',
  {
    caseId: uuid('case_id')
      .primaryKey()
      .references(() => cases.id),
    machineVersion: text('machine_version').notNull(),
    snapshot: jsonb('snapshot').notNull(),
    /** Top-level state value, denormalised for queues and filters. */
    state: text('state').notNull(),
    eventCount: integer('event_count').notNull(),
    headHash: text('head_hash').notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    // Queue columns: derived from the snapshot by the runtime in each event's transaction, so
    // queues are index scans that never read candidates' snapshots (workflows/queue-columns.ts).
    projectId: uuid('project_id').references(() => projects.id),
    /** The case's place in the project's order (seeded hash of project and case, or import order). */
    queueKey: bigint('queue_key', { mode: 'bigint' }).notNull().default(sql`0`),
    /** Reads still wanted in the current round (0 unless awaiting reads). */
    openReadSlots: integer('open_read_slots').notNull().default(0),
    /** Adjudicator votes still wanted in the current batch (0 unless in adjudication). */
    openVoteSlots: integer('open_vote_slots').notNull().default(0),
    voteBatch: integer('vote_batch').notNull().default(0),
    /** When the current state was entered (ISO, from the snapshot): queues go oldest first. */
    stateSince: text('state_since').notNull().default(''),
  },
  (t) => [
    index('case_workflows_state_idx').on(t.state),
    index('case_workflows_reader_queue_idx').on(t.projectId, t.queueKey, t.caseId).where(sql`${t.openReadSlots} > 0`),
    index('case_workflows_adjudication_queue_idx').on(t.projectId, t.stateSince, t.caseId).where(sql`${t.openVoteSlots} > 0`),
    // Historical cases whose evidence the lead has not yet marked complete (case@5 evidenceHold).
    index('case_workflows_evidence_hold_idx').on(t.projectId, t.caseId).where(sql`(${t.snapshot} #> '{context,evidenceHold,released}') = 'null'::jsonb`),
    check('case_workflows_count_positive', sql`${t.eventCount} >= 1`),
  ],
);

/**
 * Who took part in a case's current round (read it, or voted as adjudicator): they are not
 * eligible to read it again in that round. Kept by the runtime with each event.
 */
export const roundParticipants = pgTable(
  'round_participants',
  {
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    role: assignmentRole('role').notNull(),
    /** Adjudicators: the latest vote batch they voted in. */
    voteBatch: integer('vote_batch'),
  },
  (t) => [primaryKey({ columns: [t.userId, t.caseId, t.role] }), index('round_participants_case_idx').on(t.caseId)],
);

/** The chain head each case had when `verify` last passed it (`verify --since`). */
export const caseVerifications = pgTable('case_verifications', {
  caseId: uuid('case_id')
    .primaryKey()
    .references(() => cases.id),
  eventCount: integer('event_count').notNull(),
  headHash: text('head_hash').notNull(),
  verifiedAt: ts('verified_at').notNull().defaultNow(),
});

export const workflowEvents = pgTable(
  'workflow_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    payload: jsonb('payload').notNull(),
    actorId: text('actor_id').references(() => users.id),
    /** ISO-8601 string made by the application: it is hashed, so it must not be reformatted by the database. */
    occurredAt: text('occurred_at').notNull(),
    machineVersion: text('machine_version').notNull(),
    hash: text('hash').notNull(),
    prevHash: text('prev_hash').notNull(),
    clientRequestId: text('client_request_id').notNull(),
  },
  (t) => [
    unique('workflow_events_case_seq').on(t.caseId, t.seq),
    uniqueIndex('workflow_events_client_request_key').on(t.clientRequestId),
    check('workflow_events_seq_positive', sql`${t.seq} >= 1`),
  ],
);

export const truthLabels = pgTable(
  'truth_labels',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    findingId: uuid('finding_id').references(() => findings.id),
    version: integer('version').notNull(),
    state: truthState('state').notNull(),
    value: jsonb('value'),
    /** How it was reached: consensus rule, adjudication, pathology mapping, follow-up window… */
    method: text('method').notNull(),
    derivedFromReads: jsonb('derived_from_reads').$type<string[]>().notNull().default([]),
    derivedFromEvidence: jsonb('derived_from_evidence').$type<string[]>().notNull().default([]),
    policyVersion: integer('policy_version').notNull(),
    ruleVersion: text('rule_version').notNull().default(''),
    deciderId: text('decider_id').references(() => users.id),
    rationale: text('rationale'),
    supersedesId: uuid('supersedes_id'),
    eventSeq: integer('event_seq'),
    createdAt: createdAt(),
  },
  (t) => [unique('truth_labels_subject_version').on(t.caseId, t.findingId, t.version).nullsNotDistinct(), check('truth_labels_version_positive', sql`${t.version} >= 1`)],
);

export const reviews = pgTable(
  'reviews',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    findingId: uuid('finding_id').references(() => findings.id),
    kind: reviewKind('kind').notNull(),
    openedAt: ts('opened_at').notNull().defaultNow(),
    reason: text('reason').notNull(),
    evidenceId: uuid('evidence_id').references(() => evidence.id),
    outcome: reviewOutcome('outcome'),
    outcomeReason: text('outcome_reason'),
    closedBy: text('closed_by').references(() => users.id),
    closedAt: ts('closed_at'),
  },
  (t) => [
    uniqueIndex('reviews_one_open').on(t.caseId, t.findingId, t.kind).where(sql`${t.closedAt} is null`),
    check('reviews_closed_consistent', sql`(${t.closedAt} is null) = (${t.outcome} is null)`),
  ],
);

export const scheduledEvents = pgTable(
  'scheduled_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    dueAt: ts('due_at').notNull(),
    eventType: text('event_type').notNull(),
    payload: jsonb('payload').notNull().default({}),
    status: scheduledStatus('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    firedAt: ts('fired_at'),
    createdAt: createdAt(),
  },
  (t) => [index('scheduled_events_due_idx').on(t.dueAt).where(sql`${t.status} = 'pending'`)],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    name: text('name').notNull(),
    /** SHA-256 of the token: the token itself is shown once and never stored. */
    tokenHash: text('token_hash').notNull(),
    projectIds: jsonb('project_ids').$type<string[]>().notNull(),
    lastUsedAt: ts('last_used_at'),
    revokedAt: ts('revoked_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('api_tokens_hash_key').on(t.tokenHash)],
);

export const releases = pgTable(
  'releases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    number: integer('number').notNull(),
    contentHash: text('content_hash').notNull(),
    chainHeads: jsonb('chain_heads').notNull(),
    split: jsonb('split').notNull(),
    files: jsonb('files').notNull(),
    createdBy: text('created_by').references(() => users.id),
    createdAt: createdAt(),
    /** Test split held back: its truth only for the lead and the people named (release_grants), every download logged. */
    sequestered: boolean('sequestered').notNull().default(false),
    /** Cases not yet settled when it was made (the lead confirmed), STARD flow counts; see releases.server.ts. */
    counts: jsonb('counts').notNull().default({}),
  },
  (t) => [unique('releases_project_number').on(t.projectId, t.number)],
);

/** People the lead named who may download a sequestered release's held-back truth. */
export const releaseGrants = pgTable(
  'release_grants',
  {
    releaseId: uuid('release_id')
      .notNull()
      .references(() => releases.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    grantedBy: text('granted_by').references(() => users.id),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.releaseId, t.userId] })],
);

/** Cases whose truth a sequestered release holds back: plain exports and later releases withhold it too. */
export const sequesteredCases = pgTable(
  'sequestered_cases',
  {
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    releaseId: uuid('release_id')
      .notNull()
      .references(() => releases.id),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
  },
  (t) => [primaryKey({ columns: [t.caseId, t.releaseId] }), index('sequestered_cases_project_idx').on(t.projectId, t.caseId)],
);

export const statsCache = pgTable(
  'stats_cache',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    projectVersion: integer('project_version').notNull(),
    key: text('key').notNull(),
    payload: jsonb('payload').notNull(),
    computedAt: ts('computed_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.projectVersion, t.key] })],
);

/**
 * Cases per project (withdrawn counted apart), kept by statement-level triggers on `cases`
 * (migration project_case_counts): pages show a project's size without counting its cases.
 * No foreign key: the row may outlive its project's deletion, and the triggers never wait on one.
 */
export const projectCaseCounts = pgTable('project_case_counts', {
  projectId: uuid('project_id').primaryKey(),
  cases: integer('cases').notNull().default(0),
  withdrawn: integer('withdrawn').notNull().default(0),
});

/**
 * Cases per project and workflow state, kept by triggers on `case_workflows` (migration
 * project_state_counts_triggers): the overview shows cases by state without grouping the project.
 * Each case counts in one of 16 shards (from its id) so state changes of concurrent events on
 * different cases rarely wait on the same counter row; a state's count is the sum over its shards.
 */
export const projectStateCounts = pgTable(
  'project_state_counts',
  {
    projectId: uuid('project_id').notNull(),
    state: text('state').notNull(),
    shard: integer('shard').notNull(),
    n: integer('n').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.state, t.shard] })],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: ts('at').notNull().defaultNow(),
    actorId: text('actor_id').references(() => users.id),
    action: text('action').notNull(),
    projectId: uuid('project_id').references(() => projects.id),
    caseId: uuid('case_id').references(() => cases.id),
    target: text('target'),
    ip: text('ip'),
    reason: text('reason'),
    details: jsonb('details').notNull().default({}),
  },
  (t) => [index('audit_log_project_idx').on(t.projectId, t.at), index('audit_log_case_idx').on(t.caseId)],
);

// ── background jobs ─────────────────────────────────────────────────────────
export const jobStatus = pgEnum('job_status', ['queued', 'running', 'succeeded', 'failed', 'cancelled']);

/** Long work (imports, exports, releases): taken FOR UPDATE SKIP LOCKED by any server instance. */
export const jobs = pgTable(
  'jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind').notNull(),
    projectId: uuid('project_id').references(() => projects.id),
    createdBy: text('created_by').references(() => users.id),
    status: jobStatus('status').notNull().default('queued'),
    params: jsonb('params').notNull().default({}),
    /** Progress: `done` of `total` units (rows, cases); `phase` says what is being done. */
    done: integer('done').notNull().default(0),
    total: integer('total'),
    phase: text('phase').notNull().default(''),
    result: jsonb('result'),
    error: text('error'),
    cancelRequested: boolean('cancel_requested').notNull().default(false),
    attempts: integer('attempts').notNull().default(0),
    /** The instance running it; a running job whose heartbeat is stale was orphaned by a stop. */
    worker: text('worker'),
    heartbeatAt: ts('heartbeat_at'),
    createdAt: createdAt(),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    index('jobs_queue_idx').on(t.createdAt).where(sql`${t.status} = 'queued'`),
    index('jobs_project_idx').on(t.projectId, t.createdAt),
    check('jobs_done_nonnegative', sql`${t.done} >= 0`),
  ],
);

/** An uploaded file, stored in pieces so a job can stream it (and still has it after a restart). */
export const jobInputs = pgTable(
  'job_inputs',
  {
    inputId: uuid('input_id').notNull(),
    seq: integer('seq').notNull(),
    chunk: text('chunk').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.inputId, t.seq] })],
);

/** Rows a job prepared, invisible until its one short final step copies them into place. */
export const jobStaging = pgTable(
  'job_staging',
  {
    jobId: uuid('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    row: jsonb('row').notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.seq] })],
);

// ── reader studies (docs/decisions/study-0001-design.md) ──────────
export const studyUnitKind = pgEnum('study_unit_kind', STUDY_UNIT_KINDS);
export const skipReason = pgEnum('skip_reason', SKIP_REASONS);
export const skipOutcome = pgEnum('skip_outcome', SKIP_OUTCOMES);

/** A reading unit of a study: a case row read in one arm (or a re-read copy, or a calibration case). */
export const studyUnits = pgTable(
  'study_units',
  {
    caseId: uuid('case_id')
      .primaryKey()
      .references(() => cases.id),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    /** The clinical case the unit reads (the imported case id): arms and re-reads of one case share it. */
    sourceKey: text('source_key').notNull(),
    kind: studyUnitKind('kind').notNull(),
    /** The arm's key from the study definition; null for calibration cases. */
    arm: text('arm'),
    /** Split-plot case block (0 in a fully crossed study). */
    block: integer('block').notNull().default(0),
    /** Calibration cases: the known answer and why. */
    truth: jsonb('truth'),
    explanation: text('explanation'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('study_units_source_key').on(t.projectId, t.sourceKey, t.kind, t.arm), index('study_units_project_idx').on(t.projectId, t.kind)],
);

/** Each reader's reading plan: their own seeded order of units, by session; recorded when first asked, so it replays. */
export const studyPlan = pgTable(
  'study_plan',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    seq: integer('seq').notNull(),
    session: integer('session').notNull(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    kind: studyUnitKind('kind').notNull(),
    arm: text('arm'),
    /** The unit's key in this reader's seeded order (md5 of project, reader, session, case). */
    orderKey: bigint('order_key', { mode: 'bigint' }).notNull(),
    /** Days after the reader's last read of the previous session before this session opens. */
    washoutDays: integer('washout_days').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId, t.seq] }), uniqueIndex('study_plan_unit').on(t.projectId, t.userId, t.caseId)],
);

/** A reader's skip of a unit, with the reason and what the study's rule made of it. */
export const studySkips = pgTable(
  'study_skips',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    reason: skipReason('reason').notNull(),
    outcome: skipOutcome('outcome').notNull(),
    note: text('note').notNull().default(''),
    createdAt: createdAt(),
  },
  (t) => [index('study_skips_reader_idx').on(t.projectId, t.userId, t.caseId)],
);

/** AI model output per clinical case, shown to readers in aided arms only. */
export const aiResults = pgTable(
  'ai_results',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    sourceKey: text('source_key').notNull(),
    modelName: text('model_name').notNull(),
    modelVersion: text('model_version').notNull(),
    score: doublePrecision('score').notNull(),
    label: text('label').notNull(),
    importedBy: text('imported_by').references(() => users.id),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('ai_results_case_model').on(t.projectId, t.sourceKey, t.modelName, t.modelVersion)],
);
/**
 * Time a reader has had a case in front of them, per reader assignment: visible milliseconds
 * reported by the reading page (hidden tabs excluded), summed across reloads from the first view.
 * Private to that reader's assignment; read only when their own read is recorded.
 */

export const caseViewTimes = pgTable('case_view_times', {
  assignmentId: uuid('assignment_id')
    .primaryKey()
    .references(() => assignments.id, { onDelete: 'cascade' }),
  visibleMs: bigint('visible_ms', { mode: 'number' }).notNull().default(0),
  firstViewedAt: ts('first_viewed_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

// ── labels from report rules, reviewed before they become evidence ───────────
/**
 * One row per imported report × finding from a run of a project's report rules (a `reports.label`
 * job over evidence rows with text). A random sample per status is marked for the lead's review;
 * only after every sampled label is accepted or corrected are the run's labels recorded as
 * evidence events (provenance: rule version, source report, this label).
 */
export const reportLabels = pgTable(
  'report_labels',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    jobId: uuid('job_id')
      .notNull()
      .references(() => jobs.id),
    ruleId: uuid('rule_id')
      .notNull()
      .references(() => extractionRules.id),
    /** The report the label was read from (an evidence row with text). */
    evidenceId: uuid('evidence_id')
      .notNull()
      .references(() => evidence.id),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    finding: text('finding').notNull(),
    status: text('status').notNull(),
    matched: text('matched').notNull().default(''),
    sentence: text('sentence').notNull().default(''),
    trigger: text('trigger').notNull().default(''),
    sampled: boolean('sampled').notNull().default(false),
    /** pending → accepted | corrected (then reviewedStatus holds the lead's answer). */
    review: text('review').notNull().default('pending'),
    reviewedStatus: text('reviewed_status'),
    reviewedBy: text('reviewed_by').references(() => users.id),
    reviewedAt: ts('reviewed_at'),
  },
  (t) => [
    unique('report_labels_once').on(t.jobId, t.evidenceId, t.finding),
    index('report_labels_job_status_idx').on(t.jobId, t.status),
    index('report_labels_job_sampled_idx').on(t.jobId).where(sql`${t.sampled}`),
    check('report_labels_review', sql`${t.review} in ('pending','accepted','corrected') and (${t.review} = 'corrected') = (${t.reviewedStatus} is not null)`),
  ],
);

// ── marks imported from other tools ────────────────────────────────────────────
/**
 * Lesions imported from another tool's file (COCO JSON or a DICOM SR measurement report) for one
 * case, under a named source: `model` = an AI model's detections (the marks for an aided arm),
 * `reference` = prior annotations (locations for the reference standard). Outside the case's event
 * chain on purpose: they are inputs the lead brings, not reads or truth; re-importing a source
 * replaces its lesions for the cases in the file.
 */
export const importedMarks = pgTable(
  'imported_marks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    source: text('source').notNull(),
    sourceKind: text('source_kind').notNull(),
    format: text('format').notNull(),
    lesions: jsonb('lesions').notNull(),
    importedBy: text('imported_by').references(() => users.id),
    jobId: uuid('job_id').references(() => jobs.id),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('imported_marks_case_source').on(t.projectId, t.caseId, t.source), index('imported_marks_case_idx').on(t.caseId)],
);
