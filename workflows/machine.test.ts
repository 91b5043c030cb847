import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultRegistry, replay, sameSnapshot, startSnapshot, step, stateName, toPayload, type PersistedSnapshot, type RecordedEvent } from './engine.ts';
import { countedReads, neededReads, type CaseEvent, type CaseInput, type Effect } from './machine.ts';
import { mappingSchema, readerFormSchema, referenceStandardSchema, truthPolicySchema } from './definition.ts';

type NoAt<T> = T extends unknown ? Omit<T, 'at'> : never;
const AT = '2024-05-01T10:00:00.000Z';
let n = 0;
const id = () => `id-${++n}`;

function inputFor(opts: { policy?: object; form?: object; level?: 'case' | 'finding'; findings?: { id: string; key: string }[] } = {}): CaseInput {
  return {
    caseId: 'case-1',
    projectId: 'proj-1',
    projectVersion: 1,
    readerForm: readerFormSchema.parse(opts.form ?? { fields: [{ key: 'ptx', label: 'Pneumothorax', kind: 'binary' }] }),
    truthPolicy: truthPolicySchema.parse({ readersPerCase: 2, ...opts.policy }),
    referenceStandard: referenceStandardSchema.parse({ level: opts.level ?? 'case', outcome: { key: 'ptx', label: 'PTX' }, source: 'panel', panelField: 'ptx' }),
    mapping: mappingSchema.parse({}),
    findings: opts.findings ?? [],
    startedAt: AT,
  };
}

/** Drives the machine through the same pure path the runtime uses, recording events for replay. */
class Driver {
  snapshot: PersistedSnapshot;
  effects: Effect[] = [];
  events: RecordedEvent[];
  constructor(input: CaseInput) {
    this.snapshot = startSnapshot(defaultRegistry, input).snapshot;
    this.events = [{ seq: 1, type: 'case.start', payload: { input }, actorId: null, occurredAt: AT, machineVersion: defaultRegistry.current }];
  }
  get state() {
    return stateName(this.snapshot);
  }
  get ctx() {
    return this.snapshot.context;
  }
  send(ev: NoAt<CaseEvent> & { at?: string }): string | null {
    const event = { at: AT, ...ev } as CaseEvent;
    const r = step(defaultRegistry, defaultRegistry.current, this.snapshot, event);
    if (!r.ok) return r.reason;
    this.snapshot = r.snapshot;
    this.effects = r.effects;
    this.events.push({
      seq: this.events.length + 1,
      type: event.type,
      payload: toPayload(event),
      actorId: event.actorId,
      occurredAt: event.at,
      machineVersion: defaultRegistry.current,
    });
    return null;
  }
  read(actorId: string, values: Record<string, unknown> | null) {
    const readId = id();
    const why = this.send({ type: 'read.submit', readId, values: values as never, actorId });
    if (why) throw new Error(why);
    return readId;
  }
  truth() {
    return this.effects.find((e) => e.type === 'truth.write') as Extract<Effect, { type: 'truth.write' }> | undefined;
  }
}

