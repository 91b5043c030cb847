/**
 * Truth from evidence (DESIGN.md "Domain model"), as pure functions: the case machine
 * calls them, tests call them directly, and nothing here does I/O or reads the clock.
 *
 * - `mapEvidence`: one piece of evidence → positive / negative / no effect, per the project's
 *   mapping rules, the follow-up window (study date + a … b days, both ends inclusive) and the
 *   precedence of evidence kinds.
 * - `applyToSubject`: how a mapped piece of evidence changes one subject's truth (a case or a
 *   finding): verify, confirm, open a discordance, or nothing (outranked, held under review).
 * - `closeWindow`, `closeDiscordance`, `foldEvidence`: the window closing, a lead closing a
 *   discordance review with a coded outcome, and (re)building a subject's truth at a decision.
 *
 * Study dates never reach this module: the runtime gives each piece of evidence its `dayOffset`
 * (evidence date − study date, in days), which is all the window check needs.
 */
import type { EvidenceKind, Mapping, ReadValues, ReferenceStandard, TruthPolicy } from './definition.ts';
import { itemKey } from './definition.ts';
import { DISCORDANCE_OUTCOMES, type DiscordanceOutcome, type TruthState } from '../../../../domain/vocabulary.ts';

/** Version of the rules below; recorded on every truth version they write. */
export const EVIDENCE_RULES_VERSION = 'evidence-rules@1';

export type { TruthState };

export type EvidenceEntry = {
  id: string;
  kind: EvidenceKind;
  /** The finding it is about; null = the whole case (in a per-finding project: every finding). */
  findingId: string | null;
  resultCode: string | null;
  /** Evidence date − study date, in whole days. */
  dayOffset: number;
  /** SHA-256 of the evidence row's identifying content (date, text): checked by verify, purged on withdrawal. */
  digest: string;
  at: string;
};

export type FollowUpWindow = NonNullable<TruthPolicy['followUpWindow']>;
export type WindowPosition = 'before' | 'inside' | 'after' | 'no_window';

export function windowPosition(dayOffset: number, window: FollowUpWindow | undefined): WindowPosition {
  if (!window) return 'no_window';
  if (dayOffset < window.startDays) return 'before';
  if (dayOffset > window.endDays) return 'after';
  return 'inside';
}

/** Days after the study date at which the window has closed (the day after its last day). */
export function windowCloseDay(window: FollowUpWindow): number {
  return window.endDays + 1;
}

export type Mapped = { effect: 'positive' | 'negative'; value: boolean; rank: number; rule: number; reason: string } | { effect: 'none'; reason: string };

const norm = (s: string | null | undefined) => (s ?? '').trim().toLowerCase();

/** Rank of an evidence kind in the precedence list (0 wins); kinds not listed come last. */
export function rankOf(mapping: Mapping, kind: EvidenceKind): number {
  const i = mapping.precedence.indexOf(kind);
  return i === -1 ? mapping.precedence.length : i;
}

/** One piece of evidence through the mapping: what it says about the reference standard. */
export function mapEvidence(
  def: { mapping: Mapping; truthPolicy: TruthPolicy; referenceStandard: ReferenceStandard },
  e: Pick<EvidenceEntry, 'kind' | 'resultCode' | 'dayOffset'>,
): Mapped {
  if (def.referenceStandard.source === 'panel') return { effect: 'none', reason: 'the reader panel is the truth in this project; evidence is recorded only' };
  if (!e.resultCode) return { effect: 'none', reason: 'no result code (text only)' };
  const idx = def.mapping.rules.findIndex((r) => r.kind === e.kind && r.resultCodes.some((c) => norm(c) === norm(e.resultCode)));
  if (idx === -1) return { effect: 'none', reason: `no mapping rule for ${e.kind} "${e.resultCode}"` };
  const rule = def.mapping.rules[idx];
  const w = def.truthPolicy.followUpWindow;
  const pos = windowPosition(e.dayOffset, w);
  if (rule.requiresWindow && pos !== 'inside') {
    return {
      effect: 'none',
      reason:
        pos === 'no_window'
          ? 'the rule needs a follow-up window and the policy has none'
          : `outside the follow-up window (day ${e.dayOffset}; window days ${w!.startDays}–${w!.endDays})`,
    };
  }
  return {
    effect: rule.value ? 'positive' : 'negative',
    value: rule.value,
    rank: rankOf(def.mapping, e.kind),
    rule: idx,
    reason: `${e.kind} "${e.resultCode}" → ${rule.value ? 'positive' : 'negative'} (rule ${idx + 1}${rule.requiresWindow ? `, inside the window at day ${e.dayOffset}` : ''})`,
  };
}

