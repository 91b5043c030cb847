/**
 * The reader form's server-side parse: the read schema (workflows/read-schema.ts, built from the
 * project's reader form) checks the values before anything is recorded. Server-only so zod stays
 * out of the reading page's JavaScript.
 */
import { z } from 'zod';
import type { ReaderForm, ReadValues } from '../../workflows/definition.ts';
import { readValuesSchema } from '../../workflows/read-schema.ts';
import { fieldName, NO_REASON, UNANSWERED, valuesFromFormData } from './reader-form.ts';

const extrasSchema = z.object({
  comment: z.string().max(4000, 'Keep the comment under 4000 characters').optional(),
  confidence: z.coerce.number().int().min(0).max(100).optional(),
});

export type ParsedRead =
  | { ok: true; values: ReadValues | null; cannotAssessReason?: string; comment?: string; confidence?: number }
  | { ok: false; errors: Record<string, string[]> };

/** Parses a read (or a cannot-assess) from the reader form; errors are keyed by HTML field name. */
export function parseReadForm(form: ReaderForm, fd: FormData, opts: { only?: string[]; partial?: boolean; missingMessage?: string } = {}): ParsedRead {
  const errors: Record<string, string[]> = {};
  const extras = extrasSchema.safeParse({
    comment: (fd.get('comment') as string | null) || undefined,
    confidence: (fd.get('confidence') as string | null) || undefined,
  });
  if (!extras.success) for (const i of extras.error.issues) (errors[String(i.path[0])] ??= []).push(i.message);
  if (fd.get('cannotAssess') === 'on') {
    const reason = String(fd.get('cannotAssessReason') ?? '').trim();
    if (!reason) errors.cannotAssessReason = [NO_REASON];
    if (Object.keys(errors).length) return { ok: false, errors };
    return { ok: true, values: null, cannotAssessReason: reason, ...(extras.success ? extras.data : {}) };
  }
  const values = valuesFromFormData(form, fd, opts.only);
  const schema = readValuesSchema(form, { only: opts.only, partial: opts.partial });
  const r = schema.safeParse(values);
  if (!r.success) {
    for (const i of r.error.issues) {
      const key = i.path.length ? fieldName(String(i.path[0])) : '_form';
      const missing = i.path.length > 0 && values[String(i.path[0])] === undefined;
      (errors[key] ??= []).push(missing ? (opts.missingMessage ?? UNANSWERED) : i.message);
    }
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, values: r.data as ReadValues, ...(extras.success ? extras.data : {}) };
}
