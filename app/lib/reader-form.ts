/**
 * The reader form as HTML fields and back, without zod (it runs in the browser: the schemas stay
 * in reader-form.server.ts). One function turns submitted FormData into read values; the server
 * checks them with the read schema (workflows/read-schema.ts) before recording, and the browser
 * only names unanswered items before sending (the message is the server's own).
 */
import type { Field, ReaderForm } from '../../workflows/definition.ts';
import { formItems } from '../../workflows/form-items.ts';
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

export const UNANSWERED = 'Answer this item (or mark the case as cannot assess)';
export const NO_REASON = 'Say why this case cannot be assessed';

/** The browser's check before sending: required items left unanswered, keyed by HTML field name. */
export function unansweredItems(form: ReaderForm, fd: FormData, only?: string[]): Record<string, string[]> {
  if (fd.get('cannotAssess') === 'on') return String(fd.get('cannotAssessReason') ?? '').trim() ? {} : { cannotAssessReason: [NO_REASON] };
  const values = valuesFromFormData(form, fd, only);
  const errors: Record<string, string[]> = {};
  for (const it of formItems(form)) {
    if (only && !only.includes(it.key)) continue;
    const v = values[it.key];
    if (it.field.required && v === undefined) errors[fieldName(it.key)] = [UNANSWERED];
  }
  return errors;
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

/** An item's question as the form shows it ("Left breast: BI-RADS assessment"). */
export function itemLabel(form: ReaderForm, key: string): string {
  const it = formItems(form).find((i) => i.key === key);
  if (!it) return key;
  return it.finding ? `${it.finding.label}: ${it.field.label}` : it.field.label;
}

/** A whole read in the form's words ("Left breast: BI-RADS assessment 2 — Benign; …"). */
export function describeValues(form: ReaderForm, values: Record<string, unknown> | null): string {
  if (values === null) return 'Cannot assess';
  return formItems(form)
    .filter((it) => values[it.key] !== undefined)
    .map((it) => `${itemLabel(form, it.key)}: ${describeAnswer(it.field, values[it.key])}`)
    .join('; ');
}

const RULE_WORDS: Record<string, string> = {
  unanimous: 'readers disagree',
  m_of_k: 'too few readers agree',
  ordinal_distance: 'categories too far apart',
  ordinal_threshold: 'across the clinical threshold',
  numeric_tolerance: 'values beyond the tolerance',
  majority: 'no majority',
};

/**
 * A dispute in the form's words. The stored reason (made by the agreement rules, part of the
 * case's recorded evaluation) names raw values ("answers differ: false vs true"); the page shows
 * the option labels the readers saw ("answers differ: Absent vs Present").
 */
export function describeDispute(form: ReaderForm, d: { item: string; label?: string; rule: string; reason: string }): { item: string; rule: string; reason: string } {
  const it = formItems(form).find((i) => i.key === d.item);
  let reason = d.reason;
  let item = itemLabel(form, d.item);
  if (it) {
    const f = it.field;
    const labels = new Map<string, string>();
    if (f.kind === 'binary') {
      labels.set('true', f.trueLabel);
      labels.set('false', f.falseLabel);
    } else if (f.kind === 'nominal' || f.kind === 'ordinal' || f.kind === 'multi_label') {
      for (const o of f.kind === 'ordinal' ? [...f.options, ...f.outsideScale] : f.options) labels.set(o.value, o.label);
    }
    if (d.label) item = `${item} — ${labels.get(d.label) ?? d.label}`;
    // Values appear in the reason as "answers X and Y …" or as a list "…: X vs Y".
    const name = (w: string) => (labels.has(w) ? `“${labels.get(w)}”` : w);
    if (labels.size && f.kind !== 'multi_label') {
      reason = reason
        .replace(/^answers (\S+) and (\S+) /, (_m, a: string, b: string) => `answers ${name(a)} and ${name(b)} `)
        .replace(/: (.+ vs .+)$/, (_m, list: string) => `: ${list.split(' vs ').map(name).join(' vs ')}`);
    }
  }
  return { item, rule: RULE_WORDS[d.rule] ?? d.rule.replace(/_/g, ' '), reason };
}