/** A subject's truth as the machine tracks it (evidence reference standards only). */
export type SubjectTruth = {
  findingId: string | null;
  findingKey: string | null;
  state: TruthState;
  /** The reference-standard value when verified (true = positive). */
  value: boolean | null;
  /** Evidence supporting the current value. */
  evidenceIds: string[];
  /** Best (lowest) precedence rank among the supporting evidence; null when nothing supports it (a lead's verdict). */
  supportRank: number | null;
  /** What the readers' consensus leads one to expect (mapping.expectation), if anything. */
  expected: boolean | null;
  /** The open discordance review, if any. */
  open: { evidenceId: string; value: boolean; priorState: TruthState; priorValue: boolean | null; reason: string } | null;
  /** A discordance on this subject has been reviewed: the readers' expectation no longer opens one. */
  reviewed: boolean;
};

export type SubjectChange =
  | { kind: 'none'; reason: string }
  | { kind: 'held'; reason: string }
  | { kind: 'outranked'; reason: string }
  | { kind: 'verify' | 'confirm'; reason: string }
  | { kind: 'discordance'; reason: string };

/** Whether evidence about `findingId` (null = the case) concerns this subject. */
export function concerns(subject: { findingId: string | null }, evidenceFindingId: string | null, level: ReferenceStandard['level']): boolean {
  if (level === 'case') return subject.findingId === null;
  return subject.findingId !== null && (evidenceFindingId === null || evidenceFindingId === subject.findingId);
}

/** How one mapped piece of evidence changes a subject. Pure: returns the next subject and what happened. */
export function applyToSubject(s: SubjectTruth, e: EvidenceEntry, m: Mapped): { next: SubjectTruth; change: SubjectChange } {
  if (s.state === 'excluded') return { next: s, change: { kind: 'none', reason: 'the case is excluded' } };
  if (m.effect === 'none') return { next: s, change: { kind: 'none', reason: m.reason } };
  if (s.open) return { next: s, change: { kind: 'held', reason: `${m.reason}; held: a discordance review is open` } };
  const x = m.value;
  const open = (reason: string): { next: SubjectTruth; change: SubjectChange } => ({
    next: { ...s, state: 'discordant', open: { evidenceId: e.id, value: x, priorState: s.state, priorValue: s.value, reason } },
    change: { kind: 'discordance', reason },
  });
  if (s.value === null) {
    if (!s.reviewed && s.expected !== null && s.expected !== x) {
      return open(`${m.reason}, but the readers' consensus expects ${s.expected ? 'positive' : 'negative'}`);
    }
    return { next: { ...s, state: 'verified', value: x, evidenceIds: [e.id], supportRank: m.rank }, change: { kind: 'verify', reason: m.reason } };
  }
  if (s.value === x) {
    return {
      next: { ...s, state: 'verified', evidenceIds: [...s.evidenceIds, e.id], supportRank: s.supportRank === null ? m.rank : Math.min(s.supportRank, m.rank) },
      change: { kind: 'confirm', reason: m.reason },
    };
  }
  if (s.supportRank !== null && m.rank > s.supportRank) {
    return { next: s, change: { kind: 'outranked', reason: `${m.reason}; outranked by evidence of higher precedence` } };
  }
  return open(`${m.reason}, contradicting the current truth (${s.value ? 'positive' : 'negative'})`);
}

