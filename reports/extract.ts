/**
 * Per report × finding status, ConText-style (Harkema et al. 2009, on NegEx, Chapman et al. 2001).
 *
 * A report is tokenized once; headings split it into sections (a heading such as "FAMILY
 * HISTORY:" gives its text a kind) and sentences. In each sentence every trigger is found in one
 * trie pass and every finding mention by phrase (trie) or pattern (RE2). A forward trigger covers
 * the mentions after it up to the end of its sentence, a terminator ("but", "which", …), a
 * pseudo-trigger ("no change in size") or a trigger of the same family; a backward trigger covers
 * the mentions before it likewise. Each step is a single sweep, so time is linear in the report.
 *
 * A mention's status: another experiencer ("mother had …") does not count as the patient's
 * finding; else negated, else uncertain (uncertain or hypothetical), else historical, else
 * present. A finding's status in a report is its most affirmative mention: present, uncertain,
 * negated, historical, and not_mentioned when there is none.
 */
import { findHeadings, sentences, tokenize, type Tokens } from './tokens.ts';
import { family, findTriggers, isBoundary, type SectionKind, type TriggerEntry, type TriggerKind, type TriggerMatch } from './triggers.ts';
import type { CompiledRules, PhraseNode } from './rules.ts';

export const STATUSES = ['present', 'negated', 'uncertain', 'historical', 'not_mentioned'] as const;
export type Status = (typeof STATUSES)[number];

export interface FindingRow {
  id: string;
  finding: string;
  status: Status;
  rule: string;
  version: number;
  /** The deciding mention's text (whitespace collapsed); '' when not mentioned. */
  matched: string;
  /** Its sentence (whitespace collapsed, at most MAX_SENTENCE characters). */
  sentence: string;
  /** What decided the status: a trigger "no (negated, gennegex)", a heading, or ''. */
  trigger: string;
}

export const MAX_SENTENCE = 400;

interface Mention {
  finding: number;
  start: number;
  end: number;
}

type Reason = { kind: TriggerKind; why: string | TriggerEntry };

/**
 * Rank of a mention when several mentions of one finding disagree (lower wins). A hypothetical
 * mention ("INDICATION: r/o pneumonia", "return if fever") ranks below a negation: the question
 * asked is not evidence for the answer.
 */
function rank(m: MentionResult): number {
  return m.status === 'present' ? 0 : m.status === 'uncertain' ? (m.hypothetical ? 3 : 1) : m.status === 'negated' ? 2 : 4;
}

export interface MentionResult {
  finding: number;
  status: Status;
  /** True when the mention is about someone other than the patient. */
  other: boolean;
  /** Uncertain only because hypothetical (a question, an indication, a future event). */
  hypothetical: boolean;
  start: number;
  end: number;
  sentenceStart: number;
  sentenceEnd: number;
  trigger: string;
}

/** Every finding mention in a report with its status and the trigger that decided it. */
export function analyze(rules: CompiledRules, text: string): MentionResult[] {
  const t = tokenize(text);
  const heads = findHeadings(text, knownHeadings(rules));
  const sents = sentences(text, t, heads);
  const mentionsBySentence = findMentions(rules, text, t, sents);
  // Section of each sentence: the last heading before it.
  const out: MentionResult[] = [];
  let h = -1;
  const triggers: TriggerMatch[] = [];
  const taken = new Uint8Array(t.words.length);
  for (let s = 0; s < sents.length; s++) {
    const mentions = mentionsBySentence[s];
    if (!mentions || mentions.length === 0) continue;
    const [a, b] = sents[s];
    while (h + 1 < heads.length && heads[h + 1].start < t.starts[a]) h++;
    const heading = h >= 0 ? heads[h].name : null;
    if (rules.sections && (heading === null || !rules.sections.includes(heading))) continue;
    const sectionKind: SectionKind = heading ? (rules.triggers.sections.get(heading) ?? 'none') : 'none';
    triggers.length = 0;
    for (const m of mentions) taken.fill(1, m.start, m.end);
    findTriggers(t.words, a, b, rules.triggers.root, triggers, taken);
    const reasons = scope(triggers, mentions);
    for (let k = 0; k < mentions.length; k++) {
      const m = mentions[k];
      const rs = reasons[k];
      if (sectionKind !== 'none' && !rs.some((r) => r.kind === sectionKind)) rs.push({ kind: sectionKind, why: `section ${heading!.toUpperCase()}` });
      const { status, other, hypothetical, why } = decide(rs);
      out.push({
        finding: m.finding,
        status,
        other,
        hypothetical,
        start: t.starts[m.start],
        end: t.ends[m.end - 1],
        sentenceStart: t.starts[a],
        sentenceEnd: t.ends[b - 1],
        trigger: why,
      });
    }
  }
  return out;
}

