/**
 * Trigger lists as versioned data (reports/triggers/context.json, built from the published
 * NegEx and ConText lists; each entry names its source) compiled into a token trie so that one
 * pass over a report finds every trigger, longest first, in time linear in its length.
 */
import shipped from './triggers/context.json';
import { phraseTokens } from './tokens.ts';

/** What a trigger says about the findings in its scope. */
export const TRIGGER_KINDS = ['negated', 'uncertain', 'hypothetical', 'historical', 'other'] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];
export const DIRECTIONS = ['forward', 'backward', 'bidirectional'] as const;
export type Direction = (typeof DIRECTIONS)[number];
/** Kinds a section heading can give its text ('none': a heading that only ends the section before). */
export type SectionKind = TriggerKind | 'none';

/** A trigger with a scope (window: how many tokens it reaches; default to the sentence end). */
export type ScopedTrigger = { phrase: string; kind: TriggerKind; direction: Direction; window?: number; source: string };
/** A pseudo-trigger or terminator: ends the scope of the listed kinds. */
export type BoundaryTrigger = { phrase: string; kind: 'pseudo' | 'terminate'; for: TriggerKind[]; source: string };
export type TriggerEntry = ScopedTrigger | BoundaryTrigger;

export function isBoundary(e: TriggerEntry): e is BoundaryTrigger {
  return e.kind === 'pseudo' || e.kind === 'terminate';
}

export interface TriggerSet {
  name: string;
  version: number;
  sources: Record<string, { title: string; url: string; licence: string }>;
  sections: { heading: string; kind: SectionKind; source: string }[];
  triggers: TriggerEntry[];
}

export const SHIPPED_TRIGGERS = shipped as TriggerSet;

/**
 * Negation and uncertainty are one family (NegEx): a trigger of one ends the scope of the
 * other, as GenNegEx ends a pre-negation at a possible-negation trigger.
 */
export function family(k: TriggerKind): readonly TriggerKind[] {
  return k === 'negated' || k === 'uncertain' ? NEG_FAMILY : k === 'hypothetical' ? HYP : k === 'historical' ? HIST : OTHER;
}
const NEG_FAMILY = ['negated', 'uncertain'] as const;
const HYP = ['hypothetical'] as const;
const HIST = ['historical'] as const;
const OTHER = ['other'] as const;

export interface TrieNode {
  next: Map<string, TrieNode>;
  entries: TriggerEntry[] | null;
}

export interface CompiledTriggers {
  root: TrieNode;
  /** Longest phrase in tokens (bounds the work per position). */
  maxLength: number;
  sections: Map<string, SectionKind>;
}

export function newNode(): TrieNode {
  return { next: new Map(), entries: null };
}

export function trieInsert<T>(root: { next: Map<string, unknown>; entries: T[] | null }, tokens: readonly string[], value: T): void {
  let node = root as { next: Map<string, unknown>; entries: T[] | null };
  for (const w of tokens) {
    let child = node.next.get(w) as typeof node | undefined;
    if (!child) {
      child = { next: new Map(), entries: null };
      node.next.set(w, child);
    }
    node = child;
  }
  (node.entries ??= []).push(value);
}

/** Compile a trigger set, optionally minus removed phrases and plus a project's additions. */
export function compileTriggers(set: TriggerSet, extra: { add?: TriggerEntry[]; remove?: string[]; sections?: { heading: string; kind: SectionKind }[] } = {}): CompiledTriggers {
  const plain = !extra.add?.length && !extra.remove?.length && !extra.sections?.length;
  const cached = plain ? compiledPlain.get(set) : undefined;
  if (cached) return cached;
  const compiled = build(set, extra);
  if (plain) compiledPlain.set(set, compiled);
  return compiled;
}

/** A compiled trie is read-only, so one per unmodified trigger set is shared. */
const compiledPlain = new WeakMap<TriggerSet, CompiledTriggers>();

function build(set: TriggerSet, extra: { add?: TriggerEntry[]; remove?: string[]; sections?: { heading: string; kind: SectionKind }[] }): CompiledTriggers {
  const removed = new Set((extra.remove ?? []).map((p) => phraseTokens(p).join(' ')));
  const root = newNode();
  let maxLength = 0;
  for (const e of [...set.triggers, ...(extra.add ?? [])]) {
    const tokens = phraseTokens(e.phrase);
    if (tokens.length === 0 || removed.has(tokens.join(' '))) continue;
    trieInsert(root, tokens, e);
    maxLength = Math.max(maxLength, tokens.length);
  }
  const sections = new Map<string, SectionKind>();
  for (const s of [...set.sections, ...(extra.sections ?? [])]) sections.set(s.heading.trim().replace(/\s+/g, ' ').toLowerCase(), s.kind);
  return { root, maxLength, sections };
}

export interface TriggerMatch {
  /** Token range [start, end). */
  start: number;
  end: number;
  entries: TriggerEntry[];
}

/**
 * Every trigger in tokens [from, to), longest match first at each position, without overlap.
 * Tokens flagged in `taken` (finding mentions) are never part of a trigger: "no acute distress"
 * with the finding "acute distress" holds the trigger "no", not "no acute" (as GenNegEx marks
 * the phrase before it looks for triggers).
 */
export function findTriggers(words: readonly string[], from: number, to: number, root: TrieNode, out: TriggerMatch[], taken?: Uint8Array): void {
  let i = from;
  while (i < to) {
    let node: TrieNode | undefined = root;
    let best: TriggerMatch | null = null;
    for (let j = i; j < to; j++) {
      if (taken && taken[j]) break;
      node = node.next.get(words[j]);
      if (!node) break;
      if (node.entries) best = { start: i, end: j + 1, entries: node.entries };
    }
    if (best) {
      out.push(best);
      i = best.end;
    } else i++;
  }
}
