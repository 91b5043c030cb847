/** The lead's report-rules tester and FHIR evidence import (one schema per form): server-only, so zod stays out of the pages' JavaScript (the server answers with the same messages). */
import { z } from 'zod';

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