/** The window closed: subjects still without a verified value become unverified / lost to follow-up — never negative. */
export function closeWindow(s: SubjectTruth, onClose: FollowUpWindow['onClose']): { next: SubjectTruth; changed: boolean } {
  if (s.state !== 'pending') return { next: s, changed: false };
  return { next: { ...s, state: onClose }, changed: true };
}

export { DISCORDANCE_OUTCOMES, type DiscordanceOutcome };

/**
 * A lead closes a discordance review (decision workflow-0002):
 * - concordant: no real conflict — the truth before the discordance stands (with the evidence
 *   added to its support when it agrees); if there was no value yet, the evidence's value.
 * - truth_changed: the truth becomes `value` (default: the value of the evidence that opened it).
 * - upgraded: positive (e.g. a benign core biopsy upgraded to malignancy at excision).
 * - resample / excision_pending: pending until further evidence arrives.
 */
export function closeDiscordance(
  s: SubjectTruth,
  outcome: DiscordanceOutcome,
  value: boolean | undefined,
  mappedOf: (evidenceId: string) => { value: boolean; rank: number } | null,
  evidenceIds: string[],
): SubjectTruth {
  if (!s.open) return s;
  const support = (v: boolean) => {
    const ids = evidenceIds.filter((id) => mappedOf(id)?.value === v);
    const ranks = ids.map((id) => mappedOf(id)!.rank);
    return { evidenceIds: ids, supportRank: ranks.length ? Math.min(...ranks) : null };
  };
  const verified = (v: boolean): SubjectTruth => ({ ...s, state: 'verified', value: v, ...support(v), open: null, reviewed: true });
  switch (outcome) {
    case 'concordant':
      return s.open.priorValue !== null ? verified(s.open.priorValue) : verified(s.open.value);
    case 'truth_changed':
      return verified(value ?? s.open.value);
    case 'upgraded':
      return verified(true);
    case 'resample':
    case 'excision_pending':
      return { ...s, state: 'pending', value: null, evidenceIds: [], supportRank: null, open: null, reviewed: true };
  }
}

/** What the consensus answers of a subject lead one to expect (mapping.expectation). */
export function expectationOf(mapping: Mapping, values: ReadValues | null, findingKey: string | null): boolean | null {
  const x = mapping.expectation;
  if (!x || !values) return null;
  const a = values[findingKey ? itemKey(x.field, findingKey) : x.field] ?? values[x.field];
  if (a === undefined || typeof a === 'object') return null;
  const v = String(a);
  if (x.positive.includes(v)) return true;
  if (x.negative.includes(v)) return false;
  return null;
}

export type DefinitionLike = { mapping: Mapping; truthPolicy: TruthPolicy; referenceStandard: ReferenceStandard };

/**
 * Builds a subject's truth at a decision from all evidence recorded so far: evidence is applied
 * in precedence order (then as recorded), so the result does not depend on arrival order except
 * where evidence of equal precedence conflicts (a discordance).
 */
export function foldEvidence(
  def: DefinitionLike,
  start: SubjectTruth,
  evidence: EvidenceEntry[],
): { subject: SubjectTruth; changes: { evidenceId: string; change: SubjectChange }[] } {
  const mapped = evidence.filter((e) => concerns(start, e.findingId, def.referenceStandard.level)).map((e, i) => ({ e, m: mapEvidence(def, e), i }));
  mapped.sort((a, b) => (a.m.effect === 'none' ? 99 : a.m.rank) - (b.m.effect === 'none' ? 99 : b.m.rank) || a.i - b.i);
  let s = start;
  const changes: { evidenceId: string; change: SubjectChange }[] = [];
  for (const { e, m } of mapped) {
    const r = applyToSubject(s, e, m);
    s = r.next;
    changes.push({ evidenceId: e.id, change: r.change });
  }
  return { subject: s, changes };
}

/** The truth_labels.value for a verified subject: { <outcome key>: true|false }. */
export function outcomeValue(rs: ReferenceStandard, value: boolean): Record<string, boolean> {
  return { [rs.outcome.key]: value };
}