describe('binary, two readers, adjudication on disagreement', () => {
  it('agreement decides with a verified consensus truth', () => {
    const d = new Driver(inputFor());
    const r1 = d.read('u1', { ptx: true });
    expect(d.state).toBe('awaitingReads');
    const r2 = d.read('u2', { ptx: true });
    expect(d.state).toBe('decided');
    expect(d.truth()).toMatchObject({ state: 'verified', method: 'consensus', subjects: [{ findingId: null, value: { ptx: true } }], derivedFromReads: [r1, r2] });
    expect(sameSnapshot(replay(defaultRegistry, d.events).snapshot, d.snapshot)).toBe(true);
  });

  it('disagreement goes to adjudication; pick a read with a rationale', () => {
    const d = new Driver(inputFor());
    d.read('u1', { ptx: true });
    const r2 = d.read('u2', { ptx: false });
    expect(d.state).toBe('adjudication');
    expect(d.ctx.evaluation?.disputes).toEqual([expect.objectContaining({ item: 'ptx', rule: 'unanimous' })]);
    expect(d.send({ type: 'adjudication.decide', readId: id(), pickReadId: r2, rationale: '', actorId: 'adj' })).toMatch(/rationale/);
    expect(d.send({ type: 'adjudication.decide', readId: id(), pickReadId: r2, rationale: 'x', actorId: 'u1' })).toMatch(/you read this case/);
    expect(d.send({ type: 'adjudication.decide', readId: id(), pickReadId: r2, rationale: 'no rim', actorId: 'adj' })).toBeNull();
    expect(d.state).toBe('decided');
    expect(d.truth()).toMatchObject({ method: 'adjudication', deciderId: 'adj', rationale: 'no rim', subjects: [{ value: { ptx: false } }] });
    expect(d.effects.find((e) => e.type === 'read.record')).toMatchObject({ source: 'adjudicator', authorId: 'adj', values: { ptx: false } });
  });

  it('the adjudicator may enter a value or ask for one more read', () => {
    const d = new Driver(inputFor());
    d.read('u1', { ptx: true });
    d.read('u2', { ptx: false });
    expect(d.send({ type: 'adjudication.requestRead', rationale: 'subtle', actorId: 'adj' })).toBeNull();
    expect(d.state).toBe('awaitingReads');
    expect(neededReads(d.ctx)).toBe(3);
    d.read('u3', { ptx: true });
    // One more read settles by majority.
    expect(d.state).toBe('decided');
    expect(d.truth()).toMatchObject({ method: 'majority', subjects: [{ value: { ptx: true } }] });
  });

  it('refuses events the state does not accept, and reads twice by one reader', () => {
    const d = new Driver(inputFor());
    d.read('u1', { ptx: true });
    expect(d.send({ type: 'read.submit', readId: id(), values: { ptx: true }, actorId: 'u1' })).toMatch(/already read/);
    expect(d.send({ type: 'case.reopen', reason: 'x', actorId: 'lead' })).toMatch(/does not accept case.reopen/);
    d.read('u2', { ptx: true });
    expect(d.send({ type: 'read.submit', readId: id(), values: { ptx: true }, actorId: 'u3' })).toMatch(/decided, which does not accept read.submit/);
  });
});

describe('BI-RADS per breast, ordinal d = 1, threshold 3|4', () => {
  const form = {
    findings: [
      { key: 'left', label: 'Left' },
      { key: 'right', label: 'Right' },
    ],
    fields: [{ key: 'birads', label: 'BI-RADS', kind: 'ordinal', scope: 'finding', options: ['1', '2', '3', '4', '5'].map((v) => ({ value: v, label: v })) }],
  };
  const input = () =>
    inputFor({
      form,
      level: 'finding',
      findings: [
        { id: 'f-left', key: 'left' },
        { id: 'f-right', key: 'right' },
      ],
      policy: { rules: { birads: { type: 'ordinal_distance', d: 1, thresholds: [['3', '4']] } } },
    });

  it('within one category decides per breast', () => {
    const d = new Driver(input());
    d.read('u1', { 'left/birads': '1', 'right/birads': '4' });
    d.read('u2', { 'left/birads': '2', 'right/birads': '5' });
    expect(d.state).toBe('decided');
    expect(d.truth()?.subjects).toEqual([
      { findingId: 'f-left', findingKey: 'left', value: { birads: '2' } },
      { findingId: 'f-right', findingKey: 'right', value: { birads: '5' } },
    ]);
  });

  it('3 vs 4 goes to adjudication for that breast only; the adjudicator answers only the disputed item', () => {
    const d = new Driver(input());
    d.read('u1', { 'left/birads': '1', 'right/birads': '3' });
    d.read('u2', { 'left/birads': '1', 'right/birads': '4' });
    expect(d.state).toBe('adjudication');
    expect(d.send({ type: 'adjudication.decide', readId: id(), values: { 'right/birads': '4', 'left/birads': '1' }, rationale: 'r', actorId: 'adj' })).toMatch(/not in dispute/);
    expect(d.send({ type: 'adjudication.decide', readId: id(), values: { 'right/birads': '4' }, rationale: 'spiculated', actorId: 'adj' })).toBeNull();
    expect(d.truth()?.subjects.map((s) => s.value)).toEqual([{ birads: '1' }, { birads: '4' }]);
  });
});

