/**
 * The case workflow's states and their tags: declared once. The machines tag their states from
 * STATE_TAGS; every layer asks these functions (never a list of its own) whether a case is
 * decided, awaiting reads or in adjudication. Pure: no imports.
 */

export const WORKFLOW_STATES = ['awaitingReads', 'evaluating', 'adjudication', 'exclusionReview', 'decided', 'awaitingEvidence', 'discordant', 'excluded', 'withdrawn'] as const;
export type WorkflowState = (typeof WORKFLOW_STATES)[number];

export const WORKFLOW_TAGS = ['awaiting_reads', 'in_adjudication', 'in_review', 'decided', 'awaiting_evidence', 'terminal'] as const;
export type WorkflowTag = (typeof WORKFLOW_TAGS)[number];

/**
 * `decided`: the truth is settled (by rule, adjudication or exclusion) and the case takes no
 * more reads unless a lead reopens it — the one meaning of "decided" for blinding and reveal.
 * `in_review`: a lead must decide something (an exclusion, an evidence discordance).
 * `awaiting_evidence`: decided by its readers, a historical case (imported after its follow-up
 *   window closed) waits for its evidence until the lead marks it complete or a grace period ends.
 * `terminal`: nothing more happens to the case.
 */
export const STATE_TAGS: { readonly [S in WorkflowState]: readonly WorkflowTag[] } = {
  awaitingReads: ['awaiting_reads'],
  evaluating: [],
  adjudication: ['in_adjudication'],
  exclusionReview: ['in_review'],
  decided: ['decided'],
  awaitingEvidence: ['decided', 'awaiting_evidence'],
  discordant: ['decided', 'in_review'],
  excluded: ['decided'],
  withdrawn: ['terminal'],
};

export const STATE_LABEL: { readonly [S in WorkflowState]: string } = {
  awaitingReads: 'Awaiting reads',
  evaluating: 'Evaluating',
  adjudication: 'In adjudication',
  exclusionReview: 'Exclusion to confirm',
  decided: 'Decided',
  awaitingEvidence: 'Awaiting evidence',
  discordant: 'Discordant',
  excluded: 'Excluded',
  withdrawn: 'Withdrawn',
};

/** Badge tone and chart colour per state (pages show states with these). */
export const STATE_TONE: { readonly [S in WorkflowState]: { badge: '' | 'badge-info' | 'badge-warn' | 'badge-ok' | 'badge-bad'; colour: string } } = {
  awaitingReads: { badge: '', colour: '#aab3bf' },
  evaluating: { badge: 'badge-info', colour: '#8cc2ff' },
  adjudication: { badge: 'badge-warn', colour: '#e0a030' },
  exclusionReview: { badge: 'badge-warn', colour: '#c77c00' },
  decided: { badge: 'badge-ok', colour: '#1d7a46' },
  awaitingEvidence: { badge: 'badge-info', colour: '#5b8fd6' },
  discordant: { badge: 'badge-bad', colour: '#b3261e' },
  excluded: { badge: 'badge-bad', colour: '#6d2a25' },
  withdrawn: { badge: '', colour: '#555d66' },
};

export function isWorkflowState(s: unknown): s is WorkflowState {
  return typeof s === 'string' && (WORKFLOW_STATES as readonly string[]).includes(s);
}

/** A state name, a persisted snapshot ({ value }) or a live one: its state name. */
type StateLike = string | { value: unknown };
function nameOf(s: StateLike): string {
  if (typeof s === 'string') return s;
  return typeof s.value === 'string' ? s.value : (Object.keys((s.value ?? {}) as object)[0] ?? '');
}

export function hasTag(s: StateLike, tag: WorkflowTag): boolean {
  const name = nameOf(s);
  return isWorkflowState(name) && STATE_TAGS[name].includes(tag);
}

/** Whether the case's truth is decided: the only test of it, for every layer. */
export function isDecided(s: StateLike): boolean {
  return hasTag(s, 'decided');
}

/** The states that carry a tag (for queries: `WHERE state IN (...)`). */
export function statesTagged(tag: WorkflowTag): WorkflowState[] {
  return WORKFLOW_STATES.filter((s) => STATE_TAGS[s].includes(tag));
}
