/** Badges for a case's workflow state and truth state. */
import { isWorkflowState, STATE_LABEL, STATE_TONE } from '../../domain/workflow-states.ts';

function stateBadge(state: string): { label: string; tone: string } {
  if (isWorkflowState(state)) return { label: STATE_LABEL[state], tone: STATE_TONE[state].badge };
  return { label: state === 'none' ? 'Not started' : state, tone: '' };
}
const TRUTH: Record<string, string> = {
  pending: '',
  verified: 'badge-ok',
  unverified: 'badge-warn',
  lost_to_follow_up: 'badge-warn',
  discordant: 'badge-bad',
  excluded: 'badge-bad',
};

export function StateBadge({ state }: { state: string }) {
  const s = stateBadge(state);
  return <span className={`badge ${s.tone}`}>{s.label}</span>;
}

export function TruthBadge({ state }: { state: string }) {
  return <span className={`badge ${TRUTH[state] ?? ''}`}>{state.replace(/_/g, ' ')}</span>;
}