describe('2+1: a third reader only on disagreement, then majority', () => {
  const input = () => inputFor({ policy: { onDisagreement: 'extra_reader' } });
  it('agreement needs no third reader', () => {
    const d = new Driver(input());
    d.read('u1', { ptx: false });
    d.read('u2', { ptx: false });
    expect(d.state).toBe('decided');
  });
  it('disagreement brings a third reader whose read settles by majority', () => {
    const d = new Driver(input());
    d.read('u1', { ptx: false });
    d.read('u2', { ptx: true });
    expect(d.state).toBe('awaitingReads');
    expect(neededReads(d.ctx)).toBe(3);
    d.read('u3', { ptx: true });
    expect(d.state).toBe('decided');
    expect(d.truth()).toMatchObject({ method: 'majority', subjects: [{ value: { ptx: true } }] });
  });
  it('no majority after the third reader goes to adjudication', () => {
    const d = new Driver(
      inputFor({
        policy: { onDisagreement: 'extra_reader' },
        form: { fields: [{ key: 'kind', label: 'K', kind: 'nominal', options: ['a', 'b', 'c'].map((v) => ({ value: v, label: v })) }] },
      }),
    );
    d.read('u1', { kind: 'a' });
    d.read('u2', { kind: 'b' });
    d.read('u3', { kind: 'c' });
    expect(d.state).toBe('adjudication');
  });
});

describe('cannot assess', () => {
  it('does not count, brings another reader, and two ask the lead to confirm exclusion', () => {
    const d = new Driver(inputFor());
    d.read('u1', null);
    expect(d.state).toBe('awaitingReads');
    d.read('u2', { ptx: true });
    expect(d.state).toBe('awaitingReads');
    expect(countedReads(d.ctx).length).toBe(1);
    d.read('u3', null);
    expect(d.state).toBe('exclusionReview');
    expect(d.effects).toContainEqual(expect.objectContaining({ type: 'review.open', kind: 'exclusion' }));
    expect(d.send({ type: 'exclusion.resolve', exclude: true, reason: '', actorId: 'lead' })).toMatch(/reason/);
    expect(d.send({ type: 'exclusion.resolve', exclude: true, reason: 'motion artefact', actorId: 'lead' })).toBeNull();
    expect(d.state).toBe('excluded');
    expect(d.truth()).toMatchObject({ state: 'excluded', method: 'exclusion', rationale: 'motion artefact' });
  });
  it('the lead may decline: reading continues', () => {
    const d = new Driver(inputFor());
    d.read('u1', null);
    d.read('u2', null);
    expect(d.send({ type: 'exclusion.resolve', exclude: false, reason: 'readable on window', actorId: 'lead' })).toBeNull();
    expect(d.state).toBe('awaitingReads');
    d.read('u3', { ptx: true });
    d.read('u4', { ptx: true });
    expect(d.state).toBe('decided');
  });
});

describe('multi-label adjudicates only the labels in dispute', () => {
  it('keeps agreed labels whatever the adjudicator enters', () => {
    const d = new Driver(inputFor({ form: { fields: [{ key: 'signs', label: 'S', kind: 'multi_label', options: ['a', 'b', 'c'].map((v) => ({ value: v, label: v })) }] } }));
    d.read('u1', { signs: ['a', 'b'] });
    d.read('u2', { signs: ['a'] });
    expect(d.ctx.evaluation?.disputes.map((x) => x.label)).toEqual(['b']);
    d.send({ type: 'adjudication.decide', readId: id(), values: { signs: [] }, rationale: 'no b', actorId: 'adj' });
    expect(d.truth()?.subjects[0].value).toEqual({ signs: ['a'] });
  });
});

describe('panel adjudication', () => {
  it('decides by majority of the panel; a deadlock discards the votes', () => {
    const d = new Driver(inputFor({ policy: { adjudication: { mode: 'panel', panelSize: 2 } } }));
    const r1 = d.read('u1', { ptx: true });
    const r2 = d.read('u2', { ptx: false });
    expect(d.send({ type: 'adjudication.decide', readId: id(), pickReadId: r1, rationale: 'a', actorId: 'adj1' })).toBeNull();
    expect(d.state).toBe('adjudication');
    expect(d.send({ type: 'adjudication.decide', readId: id(), pickReadId: r1, rationale: 'again', actorId: 'adj1' })).toMatch(/already adjudicated/);
    expect(d.send({ type: 'adjudication.decide', readId: id(), pickReadId: r2, rationale: 'b', actorId: 'adj2' })).toBeNull();
    expect(d.state).toBe('adjudication');
    expect(d.effects).toContainEqual(expect.objectContaining({ type: 'note', action: 'workflow.panel_deadlock' }));
    d.send({ type: 'adjudication.decide', readId: id(), pickReadId: r2, rationale: 'c', actorId: 'adj1' });
    d.send({ type: 'adjudication.decide', readId: id(), values: { ptx: false }, rationale: 'd', actorId: 'adj3' });
    expect(d.state).toBe('decided');
    expect(d.truth()).toMatchObject({ method: 'panel_adjudication', subjects: [{ value: { ptx: false } }], rationale: 'c\nd' });
  });
});

