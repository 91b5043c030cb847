/** The lead's report-rules tester and FHIR evidence import (one schema per form): server-only, so zod stays out of the pages' JavaScript (the server answers with the same messages). */
import { z } from 'zod';
import { STATUSES } from '../../reports/extract.ts';

const rulesText = z.string().max(200_000, 'The rules are longer than 200,000 characters');

export const rulesTestSchema = z.object({
  intent: z.literal('test'),
  rules: rulesText.trim().min(1, 'Paste the rules (JSON)'),
  report: z.string().max(100_000, 'The report is longer than 100,000 characters').trim().min(1, 'Paste a report to test'),
});

export const fhirImportSchema = z.object({
  intent: z.enum(['fhir-preview', 'fhir-import']),
  text: z
    .string()
    .max(10 * 1024 * 1024, 'The file is larger than 10 MB: split it')
    .default(''),
  rules: rulesText.default(''),
  useRules: z.literal('on').optional(),
});

/** Saving the rules as the project's next version. */
export const rulesSaveSchema = z.object({
  intent: z.literal('save'),
  rules: rulesText.trim().min(1, 'Paste the rules (JSON)'),
});

/** Running a saved version over the project's imported reports. */
export const labelRunSchema = z.object({
  intent: z.literal('run'),
  ruleId: z.string().uuid('Choose a saved version of the rules'),
  sample: z.coerce.number({ error: 'A whole number of labels' }).int('A whole number of labels').min(1, 'At least 1 label per status').max(50, 'At most 50 labels per status'),
});

/** The lead's answer for one sampled label, and recording a reviewed run. */
export const labelReviewSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('review'), labelId: z.string().uuid('No such label'), status: z.enum(STATUSES, { error: 'Choose a status' }) }),
  z.object({ intent: z.literal('record') }),
]);