const known = new WeakMap<CompiledRules, Set<string>>();
function knownHeadings(rules: CompiledRules): Set<string> {
  let set = known.get(rules);
  if (!set) known.set(rules, (set = new Set<string>([...rules.triggers.sections.keys(), ...(rules.sections ?? [])])));
  return set;
}

function decide(rs: Reason[]): { status: Status; other: boolean; hypothetical: boolean; why: string } {
  const find = (...kinds: TriggerKind[]) => rs.find((r) => kinds.includes(r.kind));
  const other = find('other');
  const neg = find('negated');
  const unc = find('uncertain', 'hypothetical');
  const hist = find('historical');
  const status: Status = neg ? 'negated' : unc ? 'uncertain' : hist ? 'historical' : 'present';
  const hypothetical = status === 'uncertain' && rs.some((r) => r.kind === 'hypothetical');
  if (other) return { status, other: true, hypothetical, why: describe(other.why) };
  const r = neg ?? unc ?? hist;
  return { status, other: false, hypothetical, why: r ? describe(r.why) : '' };
}

const describe = (e: string | TriggerEntry) => (typeof e === 'string' ? e : `${e.phrase} (${e.kind}, ${e.source})`);

const KIND_INDEX: Record<TriggerKind, number> = { negated: 0, uncertain: 1, hypothetical: 2, historical: 3, other: 4 };
const KINDS: readonly TriggerKind[] = ['negated', 'uncertain', 'hypothetical', 'historical', 'other'];

/** Open scopes during one sweep: per kind, the token limit and the trigger (null = none). */
interface Scopes {
  limit: Float64Array;
  why: (TriggerEntry | null)[];
}

/**
 * For each mention (sorted, in one sentence), the trigger kinds whose scope covers it: one sweep
 * forward for forward triggers, one backward for backward ones.
 */
function scope(triggers: readonly TriggerMatch[], mentions: readonly Mention[]): Reason[][] {
  const reasons: Reason[][] = mentions.map(() => []);
  if (triggers.length === 0) return reasons;
  const open: Scopes = { limit: new Float64Array(5), why: [null, null, null, null, null] };
  for (let pass = 0; pass < 2; pass++) {
    const fwd = pass === 0;
    open.why.fill(null);
    let ti = fwd ? 0 : triggers.length - 1;
    let mi = fwd ? 0 : mentions.length - 1;
    while (fwd ? mi < mentions.length : mi >= 0) {
      const m = mentions[mi];
      const tr = triggers[ti];
      // Triggers wholly before (forward) / after (backward) the mention are applied first.
      if (tr && (fwd ? tr.end <= m.start : tr.start >= m.end)) {
        apply(tr, fwd, open);
        ti += fwd ? 1 : -1;
        continue;
      }
      if (tr && (fwd ? tr.start < m.end : tr.end > m.start)) {
        ti += fwd ? 1 : -1;
        continue;
      }
      for (let k = 0; k < 5; k++) {
        const why = open.why[k];
        if (why && (fwd ? m.start <= open.limit[k] : m.end >= open.limit[k])) reasons[mi].push({ kind: KINDS[k], why });
      }
      mi += fwd ? 1 : -1;
    }
  }
  return reasons;
}

function closeFamily(kind: TriggerKind, open: Scopes, keep: TriggerKind | null): void {
  for (const k of family(kind)) if (k !== keep) open.why[KIND_INDEX[k]] = null;
}

function apply(tr: TriggerMatch, fwd: boolean, open: Scopes): void {
  const dirHere = fwd ? 'forward' : 'backward';
  for (const e of tr.entries) {
    if (isBoundary(e)) {
      for (const k of e.for) open.why[KIND_INDEX[k]] = null;
      continue;
    }
    if (e.direction === 'bidirectional' || e.direction === dirHere) {
      closeFamily(e.kind, open, e.kind);
      const w = e.window ?? Infinity;
      open.limit[KIND_INDEX[e.kind]] = fwd ? tr.end + w : tr.start - w;
      open.why[KIND_INDEX[e.kind]] = e;
      continue;
    }
    // A trigger pointing the other way closes this sweep's scope of its family (GenNegEx),
    // unless the same phrase is also listed for this direction ("resolved").
    let alsoHere = false;
    for (const x of tr.entries) if (!isBoundary(x) && x.kind === e.kind && (x.direction === 'bidirectional' || x.direction === dirHere)) alsoHere = true;
    if (!alsoHere) closeFamily(e.kind, open, null);
  }
}

