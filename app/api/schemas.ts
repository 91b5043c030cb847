/**
 * The API's zod schemas: request bodies and query strings the handlers parse with, and the
 * response shapes they build. /api/v1/openapi.json is generated from these same objects
 * (app/api/openapi.ts), so the document cannot drift from the code. JSON field names are
 * snake_case, as in the file formats of DESIGN.md ("JSON forms carry the same fields").
 */
import { z } from 'zod';
import { evidenceKindSchema, projectRoleSchema, splitSchema, truthStateSchema, uuidSchema } from '../../domain/vocabulary-schemas.server.ts';
import { readerFormSchema } from '../../workflows/definition.ts';
import type { TruthRecord } from '../models/export.server.ts';

// ── errors ─────────────────────────────────────────────────────────────────────

/** Stable error codes and their HTTP statuses. Clients branch on `code`, people read `message`. */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  invalid_cursor: 400,
  unauthorized: 401,
  forbidden: 403,
  token_out_of_scope: 403,
  not_found: 404,
  method_not_allowed: 405,
  state_conflict: 409,
  idempotency_conflict: 409,
  no_assignment: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  invalid_rows: 422,
  internal: 500,
  unavailable: 503,
} as const;
export type ApiErrorCode = keyof typeof ERROR_STATUS;
const ERROR_CODES = Object.keys(ERROR_STATUS) as [ApiErrorCode, ...ApiErrorCode[]];

export const errorSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES).describe('Stable, machine-readable code.'),
      message: z.string().describe('For people: what went wrong and what to do.'),
      details: z.unknown().describe('Structured detail (e.g. a list of {row, field, message}), or null.'),
    }),
  })
  .describe('Every error answer.');

// ── common ─────────────────────────────────────────────────────────────────────

const isoDateTime = z.string().describe('ISO 8601 date-time (UTC).');
const uuid = uuidSchema;
export const nextCursor = z.string().nullable().describe('Opaque: pass as ?cursor= for the next page; null on the last page.');

export const pageQuery = z.object({
  cursor: z.string().max(500).optional().describe('From next_cursor of the previous page.'),
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Page size, 1–200.'),
});

export const roleSchema = projectRoleSchema;
export { splitSchema };

// ── projects ───────────────────────────────────────────────────────────────────

export const projectSchema = z.object({
  id: uuid,
  slug: z.string(),
  name: z.string(),
  description: z.string(),
  roles: z.array(roleSchema).describe('Your roles in the project.'),
});
export const projectListSchema = z.object({ projects: z.array(projectSchema) });

// ── cases ──────────────────────────────────────────────────────────────────────

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'use YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'not a calendar date');
const imageRef = z
  .string()
  .max(2000)
  .regex(/^(https?:\/\/\S+|\/\S+|dicomweb:\S+\/studies\/\S+)$/, 'an image reference is an http(s) URL, a /path, or dicomweb:<server>/studies/<uid>[/series/<uid>]');
const text = (max: number) => z.string().trim().max(max);

/** One row of a bulk create: the case manifest's columns (DESIGN.md "File formats"). */
export const caseInputSchema = z.strictObject({
  case_id: text(200).min(1).describe("The importer's case id (accession or similar); unique in the project."),
  patient_id: text(200).min(1).describe('Pseudonymous patient id — never a real MRN.'),
  study_date: isoDate,
  modality: text(16).default(''),
  body_part: text(64).default(''),
  split: splitSchema.default('unassigned').describe('Per patient: every case of a patient must name the same split.'),
  images: z.array(imageRef).max(200).default([]),
  study_instance_uid: text(128).min(1).optional(),
  metadata: z.record(z.string().max(100), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()])).default({}),
});
export const bulkCreateCasesSchema = z.strictObject({
  cases: z.array(z.unknown()).min(1).max(5000).describe('1–5000 rows, each a case manifest row (see CaseInput). All or nothing.'),
});
export const MAX_BULK_ROWS = 5000;

export const caseSchema = z.object({
  id: uuid.describe('Opaque case id used by this API.'),
  case_id: z.string().nullable().describe("The importer's id (null once withdrawn)."),
  patient_id: z.string().nullable().describe('Null once withdrawn.'),
  study_date: z.string().nullable().describe('Null once withdrawn.'),
  modality: z.string(),
  body_part: z.string(),
  split: splitSchema,
  images: z.array(z.string()).describe('Empty once withdrawn.'),
  metadata: z.record(z.string(), z.unknown()).describe('Empty once withdrawn.'),
  project_version: z.number().int(),
  state: z.string().nullable().describe('Workflow state (awaitingReads, evaluating, adjudication, decided, exclusionReview, excluded…).'),
  withdrawn: z.boolean(),
  created_at: isoDateTime,
});
export const caseListSchema = z.object({ cases: z.array(caseSchema), next_cursor: nextCursor });
export const bulkCreateResultSchema = z.object({
  created: z.number().int(),
  cases: z.array(z.object({ id: uuid, case_id: z.string(), state: z.string() })),
});

