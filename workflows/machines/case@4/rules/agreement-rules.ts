/**
 * Agreement rules (DESIGN.md "The case workflow"), pure: given the counted reads of a case
 * (cannot-assess reads excluded), which items agree, with what consensus value, and which are
 * in dispute and why. Multi-label items are judged per label, so only the labels in dispute
 * go to adjudication.
 */
import { formItems, type AgreementRule, type Answer, type Field, type ReaderForm, type ReadValues, type TruthPolicy } from './definition.ts';

/** Bump when the meaning of a rule changes: recorded on every truth label (rule_version). */
export const RULES_VERSION = 'agreement-rules@1';
/** Truth decided with marks items (location matching, workflows/marks-agreement.ts). */
export const MARKS_RULES_VERSION = 'agreement-rules@1+marks@1';

export type CountedRead = { id: string; values: ReadValues };

export type Dispute = {
  /** Item key ("pneumothorax", "left/birads"). */
  item: string;
  /** For multi-label items: the label in dispute. */
  label?: string;
  /** Which rule failed: unanimous, m_of_k, ordinal_distance, ordinal_threshold, numeric_tolerance, majority. */
  rule: string;
  reason: string;
  /** Clinical thresholds always go to an adjudicator (no extra reader, no majority). */
  forceAdjudication?: boolean;
};

export type ItemMethod = 'unanimous' | 'm_of_k' | 'ordinal_distance' | 'numeric_tolerance' | 'majority';

export type Evaluation = {
  agreed: boolean;
  /** Consensus answers of the agreed items; for partly disputed multi-label items, the agreed labels. */
  consensus: ReadValues;
  /** Per item (and per label for multi-label: "item#label"): how agreement was reached. */
  methods: Record<string, ItemMethod>;
  disputes: Dispute[];
};

type Outcome = { ok: true; value: Answer | null; method: ItemMethod } | { ok: false; rule: string; reason: string; force?: boolean };

export function ruleFor(policy: TruthPolicy, field: Field): AgreementRule {
  return policy.rules[field.key] ?? policy.defaultRule;
}

/** Configuration errors: a rule that cannot apply to its field's kind, m > k, k ≠ readers per case. */
export function policyProblems(form: ReaderForm, policy: TruthPolicy): string[] {
  const out: string[] = [];
  // Marks items' own fields (per lesion) take their rules from the same table (case@4).
  const markFields = (form.marks ?? []).flatMap((m) => m.fields);
  const keys = new Set([...form.fields, ...markFields].map((f) => f.key));
  for (const k of Object.keys(policy.rules)) if (!keys.has(k)) out.push(`rule for unknown field "${k}"`);
  for (const field of [...form.fields, ...markFields]) {
    const rule = ruleFor(policy, field);
    if (rule.type === 'ordinal_distance') {
      if (field.kind !== 'ordinal') out.push(`${field.key}: ordinal_distance applies to ordinal fields only`);
      else {
        const values = field.options.map((o) => o.value);
        for (const [a, b] of rule.thresholds) if (!values.includes(a) || !values.includes(b)) out.push(`${field.key}: threshold ${a}|${b} names a value not on the scale`);
      }
    }
    if (rule.type === 'numeric_tolerance' && field.kind !== 'numeric') out.push(`${field.key}: numeric_tolerance applies to numeric fields only`);
    if (rule.type === 'm_of_k') {
      if (rule.m > rule.k) out.push(`${field.key}: m_of_k needs m ≤ k`);
      if (rule.k !== policy.readersPerCase) out.push(`${field.key}: m_of_k has k = ${rule.k} but readersPerCase = ${policy.readersPerCase}`);
      if (rule.m * 2 <= rule.k) out.push(`${field.key}: m_of_k needs m > k/2, or two answers could both win`);
    }
  }
  if (policy.adjudication.mode === 'panel' && policy.adjudication.panelSize < 2) out.push('a panel needs panelSize ≥ 2');
  return out;
}

const key = (a: Answer | null | undefined): string => JSON.stringify(a ?? null);

/** The most frequent answer and how often it occurs; `tied` when another answer is as frequent. */
export function mode(answers: (Answer | null)[]): { value: Answer | null; count: number; tied: boolean } {
  const counts = new Map<string, { value: Answer | null; count: number }>();
  for (const a of answers) {
    const k = key(a);
    const c = counts.get(k) ?? { value: a, count: 0 };
    c.count++;
    counts.set(k, c);
  }
  let best: { value: Answer | null; count: number } = { value: null, count: 0 };
  let tied = false;
  for (const c of counts.values()) {
    if (c.count > best.count) {
      best = c;
      tied = false;
    } else if (c.count === best.count) tied = true;
  }
  return { ...best, tied };
}