describe('amendments and reopening', () => {
  it('a reader replaces their own read while the reads come in; after the decision an amendment is recorded, not counted', () => {
    const d = new Driver(inputFor());
    const r1 = d.read('u1', { ptx: true });
    expect(d.send({ type: 'read.amend', readId: id(), supersedesReadId: r1, values: { ptx: false }, reason: '', actorId: 'u1' })).toMatch(/reason/);
    expect(d.send({ type: 'read.amend', readId: id(), supersedesReadId: r1, values: { ptx: false }, reason: 'x', actorId: 'u2' })).toMatch(/only the reader/);
    const a = id();
    expect(d.send({ type: 'read.amend', readId: a, supersedesReadId: r1, values: { ptx: false }, reason: 'missed rim', actorId: 'u1' })).toBeNull();
    expect(d.effects).toContainEqual(expect.objectContaining({ type: 'read.record', supersedesId: r1, amendmentReason: 'missed rim' }));
    expect(d.send({ type: 'read.amend', readId: id(), supersedesReadId: r1, values: { ptx: true }, reason: 'again', actorId: 'u1' })).toMatch(/already been amended/);
    d.read('u2', { ptx: false });
    expect(d.state).toBe('decided');
    expect(d.truth()?.derivedFromReads[0]).toBe(a);
    const late = id();
    expect(d.send({ type: 'read.amend', readId: late, supersedesReadId: a, values: { ptx: true }, reason: 'late', actorId: 'u1' })).toBeNull();
    expect(d.state).toBe('decided');
    expect(d.truth()).toBeUndefined();
    expect(d.effects).toContainEqual(expect.objectContaining({ type: 'read.record', readId: late, supersedesId: a, amendmentReason: 'late' }));
    expect(countedReads(d.ctx).map((r) => r.id)).toContain(a);
    expect(d.send({ type: 'read.amend', readId: id(), supersedesReadId: a, values: { ptx: true }, reason: 'again', actorId: 'u1' })).toMatch(/already been amended/);
  });
  it('amending to agree during adjudication records the amendment and the case stays in adjudication', () => {
    const d = new Driver(inputFor());
    const r1 = d.read('u1', { ptx: true });
    const r2 = d.read('u2', { ptx: false });
    expect(d.state).toBe('adjudication');
    const amended = id();
    expect(d.send({ type: 'read.amend', readId: amended, supersedesReadId: r1, values: { ptx: false }, reason: 'typo', actorId: 'u1' })).toBeNull();
    expect(d.state).toBe('adjudication');
    expect(d.effects).toContainEqual(expect.objectContaining({ type: 'read.record', readId: amended, supersedesId: r1 }));
    expect(d.effects).toContainEqual(expect.objectContaining({ type: 'note', action: 'workflow.late_amendment' }));
    expect(d.ctx.evaluation?.agreed).toBe(false);
    expect(countedReads(d.ctx).map((r) => r.id)).toEqual([r1, r2]);
    expect(d.send({ type: 'adjudication.decide', readId: id(), pickReadId: r2, rationale: 'no rim', actorId: 'adj' })).toBeNull();
    expect(d.truth()).toMatchObject({ method: 'adjudication', derivedFromReads: expect.not.arrayContaining([amended]) });
  });
  it('an amendment after a 2+1 disagreement is late: the third read decides by majority of the original answers', () => {
    const d = new Driver(inputFor({ policy: { onDisagreement: 'extra_reader' } }));
    const r1 = d.read('u1', { ptx: true });
    d.read('u2', { ptx: false });
    expect(d.state).toBe('awaitingReads');
    expect(d.send({ type: 'read.amend', readId: id(), supersedesReadId: r1, values: { ptx: false }, reason: 'agree', actorId: 'u1' })).toBeNull();
    d.read('u3', { ptx: true });
    expect(d.truth()).toMatchObject({ method: 'majority', subjects: [{ value: { ptx: true } }] });
  });
  it('the lead reopens a decided case for a new round; a pending truth version marks it', () => {
    const d = new Driver(inputFor());
    d.read('u1', { ptx: true });
    d.read('u2', { ptx: true });
    expect(d.send({ type: 'case.reopen', reason: '', actorId: 'lead' })).toMatch(/reason/);
    expect(d.send({ type: 'case.reopen', reason: 'new prior available', actorId: 'lead' })).toBeNull();
    expect(d.state).toBe('awaitingReads');
    expect(d.truth()).toMatchObject({ state: 'pending', method: 'reopened' });
    expect(d.ctx.round).toBe(2);
    d.read('u1', { ptx: false });
    d.read('u2', { ptx: false });
    expect(d.truth()).toMatchObject({ state: 'verified', subjects: [{ value: { ptx: false } }] });
    expect(sameSnapshot(replay(defaultRegistry, d.events).snapshot, d.snapshot)).toBe(true);
  });
});