// ── reading ────────────────────────────────────────────────────────────────────

/** What a reader may see of a case: the images and acquisition, nothing about other reads or truth. */
export const readerCaseSchema = z.object({
  id: uuid,
  study_date: z.string(),
  modality: z.string(),
  body_part: z.string(),
  images: z.array(z.string()),
});
export const nextCaseSchema = z.object({
  assignment: z
    .object({ id: uuid, expires_at: isoDateTime.nullable(), reused: z.boolean().describe('true: your open assignment, handed out again.') })
    .nullable()
    .describe('null: nothing left for you to read in this project now.'),
  case: readerCaseSchema.nullable(),
  reader_form: readerFormSchema.nullable().describe('The form to answer; values are keyed by item key (field, or finding/field).'),
  item_keys: z.array(z.string()),
  next: z
    .object({ case_id: uuid, images: z.array(z.string()) })
    .nullable()
    .describe('The case reserved for you after this one (it holds your read slot and expires like any assignment): its images may be prefetched.'),
});

const readValues = z.record(z.string(), z.unknown());
export const submitReadSchema = z.strictObject({
  client_request_id: z.string().min(1).max(200).describe('Unique per read you mean to submit: a retry with the same id is acknowledged and changes nothing.'),
  values: readValues.nullable().describe('Answers keyed by item key; null = cannot assess (then give cannot_assess_reason).'),
  cannot_assess_reason: z.string().trim().min(1).max(4000).optional(),
  comment: z.string().max(4000).optional(),
  confidence: z.number().int().min(0).max(100).optional(),
  time_spent_ms: z.number().int().min(0).optional(),
});
export const submitReadResultSchema = z.object({
  read_id: uuid,
  case_id: uuid,
  repeat: z.boolean().describe('true: this client_request_id was submitted before; the first read stands and nothing changed.'),
});

export const readSchema = z.object({
  id: uuid,
  reader: z.string().describe('Your own reads: "you". Others: their user id, or "Reader N" when identities are masked.'),
  mine: z.boolean(),
  source: z.string(),
  finding: z.string().nullable(),
  values: readValues.nullable(),
  cannot_assess_reason: z.string().nullable(),
  confidence: z.number().int().nullable(),
  comment: z.string().nullable(),
  supersedes_id: z.string().nullable(),
  amendment_reason: z.string().nullable(),
  created_at: isoDateTime,
});

export const truthLabelSchema = z.object({
  id: uuid,
  finding: z.string().nullable().describe('Finding key, or null for a case-level truth.'),
  version: z.number().int(),
  state: truthStateSchema,
  value: z.unknown(),
  method: z.string(),
  derived_from_reads: z.array(z.string()),
  derived_from_evidence: z.array(z.string()),
  policy_version: z.number().int(),
  rule_version: z.string(),
  decider_id: z.string().nullable(),
  rationale: z.string().nullable(),
  supersedes_id: z.string().nullable(),
  event_seq: z.number().int().nullable(),
  created_at: isoDateTime,
});

export const caseDetailSchema = z.object({
  case: readerCaseSchema.extend({
    case_id: z.string().nullable().optional().describe('Leads only.'),
    patient_id: z.string().optional().describe('Leads only.'),
    split: splitSchema.optional().describe('Leads only.'),
  }),
  state: z.string().nullable().describe('Workflow state: leads, or a reader once reads are revealed; otherwise null.'),
  revealed: z.boolean().describe('Whether other reads and truth are visible to you for this case.'),
  reads: z.array(readSchema),
  truth: z.array(truthLabelSchema).nullable().describe('Current truth per case/finding with provenance; null when not visible to you.'),
});
export const readListSchema = z.object({ revealed: z.boolean(), reads: z.array(readSchema) });

// ── leads: truth, statistics, evidence, export ─────────────────────────────────

export const truthQuery = pageQuery.extend({
  history: z.enum(['true', 'false']).default('false').describe('true: every version, not only the current one.'),
});
export const truthListSchema = z.object({
  cases: z.array(z.object({ id: uuid, case_id: z.string().nullable(), state: z.string().nullable(), truth: z.array(truthLabelSchema) })),
  next_cursor: nextCursor,
});

