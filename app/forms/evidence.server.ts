/** The lead's evidence and withdrawal forms: one schema each, parsed on both sides. */
import { z } from 'zod';

import { evidenceKindSchema, uuidField } from '../../domain/vocabulary-schemas.server.ts';

/** Minted by the page's loader: a double submit of the same page is one request (the runtime's idempotency). */
export const requestIdField = uuidField('The form is out of date: reload the page');

const isoDate = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Enter the date as YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'This date does not exist');

export const evidenceFormSchema = z
  .object({
    intent: z.literal('record'),
    clientRequestId: requestIdField,
    /** A finding key, or empty for the whole case. */
    finding: z
      .string()
      .trim()
      .max(40)
      .optional()
      .transform((v) => v || null),
    kind: z.enum(evidenceKindSchema.options, { message: 'Choose the kind of evidence' }),
    date: isoDate,
    resultCode: z
      .string()
      .trim()
      .max(200, 'At most 200 characters')
      .optional()
      .transform((v) => v || null),
    text: z
      .string()
      .max(20000, 'At most 20000 characters')
      .optional()
      .transform((v) => (v && v.trim() ? v : null)),
  })
  .refine((d) => d.resultCode || d.text, { message: 'Enter a result code or the text of the result', path: ['resultCode'] });

export const withdrawFormSchema = z.object({
  clientRequestId: requestIdField,
  reason: z.string().trim().min(3, 'Give the reason (for example: consent withdrawn)').max(4000, 'At most 4000 characters'),
  confirm: z.literal('yes', { message: 'Tick the box to confirm that identifying data will be purged' }),
});