function describe(a: Answer | null): string {
  return a === null ? '(blank)' : Array.isArray(a) ? `[${a.join(', ')}]` : String(a);
}

function equalityRule(rule: AgreementRule, answers: (Answer | null)[]): Outcome {
  const m = mode(answers);
  if (rule.type === 'm_of_k') {
    if (!m.tied && m.count >= rule.m) return { ok: true, value: m.value, method: 'm_of_k' };
    return { ok: false, rule: 'm_of_k', reason: `${m.count} of ${answers.length} agree, ${rule.m} needed` };
  }
  if (m.count === answers.length) return { ok: true, value: m.value, method: 'unanimous' };
  return { ok: false, rule: 'unanimous', reason: `answers differ: ${[...new Set(answers.map(describe))].join(' vs ')}` };
}

/** Upper median of sorted positions: on a tie the more severe (higher) category. */
function upperMedian(sorted: number[]): number {
  return sorted[Math.floor(sorted.length / 2)];
}

function ordinalRule(field: Extract<Field, { kind: 'ordinal' }>, rule: Extract<AgreementRule, { type: 'ordinal_distance' }>, answers: (Answer | null)[]): Outcome {
  const scale = field.options.map((o) => o.value);
  const all = answers.map(describe);
  if (answers.every((a) => key(a) === key(answers[0]))) {
    // Identical answers agree even outside the scale (two readers both say BI-RADS 0).
    return { ok: true, value: answers[0], method: 'ordinal_distance' };
  }
  const positions = answers.map((a) => (typeof a === 'string' ? scale.indexOf(a) : -1));
  if (positions.some((p) => p < 0)) return { ok: false, rule: 'ordinal_distance', reason: `an answer is blank or outside the scale: ${all.join(' vs ')}` };
  const sorted = [...positions].sort((a, b) => a - b);
  const lo = sorted[0];
  const hi = sorted[sorted.length - 1];
  for (const [a, b] of rule.thresholds) {
    const pa = Math.min(scale.indexOf(a), scale.indexOf(b));
    const pb = Math.max(scale.indexOf(a), scale.indexOf(b));
    if (lo <= pa && hi >= pb)
      return { ok: false, rule: 'ordinal_threshold', reason: `answers ${scale[lo]} and ${scale[hi]} fall on both sides of the clinical threshold ${a}|${b}`, force: true };
  }
  if (hi - lo > rule.d) return { ok: false, rule: 'ordinal_distance', reason: `answers ${scale[lo]} and ${scale[hi]} are ${hi - lo} categories apart (at most ${rule.d} allowed)` };
  return { ok: true, value: scale[upperMedian(sorted)], method: 'ordinal_distance' };
}

/** Floating-point slack so that 2.0 vs 2.1 is within an absolute tolerance of 0.1. */
const EPS = 1e-9;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function numericRule(rule: Extract<AgreementRule, { type: 'numeric_tolerance' }>, answers: (Answer | null)[]): Outcome {
  if (answers.every((a) => a === null)) return { ok: true, value: null, method: 'numeric_tolerance' };
  if (answers.some((a) => typeof a !== 'number')) return { ok: false, rule: 'numeric_tolerance', reason: 'some readers left it blank' };
  const xs = answers as number[];
  const range = Math.max(...xs) - Math.min(...xs);
  const meanAbs = xs.reduce((s, x) => s + Math.abs(x), 0) / xs.length;
  const within =
    (rule.absolute === undefined && rule.relative === undefined && range === 0) ||
    (rule.absolute !== undefined && range <= rule.absolute + EPS * Math.max(1, rule.absolute)) ||
    (rule.relative !== undefined && range <= rule.relative * meanAbs * (1 + EPS));
  if (!within) {
    const tol = [rule.absolute !== undefined ? `±${rule.absolute}` : '', rule.relative !== undefined ? `${rule.relative * 100}%` : ''].filter(Boolean).join(' or ') || 'exact';
    return { ok: false, rule: 'numeric_tolerance', reason: `answers ${Math.min(...xs)}..${Math.max(...xs)} differ by ${range} (tolerance ${tol})` };
  }
  return { ok: true, value: median(xs), method: 'numeric_tolerance' };
}

