/**
 * The definition checker: what the zod schemas cannot see on their own, because it relates one
 * part of the definition to another (a mapping naming a reader-form field, expected answers that
 * must be on that field's scale, a follow-up window's two ends). Each problem carries its path
 * in the definition, so the structured editor can show it beside the input and the JSON editor
 * can name it; `pathInWords` turns the path into what a lead recognises on the page.
 */
import { policyProblems } from './agreement-rules.ts';
import { projectDefinitionSchema, type Field, type ProjectDefinition } from './definition.ts';

export type Path = (string | number)[];
export type Problem = { path: Path; message: string };

const quote = (s: string) => `“${s}”`;

/** Every field a mapping or rule may name: the form's own and the marks items' per-lesion fields. */
function allFields(def: ProjectDefinition): Field[] {
  return [...def.readerForm.fields, ...(def.readerForm.marks ?? []).flatMap((m) => m.fields)];
}

function duplicates(keys: string[]): { key: string; index: number }[] {
  const seen = new Set<string>();
  const out: { key: string; index: number }[] = [];
  keys.forEach((k, index) => {
    if (seen.has(k)) out.push({ key: k, index });
    seen.add(k);
  });
  return out;
}

/** Values a categorical field's answers can take, or null when the field has no scale (binary, numeric). */
function scaleOf(field: Field): string[] | null {
  if (field.kind === 'ordinal') return [...field.options, ...field.outsideScale].map((o) => o.value);
  if (field.kind === 'nominal' || field.kind === 'multi_label') return field.options.map((o) => o.value);
  return null;
}

/** Cross-part problems of a definition that already passed its schemas. */
export function checkDefinition(def: ProjectDefinition): Problem[] {
  const out: Problem[] = [];
  const form = def.readerForm;
  const fields = allFields(def);
  const byKey = new Map(fields.map((f) => [f.key, f]));

  for (const d of duplicates(form.fields.map((f) => f.key)))
    out.push({ path: ['readerForm', 'fields', d.index, 'key'], message: `the key "${d.key}" is used twice: each item needs its own key` });
  for (const d of duplicates((form.marks ?? []).map((m) => m.key)))
    out.push({ path: ['readerForm', 'marks', d.index, 'key'], message: `the key "${d.key}" is used by two marks items` });
  (form.marks ?? []).forEach((m, i) => {
    if (form.fields.some((f) => f.key === m.key)) out.push({ path: ['readerForm', 'marks', i, 'key'], message: `the key "${m.key}" is also a question's key` });
  });
  for (const d of duplicates(form.findings.map((f) => f.key))) out.push({ path: ['readerForm', 'findings', d.index, 'key'], message: `the finding "${d.key}" is listed twice` });
  form.fields.forEach((f, i) => {
    if (f.kind === 'numeric' && f.min !== undefined && f.max !== undefined && f.min > f.max)
      out.push({ path: ['readerForm', 'fields', i, 'min'], message: `the smallest allowed value (${f.min}) is above the largest (${f.max})` });
    const values = scaleOf(f);
    if (values) for (const d of duplicates(values)) out.push({ path: ['readerForm', 'fields', i, 'options'], message: `the answer value "${d.key}" appears twice on the scale` });
  });
  if (form.fields.some((f) => f.scope === 'finding') && form.findings.length === 0)
    out.push({ path: ['readerForm', 'findings'], message: 'some questions are asked per finding, but no finding is listed' });

  const rs = def.referenceStandard;
  if (rs.source === 'panel') {
    if (!rs.panelField) out.push({ path: ['referenceStandard', 'panelField'], message: 'a panel reference standard names the reader-form field that is the truth' });
    else if (!form.fields.some((f) => f.key === rs.panelField))
      out.push({ path: ['referenceStandard', 'panelField'], message: `"${rs.panelField}" is not a field of the reader form` });
  }
  if (rs.level === 'finding' && form.findings.length === 0) out.push({ path: ['referenceStandard', 'level'], message: '"finding" needs findings in the reader form' });

  const x = def.mapping.expectation;
  if (x) {
    const field = byKey.get(x.field);
    if (!field) {
      out.push({ path: ['mapping', 'expectation', 'field'], message: `the expected answers refer to the field "${x.field}", which the reader form does not have` });
    } else {
      const scale = scaleOf(field);
      if (!scale)
        out.push({
          path: ['mapping', 'expectation', 'field'],
          message: `the field "${x.field}" has no list of answers (it is ${field.kind}): expected answers need a scale or a list of options`,
        });
      else
        for (const side of ['positive', 'negative'] as const)
          x[side].forEach((v, i) => {
            if (!scale.includes(v))
              out.push({
                path: ['mapping', 'expectation', side, i],
                message: `"${v}" is not an answer on the scale of ${quote(field.label)} (its answers are ${scale.map((s) => `"${s}"`).join(', ')})`,
              });
          });
      const both = x.positive.filter((v) => x.negative.includes(v));
      if (both.length) out.push({ path: ['mapping', 'expectation', 'negative'], message: `${both.map((v) => `"${v}"`).join(', ')} cannot be expected both positive and negative` });
    }
  }
  const codes = new Set<string>();
  def.mapping.rules.forEach((r, i) => {
    for (const code of r.resultCodes) {
      if (codes.has(`${r.kind}\u0000${code}`))
        out.push({ path: ['mapping', 'rules', i, 'resultCodes'], message: `the ${r.kind} code "${code}" is mapped twice: one code, one meaning` });
      codes.add(`${r.kind}\u0000${code}`);
    }
  });

  const policy = def.truthPolicy;
  const w = policy.followUpWindow;
  if (w && w.startDays > w.endDays)
    out.push({ path: ['truthPolicy', 'followUpWindow', 'startDays'], message: `the follow-up window starts on day ${w.startDays}, after it ends (day ${w.endDays})` });
  const markKeys = new Set((form.marks ?? []).map((m) => m.key));
  for (const k of Object.keys(policy.markRules ?? {}))
    if (!markKeys.has(k)) out.push({ path: ['truthPolicy', 'markRules', k], message: `a location rule for "${k}", which is not a marks item of the reader form` });
  for (const message of policyProblems(form, policy)) out.push({ path: ['truthPolicy'], message });
  return out;
}

