/**
 * Marks items in a submitted form: each marks item travels as one hidden input `marks:<item>`
 * holding its lesions as JSON (the marks editor writes it). Malformed JSON is passed on as the
 * raw text so the read schema names the item ("expected array"), never a 500.
 */
import type { ReaderForm } from '../../workflows/definition.ts';
import { markItems } from '../../workflows/form-items.ts';

export const MARKS_PREFIX = 'marks:';
export const marksFieldName = (itemKey: string) => `${MARKS_PREFIX}${itemKey}`;

export function markValuesFromFormData(form: ReaderForm, fd: FormData, only?: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of markItems(form)) {
    if (only && !only.includes(m.key)) continue;
    const raw = fd.get(marksFieldName(m.key));
    if (typeof raw !== 'string' || raw === '') continue;
    try {
      out[m.key] = JSON.parse(raw);
    } catch {
      out[m.key] = raw;
    }
  }
  return out;
}
