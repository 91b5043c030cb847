import { describe, expect, it } from 'vitest';
import { hasTag, isDecided, statesTagged, WORKFLOW_STATES } from './workflow-states.ts';

describe('workflow states', () => {
  it('a case is decided once its truth is settled: decided, awaiting historical evidence, discordant (evidence under review) and excluded', () => {
    expect(WORKFLOW_STATES.filter((s) => isDecided(s))).toEqual(['decided', 'awaitingEvidence', 'discordant', 'excluded']);
    expect(statesTagged('decided')).toEqual(['decided', 'awaitingEvidence', 'discordant', 'excluded']);
  });
  it('a case that can still return to reading is not decided (exclusion review included)', () => {
    for (const s of ['awaitingReads', 'evaluating', 'adjudication', 'exclusionReview', 'withdrawn']) expect(isDecided(s), s).toBe(false);
  });
  it('reads a persisted snapshot and refuses unknown names', () => {
    expect(isDecided({ value: 'decided' })).toBe(true);
    expect(isDecided({ value: 'nonsense' })).toBe(false);
    expect(hasTag({ value: 'adjudication' }, 'in_adjudication')).toBe(true);
  });
});
