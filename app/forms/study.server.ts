/** The reader-study forms: one zod schema each, used by the pages' actions. */
import { z } from 'zod';
import { skipReasonSchema } from '../../domain/vocabulary-schemas.server.ts';

/** The lead makes the study's reading units from the imported cases. */
export const studySetupSchema = z.object({ intent: z.literal('setup', { message: 'unknown action' }) });

/** A reader skips the case they hold, with a reason. */
export const studySkipSchema = z.object({
  reason: skipReasonSchema.refine(() => true, { message: 'say why you skip this case' }),
  note: z.string().trim().max(500, 'keep the note under 500 characters').default(''),
});

/** The lead imports AI results: CSV or JSON (the file is read into `text` by the action). */
export const aiResultsFormSchema = z.object({ format: z.enum(['csv', 'json'], { message: 'choose CSV or JSON' }) });