/** One item (or one label of a multi-label item as a binary answer) under its rule. */
export function evaluateAnswers(field: Field, rule: AgreementRule, answers: (Answer | null)[]): Outcome {
  if (rule.type === 'ordinal_distance' && field.kind === 'ordinal') return ordinalRule(field, rule, answers);
  if (rule.type === 'numeric_tolerance' && field.kind === 'numeric') return numericRule(rule, answers);
  return equalityRule(rule.type === 'm_of_k' ? rule : { type: 'unanimous' }, answers);
}

/** Strict majority of equal answers: the fallback after an extra reader ("2+1"). */
function majority(answers: (Answer | null)[]): Outcome {
  const m = mode(answers);
  if (m.count * 2 > answers.length) return { ok: true, value: m.value, method: 'majority' };
  return { ok: false, rule: 'majority', reason: `no majority among ${answers.length} answers` };
}

export type EvaluateOptions = {
  /** Extra readers were added after a disagreement: items that still fail their rule are settled by strict majority. */
  majorityFallback?: boolean;
};

export function evaluateReads(form: ReaderForm, policy: TruthPolicy, reads: CountedRead[], opts: EvaluateOptions = {}): Evaluation {
  const consensus: ReadValues = {};
  const methods: Record<string, ItemMethod> = {};
  const disputes: Dispute[] = [];
  const settle = (field: Field, rule: AgreementRule, answers: (Answer | null)[]): Outcome => {
    const first = evaluateAnswers(field, rule, answers);
    if (first.ok || first.force || !opts.majorityFallback) return first;
    const fb = majority(answers);
    return fb.ok ? fb : first;
  };
  for (const { key: item, field } of formItems(form)) {
    const rule = ruleFor(policy, field);
    const answers = reads.map((r) => (r.values[item] === undefined ? null : r.values[item]));
    if (field.kind === 'multi_label') {
      const chosen: string[] = [];
      for (const opt of field.options) {
        const has = answers.map((a) => (Array.isArray(a) ? (a as unknown[]).includes(opt.value) : false));
        const out = settle(field, rule.type === 'm_of_k' ? rule : { type: 'unanimous' }, has);
        if (out.ok) {
          methods[`${item}#${opt.value}`] = out.method;
          if (out.value === true) chosen.push(opt.value);
        } else disputes.push({ item, label: opt.value, rule: out.rule, reason: out.reason });
      }
      if (answers.some((a) => a !== null) || disputes.some((d) => d.item === item)) consensus[item] = chosen;
      continue;
    }
    const out = settle(field, rule, answers);
    if (out.ok) {
      methods[item] = out.method;
      if (out.value !== null) consensus[item] = out.value;
    } else disputes.push({ item, rule: out.rule, reason: out.reason, ...(out.force ? { forceAdjudication: true } : {}) });
  }
  return { agreed: disputes.length === 0, consensus, methods, disputes };
}

/**
 * Merges an adjudicated answer into the consensus: for a multi-label item only the labels in
 * dispute take the adjudicator's choice; the agreed labels keep their consensus.
 */
export function applyResolution(form: ReaderForm, evaluation: Evaluation, resolution: ReadValues): ReadValues {
  const out: ReadValues = { ...evaluation.consensus };
  const items = new Map(formItems(form).map((i) => [i.key, i.field]));
  const disputedItems = new Set(evaluation.disputes.map((d) => d.item));
  for (const item of disputedItems) {
    const field = items.get(item);
    const answer = resolution[item];
    if (field?.kind === 'multi_label') {
      const disputedLabels = new Set(evaluation.disputes.filter((d) => d.item === item && d.label).map((d) => d.label!));
      const chosen = new Set<unknown>(Array.isArray(answer) ? answer : []);
      const agreed = Array.isArray(out[item]) ? (out[item] as string[]) : [];
      out[item] = field.options.map((o) => o.value).filter((v) => (disputedLabels.has(v) ? chosen.has(v) : agreed.includes(v)));
    } else if (answer !== undefined) out[item] = answer;
    else delete out[item];
  }
  return out;
}

/** The disputed items an adjudicator must answer (multi-label items once, whatever labels are disputed). */
export function disputedItems(evaluation: Evaluation): string[] {
  return [...new Set(evaluation.disputes.map((d) => d.item))];
}
