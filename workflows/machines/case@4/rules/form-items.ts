/**
 * The answerable items of a reader form, without zod: the reading pages render them in the
 * browser, and the validation schemas (definition.ts) stay out of the client bundles.
 */
import type { Field, FindingDef, ReaderForm } from './definition.ts';

/** One answerable item: a case field, or a per-finding field for one finding ("left/birads"). */
export function itemKey(field: string, finding?: string): string {
  return finding ? `${finding}/${field}` : field;
}

export function formItems(form: ReaderForm): { key: string; field: Field; finding?: FindingDef }[] {
  const out: { key: string; field: Field; finding?: FindingDef }[] = [];
  for (const field of form.fields) {
    if (field.scope === 'finding') for (const f of form.findings) out.push({ key: itemKey(field.key, f.key), field, finding: f });
    else out.push({ key: field.key, field });
  }
  return out;
}
