import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mappingSchema, referenceStandardSchema, truthPolicySchema } from './definition.ts';
import {
  applyToSubject,
  closeDiscordance,
  closeWindow,
  concerns,
  expectationOf,
  foldEvidence,
  mapEvidence,
  windowPosition,
  type EvidenceEntry,
  type SubjectTruth,
} from './evidence-mapping.ts';

const mammo = {
  referenceStandard: referenceStandardSchema.parse({ level: 'finding', outcome: { key: 'malignant_12m', label: 'Malignant within 12 months' }, source: 'evidence' }),
  mapping: mappingSchema.parse({
    rules: [
      { kind: 'pathology', resultCodes: ['malignant'], value: true },
      { kind: 'surgery', resultCodes: ['malignant'], value: true },
      { kind: 'pathology', resultCodes: ['benign'], value: false },
      { kind: 'follow_up', resultCodes: ['negative'], value: false, requiresWindow: true },
      { kind: 'report', resultCodes: ['birads-1', 'birads-2'], value: false, requiresWindow: true },
    ],
    expectation: { field: 'birads', positive: ['5'], negative: ['1'] },
  }),
  truthPolicy: truthPolicySchema.parse({ readersPerCase: 2, followUpWindow: { startDays: 0, endDays: 365, onClose: 'unverified' } }),
};
const panel = {
  ...mammo,
  referenceStandard: referenceStandardSchema.parse({ level: 'case', outcome: { key: 'ptx', label: 'PTX' }, source: 'panel', panelField: 'ptx' }),
};

let n = 0;
const ev = (kind: EvidenceEntry['kind'], resultCode: string | null, dayOffset = 30, findingId: string | null = 'L'): EvidenceEntry => ({
  id: `e${++n}`,
  kind,
  resultCode,
  dayOffset,
  findingId,
  digest: 'x',
  at: '2024-01-01T00:00:00.000Z',
});
const subject = (over: Partial<SubjectTruth> = {}): SubjectTruth => ({
  findingId: 'L',
  findingKey: 'left',
  state: 'pending',
  value: null,
  evidenceIds: [],
  supportRank: null,
  expected: null,
  open: null,
  reviewed: false,
  ...over,
});

describe('mapEvidence: every evidence kind', () => {
  it('pathology malignant → positive, benign → negative; surgery malignant → positive', () => {
    expect(mapEvidence(mammo, ev('pathology', 'malignant'))).toMatchObject({ effect: 'positive', rank: 0 });
    expect(mapEvidence(mammo, ev('pathology', 'Benign '))).toMatchObject({ effect: 'negative', rank: 0 });
    expect(mapEvidence(mammo, ev('surgery', 'malignant'))).toMatchObject({ effect: 'positive', rank: 1 });
  });
  it('follow-up negative counts only inside the window; report codes likewise; unknown codes and text-only have no effect', () => {
    expect(mapEvidence(mammo, ev('follow_up', 'negative', 200))).toMatchObject({ effect: 'negative', rank: 2 });
    expect(mapEvidence(mammo, ev('follow_up', 'negative', 400))).toMatchObject({ effect: 'none' });
    expect(mapEvidence(mammo, ev('report', 'birads-2', 10))).toMatchObject({ effect: 'negative', rank: 3 });
    expect(mapEvidence(mammo, ev('surgery', 'benign'))).toMatchObject({ effect: 'none' });
    expect(mapEvidence(mammo, ev('pathology', null))).toMatchObject({ effect: 'none', reason: 'no result code (text only)' });
  });
  it('pathology without requiresWindow counts outside the window', () => {
    expect(mapEvidence(mammo, ev('pathology', 'malignant', 900))).toMatchObject({ effect: 'positive' });
  });
  it('panel-truth projects: evidence never maps', () => {
    expect(mapEvidence(panel, ev('pathology', 'malignant'))).toMatchObject({ effect: 'none' });
  });
  it('a rule needing a window when the policy has none has no effect', () => {
    const noWindow = { ...mammo, truthPolicy: truthPolicySchema.parse({ readersPerCase: 2 }) };
    expect(mapEvidence(noWindow, ev('follow_up', 'negative', 10))).toMatchObject({ effect: 'none' });
  });
});

