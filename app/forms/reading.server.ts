/** The reading and adjudication pages' form schemas: server-only, so zod stays out of their JavaScript. */
import { z } from 'zod';
import { uuidField } from '../../domain/vocabulary-schemas.server.ts';

export const readEnvelopeSchema = z.object({
  intent: z.enum(['read', 'amend']),
  clientRequestId: uuidField('The form is out of date: reload the page'),
  supersedesReadId: z.string().optional(),
  reason: z.string().trim().optional(),
  next: z.string().optional(),
});

export const decisionSchema = z.object({
  intent: z.enum(['decide', 'more']),
  clientRequestId: uuidField('The form is out of date: reload the page'),
  mode: z.enum(['pick', 'enter']).optional(),
  pickReadId: z.string().optional(),
  rationale: z.string().trim().min(1, 'A rationale is required: say why').max(4000),
});

// Keyset page of the adjudication queue: the waiting-since time and case id of the last row shown (a bad value shows page 1).
export const queueAfterSchema = z.object({ since: z.string().datetime(), case: z.string().uuid() });

export const claimSchema = z.object({ caseId: uuidField('Choose a case from the queue') });