/** Mentions per sentence index, sorted by position, without overlaps within one finding. */
function findMentions(rules: CompiledRules, text: string, t: Tokens, sents: readonly [number, number][]): (Mention[] | undefined)[] {
  const n = t.words.length;
  const all: Mention[] = [];
  // Phrases: longest match at each token.
  if (rules.phrases.next.size) {
    for (let i = 0; i < n; i++) {
      let node: PhraseNode | undefined = rules.phrases;
      let best: { end: number; entries: number[] } | null = null;
      for (let j = i; j < n; j++) {
        node = node.next.get(t.words[j]);
        if (!node) break;
        if (node.entries) best = { end: j + 1, entries: node.entries };
      }
      if (best) for (const f of best.entries) all.push({ finding: f, start: i, end: best.end });
    }
  }
  // Patterns: RE2 over the whole text, matches mapped to the tokens they cover.
  rules.findings.forEach((f, fi) => {
    for (const { re } of f.patterns) {
      const m = re.matcher(text);
      let tok = 0;
      while (m.find()) {
        const s = m.start();
        const e = m.end();
        while (tok < n && t.ends[tok] <= s) tok++;
        let end = tok;
        while (end < n && t.starts[end] < e) end++;
        if (end > tok) all.push({ finding: fi, start: tok, end });
      }
    }
  });
  all.sort((x, y) => x.start - y.start || y.end - x.end);
  // Drop a finding's mention nested in an earlier one of the same finding.
  const lastEnd = new Map<number, number>();
  const bySentence: (Mention[] | undefined)[] = new Array(sents.length);
  let s = 0;
  for (const m of all) {
    if ((lastEnd.get(m.finding) ?? -1) > m.start) continue;
    lastEnd.set(m.finding, m.end);
    while (s < sents.length && sents[s][1] <= m.start) s++;
    if (s === sents.length || sents[s][0] >= m.end) continue; // wholly inside a heading
    // A phrase that begins with a heading ("ALLERGIES: codeine") belongs to the sentence after it.
    (bySentence[s] ??= []).push(m.start < sents[s][0] ? { ...m, start: sents[s][0] } : m);
  }
  return bySentence;
}

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

/** One row per finding of the rules for this report. */
export function extractReport(rules: CompiledRules, id: string, text: string): FindingRow[] {
  const mentions = analyze(rules, text);
  const best: (MentionResult | undefined)[] = new Array(rules.findings.length);
  const bestOther: (MentionResult | undefined)[] = new Array(rules.findings.length);
  for (const m of mentions) {
    if (m.other) {
      bestOther[m.finding] ??= m;
      continue;
    }
    const cur = best[m.finding];
    if (!cur || rank(m) < rank(cur)) best[m.finding] = m;
  }
  return rules.findings.map((f, i): FindingRow => {
    const m = best[i] ?? bestOther[i];
    const row: FindingRow = { id, finding: f.finding, status: 'not_mentioned', rule: rules.name, version: rules.version, matched: '', sentence: '', trigger: '' };
    if (!m) return row;
    let sentence = collapse(text.slice(m.sentenceStart, m.sentenceEnd));
    if (sentence.length > MAX_SENTENCE) sentence = `${sentence.slice(0, MAX_SENTENCE - 1)}…`;
    return {
      ...row,
      status: m.other ? 'not_mentioned' : m.status,
      matched: collapse(text.slice(m.start, m.end)),
      sentence,
      trigger: m.other ? `other experiencer: ${m.trigger}` : m.trigger,
    };
  });
}

/** The older "labels" rules: the first label whose match counts, else the default. */
export interface LabelResult {
  label: string;
  rule: string;
  version: number;
  matched: string;
}

export function extractLabel(rules: CompiledRules, text: string): LabelResult {
  if (!rules.labels) throw new Error('extractLabel needs rules in the "labels" form');
  const mentions = analyze(rules, text);
  for (let i = 0; i < rules.labels.length; i++) {
    const l = rules.labels[i];
    const m = mentions.find((x) => x.finding === i && (!l.negations || (!x.other && (x.status === 'present' || x.status === 'historical'))));
    if (m) return { label: l.label, rule: rules.name, version: rules.version, matched: collapse(text.slice(m.start, m.end)) };
  }
  return { label: rules.default, rule: rules.name, version: rules.version, matched: '' };
}

/** The `extraction` record of an evidence row made from a label. */
export function extractionRecord(rules: Pick<CompiledRules, 'name' | 'version' | 'triggersVersion'>): { method: 'rule'; rule: string; version: number; triggers: string } {
  return { method: 'rule', rule: rules.name, version: rules.version, triggers: rules.triggersVersion };
}
