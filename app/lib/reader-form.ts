/**
 * The reader form as HTML fields and back. One function turns submitted FormData into read
 * values; the same zod schema (workflows/read-schema.ts, built from the project's reader form)
 * checks them in the browser before submitting and on the server before recording.
 */
import { z } from 'zod';
import { formItems, type Field, type ReaderForm, type ReadValues } from '../../workflows/definition.ts';
import { readValuesSchema } from '../../workflows/read-schema.ts';
import { markValuesFromFormData } from '../components/marks-values.ts';

export const FIELD_PREFIX = 'item:';

export function fieldName(itemKey: string) {
  return `${FIELD_PREFIX}${itemKey}`;
}

function answerFrom(field: Field, raw: FormDataEntryValue[]): unknown {
  const strings = raw.filter((v): v is string => typeof v === 'string');
  if (field.kind === 'multi_label') return strings;
  const s = strings[0];
  if (s === undefined || s === '') return undefined;
  if (field.kind === 'binary') return s === 'true' ? true : s === 'false' ? false : s;
  if (field.kind === 'numeric') {
    const n = Number(s);
    return Number.isFinite(n) ? n : s;
  }
  return s;
}

/** Read values from a submitted reader form (unanswered items are left out). */
export function valuesFromFormData(form: ReaderForm, fd: FormData, only?: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of formItems(form)) {
    if (only && !only.includes(item.key)) continue;
    const v = answerFrom(item.field, fd.getAll(fieldName(item.key)));
    if (v !== undefined) out[item.key] = v;
  }
  Object.assign(out, markValuesFromFormData(form, fd, only));
  return out;
}

const extrasSchema = z.object({
  comment: z.string().max(4000, 'Keep the comment under 4000 characters').optional(),
  confidence: z.coerce.number().int().min(0).max(100).optional(),
});

export type ParsedRead =
  | { ok: true; values: ReadValues | null; cannotAssessReason?: string; comment?: string; confidence?: number }
  | { ok: false; errors: Record<string, string[]> };

/** Parses a read (or a cannot-assess) from the reader form; errors are keyed by HTML field name. */
export function parseReadForm(form: ReaderForm, fd: FormData, opts: { only?: string[]; partial?: boolean } = {}): ParsedRead {
  const errors: Record<string, string[]> = {};
  const extras = extrasSchema.safeParse({
    comment: (fd.get('comment') as string | null) || undefined,
    confidence: (fd.get('confidence') as string | null) || undefined,
  });
  if (!extras.success) for (const i of extras.error.issues) (errors[String(i.path[0])] ??= []).push(i.message);
  if (fd.get('cannotAssess') === 'on') {
    const reason = String(fd.get('cannotAssessReason') ?? '').trim();
    if (!reason) errors.cannotAssessReason = ['Say why this case cannot be assessed'];
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
      (errors[key] ??= []).push(missing ? 'Answer this item (or mark the case as cannot assess)' : i.message);
    }
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, values: r.data as ReadValues, ...(extras.success ? extras.data : {}) };
}

/** A human-readable answer ("BI-RADS 4 — Suspicious", "Present"). */
export function describeAnswer(field: Field, v: unknown): string {
  if (v === undefined || v === null) return '—';
  switch (field.kind) {
    case 'binary':
      return v === true ? field.trueLabel : v === false ? field.falseLabel : String(v);
    case 'nominal':
    case 'ordinal': {
      const all = field.kind === 'ordinal' ? [...field.options, ...field.outsideScale] : field.options;
      return all.find((o) => o.value === v)?.label ?? String(v);
    }
    case 'multi_label':
      return Array.isArray(v) ? (v.length ? v.map((x) => field.options.find((o) => o.value === x)?.label ?? x).join(', ') : 'none') : String(v);
    case 'numeric':
      return `${v}${field.unit ? ` ${field.unit}` : ''}`;
  }
}