/** Zod's default wording, in words a lead understands. */
function plainZodMessage(code: string, message: string): string {
  if (/^Invalid input: expected (\w+), received undefined$/.test(message)) return 'this is required';
  const m = /^Invalid input: expected (\w+), received (\w+)$/.exec(message);
  if (m) return `expected ${m[1] === 'number' ? 'a number' : m[1] === 'string' ? 'text' : m[1] === 'boolean' ? 'yes or no' : m[1] === 'array' ? 'a list' : `a ${m[1]}`}`;
  if (code === 'too_small' && /expected string to have >=1 characters/.test(message)) return 'this is required';
  return message.replace(/^Too small: expected array to have >=(\d+) items$/, (_, n) => `needs at least ${n} ${n === '1' ? 'entry' : 'entries'}`);
}

/** Parses a whole definition and checks it; every problem with its path. Nothing is thrown. */
export function validateDefinition(raw: unknown): { ok: true; definition: ProjectDefinition } | { ok: false; problems: Problem[] } {
  const r = projectDefinitionSchema.safeParse(raw);
  if (!r.success)
    return { ok: false, problems: r.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message: plainZodMessage(i.code, i.message) })) };
  const problems = checkDefinition(r.data);
  return problems.length ? { ok: false, problems } : { ok: true, definition: r.data };
}

const PART_WORDS: Record<string, string> = {
  readerForm: 'Reader form',
  referenceStandard: 'Reference standard',
  mapping: 'Evidence mapping',
  truthPolicy: 'Truth policy',
  study: 'Study design',
};
const WORDS: Record<string, string> = {
  fields: 'question',
  marks: 'marks item',
  findings: 'finding',
  options: 'answer',
  outsideScale: 'answer outside the scale',
  rules: 'rule',
  resultCodes: 'result codes',
  expectation: 'expected answers',
  positive: 'expected positive',
  negative: 'expected negative',
  followUpWindow: 'follow-up window',
  startDays: 'starts (days after the study)',
  endDays: 'ends (days after the study)',
  hangingProtocol: 'hanging protocol',
  panelField: 'field that is the truth',
  readersPerCase: 'readers per case',
  markRules: 'location rules',
};

/**
 * A path as the lead sees it: ['readerForm','fields',2,'options',0,'value'] →
 * 'Reader form › question 3 “Density” › answer 1 › value'. `raw` is the definition as posted, for labels.
 */
export function pathInWords(path: Path, raw: unknown): string {
  const parts: string[] = [];
  let node: unknown = raw;
  let previous: string | number | undefined;
  for (const [i, seg] of path.entries()) {
    const next = node && typeof node === 'object' ? (node as Record<string | number, unknown>)[seg] : undefined;
    if (i === 0 && typeof seg === 'string') parts.push(PART_WORDS[seg] ?? seg);
    else if (typeof seg === 'number') {
      const label = next && typeof next === 'object' ? (next as { label?: unknown }).label : undefined;
      const noun = typeof previous === 'string' ? (WORDS[previous] ?? previous) : 'entry';
      const named = typeof label === 'string' && label ? ` ${quote(label)}` : typeof next === 'string' && next ? ` ("${next}")` : '';
      // The noun was pushed for the list itself: replace it with "noun N “label”".
      if (typeof previous === 'string' && parts.at(-1) === (WORDS[previous] ?? previous)) parts.pop();
      parts.push(`${noun} ${seg + 1}${named}`);
    } else parts.push(WORDS[seg] ?? seg);
    previous = seg;
    node = next;
  }
  return parts.join(' › ');
}
