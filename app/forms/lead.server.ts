/** Forms of the lead's pages (one schema per form): server-only, so zod stays out of the pages' JavaScript (the server answers with the same messages). */
import { z } from 'zod';
import { DISCORDANCE_OUTCOMES } from '../../domain/vocabulary.ts';
import { uuidField } from '../../domain/vocabulary-schemas.server.ts';
import { requestIdField } from './evidence.server.ts';
import { SLUG_RE, TEMPLATES } from './lead.ts';

/** The lead marks the evidence of the project's historical cases complete (import page). */
export const evidenceCompleteFormSchema = z.object({
  intent: z.literal('evidence-complete'),
  reason: z.string().trim().min(1, 'Say why the evidence is complete, e.g. "all pathology up to 2024 is loaded"').max(500),
});

export const importFormSchema = z.object({
  intent: z.enum(['preview', 'import']),
  text: z
    .string()
    .max(10 * 1024 * 1024, 'The manifest is larger than 10 MB: split it')
    .default(''),
  format: z.enum(['auto', 'csv', 'json']).default('auto'),
  assign: z.literal('on').optional(),
  ratio: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?\/\d+(\.\d+)?\/\d+(\.\d+)?$/, 'Write three numbers train/validation/test, e.g. 70/10/20')
    .default('70/10/20'),
});

export const exclusionSchema = z.object({
  intent: z.literal('exclusion'),
  clientRequestId: requestIdField,
  caseId: uuidField('Unknown case'),
  decision: z.enum(['exclude', 'keep'], { message: 'Choose whether to exclude the case' }),
  reason: z.string().trim().min(3, 'Say why (at least 3 characters)').max(2000, 'Use at most 2000 characters'),
});

export const reopenSchema = z.object({
  intent: z.literal('reopen'),
  clientRequestId: requestIdField,
  reason: z.string().trim().min(3, 'Say why the case is reopened (at least 3 characters)').max(2000, 'Use at most 2000 characters'),
});

export const newProjectSchema = z.object({
  name: z.string().trim().min(3, 'Give the project a name (at least 3 characters)').max(200, 'Use at most 200 characters'),
  slug: z.string().trim().toLowerCase().regex(SLUG_RE, 'Use 2–63 lowercase letters, digits and hyphens, starting with a letter or digit'),
  description: z.string().trim().max(4000, 'Use at most 4000 characters').default(''),
  licence: z.string().trim().max(200, 'Use at most 200 characters').default(''),
  template: z.enum(TEMPLATES, { message: 'Choose a starting point' }),
});

export const versionFormSchema = z.object({
  intent: z.enum(['preview', 'save', 'describe']),
  baseVersion: z.coerce.number().int().min(1),
  readerForm: z.string().min(1, 'Enter the reader form as JSON'),
  referenceStandard: z.string().min(1, 'Enter the reference standard as JSON'),
  mapping: z.string().min(1, 'Enter the mapping as JSON'),
  truthPolicy: z.string().min(1, 'Enter the truth policy as JSON'),
  /** The reader-study design as JSON; empty: not a study; absent from the post: the stored design is kept. */
  study: z.string().optional(),
  note: z.string().trim().max(2000, 'Use at most 2000 characters').default(''),
});

export const projectDetailsSchema = z.object({
  intent: z.literal('details'),
  name: z.string().trim().min(3, 'Give the project a name (at least 3 characters)').max(200, 'Use at most 200 characters'),
  description: z.string().trim().max(4000, 'Use at most 4000 characters').default(''),
  licence: z.string().trim().max(200, 'Use at most 200 characters').default(''),
});

export const discordanceSchema = z.object({
  intent: z.literal('discordance'),
  clientRequestId: requestIdField,
  reviewId: uuidField('Unknown review'),
  outcome: z.enum(DISCORDANCE_OUTCOMES, { message: 'Choose an outcome' }),
  value: z.enum(['', 'positive', 'negative']).default(''),
  reason: z.string().trim().min(3, 'Say why (at least 3 characters)').max(2000, 'Use at most 2000 characters'),
});

/** The evidence upload page (app/routes/projects.$slug.evidence.tsx): CSV or FHIR, as the CLI takes. */
export const evidenceUploadSchema = z.object({
  intent: z.enum(['preview', 'import']),
  text: z
    .string()
    .max(10 * 1024 * 1024, 'The file is larger than 10 MB: split it')
    .default(''),
  format: z.enum(['auto', 'csv', 'fhir']).default('auto'),
  rules: z
    .string()
    .max(1024 * 1024, 'The extraction rules are larger than 1 MB')
    .default(''),
});

/** The Releases page: make a release (app/routes/projects.$slug.releases._index.tsx). */
export const releaseFormSchema = z.object({
  intent: z.literal('release'),
  confirm: z.literal('on').optional(),
  sequester: z.literal('on').optional(),
});

/** A release's page: name or un-name a member who may download its held-back truth. */
export const releaseGrantSchema = z.object({
  intent: z.enum(['grant', 'revoke']),
  userId: z.string().min(1, 'Choose a member').max(200),
});

/** The Export page's complete export (a background job). */
export const exportJobFormSchema = z.object({ format: z.enum(['csv', 'jsonl', 'parquet']) });