export const agreementQuery = z.object({
  item: z.string().max(100).optional().describe('Reader-form item key (e.g. "pneumothorax", "left/birads"); default: the first item.'),
  arm: z.string().max(100).optional().describe('A reader study\'s arm key (e.g. "aided"): only that arm\'s reading units; default: every unit.'),
});
export const mrmcQuery = z.object({
  version: z.coerce.number().int().positive().optional().describe('Definition version (default: the newest).'),
});
/** The stats/ JSON document; its full JSON Schema is stats/agreement.schema.json (embedded in the OpenAPI document). */
export const agreementReportSchema = z.looseObject({ statistics: z.array(z.record(z.string(), z.unknown())) });

export const evidenceInputSchema = z
  .strictObject({
    client_request_id: z
      .string()
      .min(1)
      .max(200)
      .describe('Unique per result you mean to record: a retry with the same id is acknowledged (200, repeat: true) and records nothing.'),
    case_id: z.string().trim().min(1).max(200).describe("The importer's case id (as in the evidence file), or the opaque case id this API uses."),
    finding: z.string().trim().min(1).max(40).nullable().optional().describe('A finding key of the case (e.g. "left"); absent/null = the whole case.'),
    kind: evidenceKindSchema,
    date: isoDate.describe('Date of the result (YYYY-MM-DD).'),
    result_code: z.string().trim().max(200).optional().describe('Coded result, mapped by the project’s reference standard (e.g. "malignant").'),
    text: z.string().max(20_000).optional().describe('Free text (report wording); stored with the evidence, never in the hash chain.'),
  })
  .refine((b) => Boolean(b.result_code?.trim() || b.text?.trim()), { message: 'give a result_code or a text', path: ['result_code'] });
export const evidenceResultSchema = z.object({
  evidence_id: uuid,
  case_id: uuid.describe('Opaque case id.'),
  state: z.string().describe('The case’s workflow state after the event (e.g. decided, discordant).'),
  repeat: z.boolean().describe('true: this client_request_id was recorded before; the first result stands and nothing changed.'),
});

export const exportQuery = z.object({ format: z.enum(['csv', 'jsonl', 'prov']).default('jsonl') });

/** One export record (a line of the JSON Lines export): app/models/export.server.ts TruthRecord. */
export const exportRecordSchema = z.object({
  case_id: z.string().describe("The importer's case id."),
  case_uuid: uuid,
  patient_id: z.string(),
  split: z.string(),
  study_date: z.string(),
  project_version: z.number().int(),
  finding: z.string().nullable(),
  truth_state: z.string().describe('pending when the case has no truth yet.'),
  truth_value: z.unknown(),
  truth_version: z.number().int().nullable(),
  truth_id: z.string().nullable(),
  method: z.string().nullable(),
  policy_version: z.number().int().nullable(),
  rule_version: z.string().nullable(),
  decider_id: z.string().nullable(),
  decided_at: z.string().nullable(),
  rationale: z.string().nullable(),
  supersedes: z.string().nullable(),
  derived_from_reads: z.array(
    z.object({
      id: z.string(),
      source: z.string(),
      reader_id: z.string().nullable(),
      values: z.unknown(),
      created_at: z.string(),
      supersedes: z.string().nullable(),
      amendment_reason: z.string().nullable(),
    }),
  ),
  derived_from_evidence: z.array(
    z.object({ id: z.string(), kind: z.string(), date: z.string(), result_code: z.string().nullable(), finding: z.string().nullable(), extraction: z.unknown() }),
  ),
  workflow_state: z.string().nullable(),
  event_seq: z.number().int().nullable(),
  event_hash: z.string().nullable(),
  chain_head: z.string().nullable(),
  event_count: z.number().int().nullable(),
});
// The record schema and the model's type must not drift apart (checked by the compiler).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const exportRecordMatchesModel: Same<z.output<typeof exportRecordSchema>, TruthRecord> = true;
void exportRecordMatchesModel;

/** The PROV-JSON export: a W3C PROV-JSON document (https://www.w3.org/submissions/prov-json/). */
export const provDocumentSchema = z.looseObject({
  prefix: z.record(z.string(), z.string()),
  entity: z.record(z.string(), z.record(z.string(), z.unknown())),
  activity: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  agent: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  wasGeneratedBy: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  wasDerivedFrom: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  wasAttributedTo: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  wasAssociatedWith: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  specializationOf: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});