describe('window edges [study + a, study + b]', () => {
  const w = { startDays: 30, endDays: 365, onClose: 'unverified' as const };
  it('a day before, the first day, the last day, a day after', () => {
    expect(windowPosition(29, w)).toBe('before');
    expect(windowPosition(30, w)).toBe('inside');
    expect(windowPosition(365, w)).toBe('inside');
    expect(windowPosition(366, w)).toBe('after');
    expect(windowPosition(5, undefined)).toBe('no_window');
    const def = { ...mammo, truthPolicy: truthPolicySchema.parse({ readersPerCase: 2, followUpWindow: w }) };
    expect([29, 30, 365, 366].map((d) => mapEvidence(def, ev('follow_up', 'negative', d)).effect)).toEqual(['none', 'negative', 'negative', 'none']);
  });
  it('closing the window: pending → onClose state, never negative; verified, discordant untouched', () => {
    expect(closeWindow(subject(), 'unverified').next.state).toBe('unverified');
    expect(closeWindow(subject(), 'lost_to_follow_up').next).toMatchObject({ state: 'lost_to_follow_up', value: null });
    expect(closeWindow(subject({ state: 'verified', value: true }), 'unverified').changed).toBe(false);
    expect(closeWindow(subject({ state: 'discordant' }), 'unverified').changed).toBe(false);
  });
  it('property: a closed window never makes a subject negative', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('pending', 'verified', 'unverified', 'lost_to_follow_up', 'discordant', 'excluded'),
        fc.option(fc.boolean()),
        fc.constantFrom('unverified', 'lost_to_follow_up'),
        (state, value, onClose) => {
          const s = subject({ state: state as SubjectTruth['state'], value: state === 'verified' ? (value ?? true) : null });
          const r = closeWindow(s, onClose as 'unverified');
          if (r.changed) expect(r.next.value).toBeNull();
          else expect(r.next).toEqual(s);
        },
      ),
    );
  });
});

describe('applyToSubject', () => {
  it('first verifying evidence verifies; agreeing evidence confirms; contradicting evidence opens a discordance', () => {
    const p = ev('pathology', 'malignant');
    const a = applyToSubject(subject(), p, mapEvidence(mammo, p));
    expect(a.change.kind).toBe('verify');
    expect(a.next).toMatchObject({ state: 'verified', value: true, evidenceIds: [p.id], supportRank: 0 });
    const s2 = ev('surgery', 'malignant');
    const b = applyToSubject(a.next, s2, mapEvidence(mammo, s2));
    expect(b.change.kind).toBe('confirm');
    expect(b.next.evidenceIds).toEqual([p.id, s2.id]);
    const benign = ev('pathology', 'benign');
    const c = applyToSubject(b.next, benign, mapEvidence(mammo, benign));
    expect(c.change.kind).toBe('discordance');
    expect(c.next).toMatchObject({ state: 'discordant', value: true, open: { evidenceId: benign.id, value: false, priorState: 'verified', priorValue: true } });
  });
  it('lower-precedence contradicting evidence is outranked; evidence during an open review is held', () => {
    const p = ev('pathology', 'malignant');
    const a = applyToSubject(subject(), p, mapEvidence(mammo, p)).next;
    const f = ev('follow_up', 'negative', 100);
    expect(applyToSubject(a, f, mapEvidence(mammo, f)).change.kind).toBe('outranked');
    const d = subject({ state: 'discordant', open: { evidenceId: 'x', value: false, priorState: 'pending', priorValue: null, reason: '' } });
    expect(applyToSubject(d, p, mapEvidence(mammo, p))).toMatchObject({ next: d, change: { kind: 'held' } });
  });
  it('radiologic–pathologic discordance: BI-RADS 5 with a benign biopsy', () => {
    const s = subject({ expected: expectationOf(mammo.mapping, { 'left/birads': '5' }, 'left') });
    expect(s.expected).toBe(true);
    const b = ev('pathology', 'benign');
    expect(applyToSubject(s, b, mapEvidence(mammo, b)).change.kind).toBe('discordance');
    // once reviewed, the expectation no longer opens one
    expect(applyToSubject({ ...s, reviewed: true }, b, mapEvidence(mammo, b)).change.kind).toBe('verify');
  });
  it('evidence about the case concerns every finding; about one finding only that one', () => {
    expect(concerns({ findingId: 'L' }, null, 'finding')).toBe(true);
    expect(concerns({ findingId: 'L' }, 'R', 'finding')).toBe(false);
    expect(concerns({ findingId: null }, 'R', 'case')).toBe(true);
  });
});