describe('properties over random event sequences', () => {
  const actors = ['u1', 'u2', 'u3', 'u4', 'adj1', 'adj2', 'lead'];
  const evArb = fc.oneof(
    fc.record({ kind: fc.constant('read' as const), actor: fc.constantFrom(...actors), v: fc.constantFrom(true, false, null) }),
    fc.record({ kind: fc.constant('amend' as const), actor: fc.constantFrom(...actors), v: fc.constantFrom(true, false, null) }),
    fc.record({ kind: fc.constant('adjudicate' as const), actor: fc.constantFrom(...actors), v: fc.constantFrom(true, false) }),
    fc.record({ kind: fc.constant('more' as const), actor: fc.constantFrom(...actors), v: fc.constant(true) }),
    fc.record({ kind: fc.constant('exclusion' as const), actor: fc.constant('lead'), v: fc.boolean() }),
    fc.record({ kind: fc.constant('reopen' as const), actor: fc.constant('lead'), v: fc.constant(true) }),
  );
  const policyArb = fc.record({
    readersPerCase: fc.integer({ min: 1, max: 3 }),
    onDisagreement: fc.constantFrom('adjudicate', 'extra_reader'),
    adjudication: fc.constantFrom({ mode: 'single', panelSize: 1 }, { mode: 'panel', panelSize: 2 }, { mode: 'panel', panelSize: 3 }),
    cannotAssessLimit: fc.integer({ min: 1, max: 3 }),
  });

  it('never more counted reads than allowed; decided only by rule or adjudication; replay equals the snapshot', () => {
    fc.assert(
      fc.property(policyArb, fc.array(evArb, { maxLength: 30 }), (policy, script) => {
        const d = new Driver(inputFor({ policy }));
        for (const s of script) {
          const cur = d.ctx.reads.filter((r) => r.round === d.ctx.round && !r.supersededBy && r.readerId === s.actor)[0];
          const ev =
            s.kind === 'read'
              ? { type: 'read.submit' as const, readId: id(), values: s.v === null ? null : { ptx: s.v }, actorId: s.actor }
              : s.kind === 'amend'
                ? { type: 'read.amend' as const, readId: id(), supersedesReadId: cur?.id ?? 'none', values: s.v === null ? null : { ptx: s.v }, reason: 'r', actorId: s.actor }
                : s.kind === 'adjudicate'
                  ? { type: 'adjudication.decide' as const, readId: id(), values: { ptx: s.v as boolean }, rationale: 'r', actorId: s.actor }
                  : s.kind === 'more'
                    ? { type: 'adjudication.requestRead' as const, rationale: 'r', actorId: s.actor }
                    : s.kind === 'exclusion'
                      ? { type: 'exclusion.resolve' as const, exclude: s.v as boolean, reason: 'r', actorId: s.actor }
                      : { type: 'case.reopen' as const, reason: 'r', actorId: s.actor };
          const before = d.state;
          d.send(ev);
          expect(countedReads(d.ctx).length).toBeLessThanOrEqual(neededReads(d.ctx));
          if (d.state === 'decided' && before !== 'decided') {
            const dec = d.ctx.decision!;
            if (dec.method === 'consensus' || dec.method === 'majority') expect(d.ctx.evaluation?.agreed).toBe(true);
            else expect(ev.type).toBe('adjudication.decide');
            expect(d.truth()).toBeDefined();
          }
          // Nobody both reads and adjudicates a round.
          const readers = new Set(d.ctx.reads.filter((r) => r.round === d.ctx.round).map((r) => r.readerId));
          for (const v of d.ctx.votes.filter((v) => v.round === d.ctx.round)) expect(readers.has(v.adjudicatorId)).toBe(false);
        }
        expect(sameSnapshot(replay(defaultRegistry, d.events).snapshot, d.snapshot)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
