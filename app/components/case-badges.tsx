/** Badges for a case's workflow state and truth state. */
const STATE: Record<string, { label: string; tone: string }> = {
  awaitingReads: { label: 'Awaiting reads', tone: '' },
  evaluating: { label: 'Evaluating', tone: 'badge-info' },
  adjudication: { label: 'In adjudication', tone: 'badge-warn' },
  exclusionReview: { label: 'Exclusion to confirm', tone: 'badge-warn' },
  decided: { label: 'Decided', tone: 'badge-ok' },
  discordant: { label: 'Discordant', tone: 'badge-bad' },
  excluded: { label: 'Excluded', tone: 'badge-bad' },
  none: { label: 'Not started', tone: '' },
};
const TRUTH: Record<string, string> = {
  pending: '',
  verified: 'badge-ok',
  unverified: 'badge-warn',
  lost_to_follow_up: 'badge-warn',
  discordant: 'badge-bad',
  excluded: 'badge-bad',
};

export function StateBadge({ state }: { state: string }) {
  const s = STATE[state] ?? { label: state, tone: '' };
  return <span className={`badge ${s.tone}`}>{s.label}</span>;
}

export function TruthBadge({ state }: { state: string }) {
  return <span className={`badge ${TRUTH[state] ?? ''}`}>{state.replace(/_/g, ' ')}</span>;
}