describe('closeDiscordance: every outcome', () => {
  const opened = (priorValue: boolean | null) =>
    subject({
      state: 'discordant',
      value: priorValue,
      open: { evidenceId: 'b', value: false, priorState: priorValue === null ? 'pending' : 'verified', priorValue, reason: 'r' },
    });
  const mapped = (id: string) => (id === 'b' ? { value: false, rank: 0 } : id === 'm' ? { value: true, rank: 0 } : null);
  it('concordant keeps the prior truth, or takes the evidence when there was none', () => {
    expect(closeDiscordance(opened(true), 'concordant', undefined, mapped, ['m', 'b'])).toMatchObject({
      state: 'verified',
      value: true,
      evidenceIds: ['m'],
      open: null,
      reviewed: true,
    });
    expect(closeDiscordance(opened(null), 'concordant', undefined, mapped, ['b'])).toMatchObject({ state: 'verified', value: false, evidenceIds: ['b'] });
  });
  it('truth_changed takes the evidence (or the given value); upgraded is positive; resample / excision pending wait', () => {
    expect(closeDiscordance(opened(true), 'truth_changed', undefined, mapped, ['m', 'b'])).toMatchObject({ state: 'verified', value: false });
    expect(closeDiscordance(opened(true), 'truth_changed', true, mapped, ['m', 'b'])).toMatchObject({ state: 'verified', value: true });
    expect(closeDiscordance(opened(null), 'upgraded', undefined, mapped, ['b'])).toMatchObject({ state: 'verified', value: true, supportRank: null });
    expect(closeDiscordance(opened(true), 'resample', undefined, mapped, ['b'])).toMatchObject({ state: 'pending', value: null, open: null });
    expect(closeDiscordance(opened(true), 'excision_pending', undefined, mapped, ['b'])).toMatchObject({ state: 'pending', value: null });
  });
});

describe('foldEvidence', () => {
  it('applies evidence in precedence order: the result does not depend on arrival order without equal-rank conflicts', () => {
    const kinds = fc.constantFrom(['pathology', 'malignant'], ['surgery', 'malignant'], ['follow_up', 'negative'], ['report', 'birads-1'], ['report', 'unknown']);
    fc.assert(
      fc.property(fc.array(kinds, { maxLength: 6 }), fc.array(fc.integer({ min: -10, max: 500 }), { minLength: 6, maxLength: 6 }), fc.nat(), (picks, days, seed) => {
        const list = picks.map(([k, c], i) => ev(k as EvidenceEntry['kind'], c, days[i]));
        const shuffled = [...list].sort((a, b) => ((a.id.charCodeAt(1) * 31 + seed) % 7) - ((b.id.charCodeAt(1) * 31 + seed) % 7));
        const a = foldEvidence(mammo, subject(), list).subject;
        const b = foldEvidence(mammo, subject(), shuffled).subject;
        expect({ state: a.state, value: a.value }).toEqual({ state: b.state, value: b.value });
        // pathology malignant present → positive (highest precedence)
        if (picks.some(([k]) => k === 'pathology')) expect(a.value).toBe(true);
      }),
    );
  });
});
