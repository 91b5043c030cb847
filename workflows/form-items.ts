/**
 * The answerable items of a reader form, without zod: the reading pages render them in the
 * browser, and the validation schemas (definition.ts) stay out of the client bundles.
 */
import type { Field, FindingDef, MarkItem, ReaderForm } from './definition.ts';

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

/** The marks items of a reader form, one per finding for finding-scoped ones. */
export function markItems(form: ReaderForm): { key: string; item: MarkItem; finding?: FindingDef }[] {
  const out: { key: string; item: MarkItem; finding?: FindingDef }[] = [];
  for (const item of form.marks ?? []) {
    if (item.scope === 'finding') for (const f of form.findings) out.push({ key: itemKey(item.key, f.key), item, finding: f });
    else out.push({ key: item.key, item });
  }
  return out;
}
