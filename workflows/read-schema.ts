/**
 * The zod schema of a read's values, built from the reader form. The runtime validates every
 * submitted read with it; the UI can reuse it for the form (same messages on both sides).
 */
import { z } from 'zod';
import { formItems, markItems, type Field, type MarkItem, type ReaderForm, type ReadValues } from './definition.ts';
import { lesionSchema } from './marks.ts';

export function answerSchema(field: Field): z.ZodType<ReadValues[string]> {
  switch (field.kind) {
    case 'binary':
      return z.boolean();
    case 'nominal':
      return z.enum(field.options.map((o) => o.value) as [string, ...string[]]);
    case 'ordinal':
      return z.enum([...field.options, ...field.outsideScale].map((o) => o.value) as [string, ...string[]]);
    case 'multi_label': {
      const opt = z.enum(field.options.map((o) => o.value) as [string, ...string[]]);
      return z.array(opt).refine((a) => new Set(a).size === a.length, 'a label is chosen twice');
    }
    case 'numeric': {
      let n = z.number().finite();
      if (field.min !== undefined) n = n.min(field.min);
      if (field.max !== undefined) n = n.max(field.max);
      const step = field.step;
      if (step === undefined) return n;
      const base = field.min ?? 0;
      return n.refine((x) => Math.abs((x - base) / step - Math.round((x - base) / step)) < 1e-9, `must be a multiple of ${step}`);
    }
  }
}

export type ReadValuesSchemaOptions = {
  /** Every item optional (adjudicators answer only the items in dispute). */
  partial?: boolean;
  /** Only these item keys are allowed (and, unless partial, required when the field is). */
  only?: string[];
};

/** Values keyed by item key ("pneumothorax", "left/birads"); unknown keys are refused. */
export function readValuesSchema(form: ReaderForm, opts: ReadValuesSchemaOptions = {}): z.ZodType<ReadValues> {
  const shape: Record<string, z.ZodType> = {};
  for (const item of formItems(form)) {
    if (opts.only && !opts.only.includes(item.key)) continue;
    const s = answerSchema(item.field);
    shape[item.key] = opts.partial || !item.field.required ? s.optional() : s;
  }
  for (const m of markItems(form)) {
    if (opts.only && !opts.only.includes(m.key)) continue;
    const s = marksAnswerSchema(m.item);
    shape[m.key] = opts.partial ? s.optional() : s;
  }
  return z.strictObject(shape) as unknown as z.ZodType<ReadValues>;
}

/** A marks item's answer: its lesions (ids unique), each answered with the item's fields. */
export function marksAnswerSchema(item: MarkItem): z.ZodType {
  const answers: Record<string, z.ZodType> = {};
  for (const f of item.fields) answers[f.key] = f.required ? answerSchema(f) : answerSchema(f).optional();
  const list = z
    .array(lesionSchema(z.strictObject(answers), item.tools))
    .max(200, 'at most 200 marks')
    .refine((ls) => new Set(ls.map((l) => l.id)).size === ls.length, 'two marks have the same id');
  return item.required ? list.min(1, 'Mark at least one lesion') : list.default([]);
}

/** One line per problem, naming the item: for refusals and form errors. */
export function describeValueErrors(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'values'}: ${i.message}`).join('; ');
}
