import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyResolution, evaluateAnswers, evaluateReads, policyProblems } from './agreement-rules.ts';
import { readerFormSchema, truthPolicySchema, type Field } from './definition.ts';

const birads = readerFormSchema.parse({
  findings: [
    { key: 'left', label: 'Left' },
    { key: 'right', label: 'Right' },
  ],
  fields: [
    {
      key: 'birads',
      label: 'BI-RADS',
      kind: 'ordinal',
      scope: 'finding',
      options: ['1', '2', '3', '4', '5'].map((v) => ({ value: v, label: v })),
      outsideScale: [{ value: '0', label: 'Incomplete' }],
    },
  ],
});
const biradsField = birads.fields[0] as Extract<Field, { kind: 'ordinal' }>;
const biradsRule = { type: 'ordinal_distance' as const, d: 1, thresholds: [['3', '4']] as [string, string][] };
const scale = ['1', '2', '3', '4', '5'];

const binary: Field = { key: 'ptx', label: 'PTX', kind: 'binary', scope: 'case', required: true, trueLabel: 'Yes', falseLabel: 'No' };
const numeric: Field = { key: 'size', label: 'Size', kind: 'numeric', scope: 'case', required: true, unit: 'mm' };
const multi = readerFormSchema.parse({
  fields: [{ key: 'signs', label: 'Signs', kind: 'multi_label', options: ['a', 'b', 'c'].map((v) => ({ value: v, label: v })) }],
});

describe('unanimous and m of k', () => {
  it('unanimous agrees only when all answers are equal', () => {
    expect(evaluateAnswers(binary, { type: 'unanimous' }, [true, true])).toMatchObject({ ok: true, value: true });
    expect(evaluateAnswers(binary, { type: 'unanimous' }, [true, false])).toMatchObject({ ok: false, rule: 'unanimous' });
  });
  it('m of k needs m equal answers', () => {
    const r = { type: 'm_of_k' as const, m: 2, k: 3 };
    expect(evaluateAnswers(binary, r, [true, false, true])).toMatchObject({ ok: true, value: true, method: 'm_of_k' });
    expect(evaluateAnswers(binary, { type: 'm_of_k', m: 3, k: 3 }, [true, false, true])).toMatchObject({ ok: false, rule: 'm_of_k' });
  });
  it('property: unanimous on identical answers agrees with that answer', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 1, max: 8 }), (v, n) => {
        expect(evaluateAnswers(binary, { type: 'unanimous' }, Array(n).fill(v))).toMatchObject({ ok: true, value: v });
      }),
    );
  });
  it('property: m of k agrees iff the modal answer occurs at least m times (and is not tied)', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 9 }), fc.integer({ min: 1, max: 9 }), (answers, m) => {
        const yes = answers.filter(Boolean).length;
        const no = answers.length - yes;
        const out = evaluateAnswers(binary, { type: 'm_of_k', m, k: answers.length }, answers);
        expect(out.ok).toBe(Math.max(yes, no) >= m && yes !== no);
        if (out.ok) expect(out.value).toBe(yes > no);
      }),
    );
  });
});

describe('ordinal distance with clinical thresholds (BI-RADS, d = 1, 3|4)', () => {
  const ev = (a: string[]) => evaluateAnswers(biradsField, biradsRule, a);
  it('adjacent categories agree, upper median is the consensus', () => {
    expect(ev(['4', '5'])).toMatchObject({ ok: true, value: '5' });
    expect(ev(['1', '2'])).toMatchObject({ ok: true, value: '2' });
    expect(ev(['2', '2'])).toMatchObject({ ok: true, value: '2' });
  });
  it('3 vs 4 always goes to adjudication', () => {
    expect(ev(['3', '4'])).toMatchObject({ ok: false, rule: 'ordinal_threshold', force: true });
  });
  it('two categories apart disagree', () => {
    expect(ev(['1', '3'])).toMatchObject({ ok: false, rule: 'ordinal_distance' });
  });
  it('outside the scale (BI-RADS 0) agrees only with itself', () => {
    expect(ev(['0', '0'])).toMatchObject({ ok: true, value: '0' });
    expect(ev(['0', '1'])).toMatchObject({ ok: false });
  });
  it('property: agreement iff range ≤ d and no threshold split; consensus lies between min and max', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...scale), { minLength: 1, maxLength: 7 }), fc.integer({ min: 0, max: 4 }), (answers, d) => {
        const pos = answers.map((a) => scale.indexOf(a));
        const lo = Math.min(...pos);
        const hi = Math.max(...pos);
        const out = evaluateAnswers(biradsField, { ...biradsRule, d }, answers);
        const split = lo <= 2 && hi >= 3;
        expect(out.ok).toBe(lo === hi || (hi - lo <= d && !split));
        if (out.ok) {
          const p = scale.indexOf(out.value as string);
          expect(p).toBeGreaterThanOrEqual(lo);
          expect(p).toBeLessThanOrEqual(hi);
        }
      }),
    );
  });
});

describe('numeric tolerance', () => {
  it('absolute and relative', () => {
    expect(evaluateAnswers(numeric, { type: 'numeric_tolerance', absolute: 0.1 }, [2.0, 2.1])).toMatchObject({ ok: true, value: 2.05 });
    expect(evaluateAnswers(numeric, { type: 'numeric_tolerance', absolute: 0.1 }, [2.0, 2.2])).toMatchObject({ ok: false });
    expect(evaluateAnswers(numeric, { type: 'numeric_tolerance', relative: 0.1 }, [100, 109])).toMatchObject({ ok: true });
    expect(evaluateAnswers(numeric, { type: 'numeric_tolerance', relative: 0.1 }, [100, 120])).toMatchObject({ ok: false });
  });
  it('property: absolute tolerance is translation invariant and the consensus is the median', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 0, max: 50 }),
        (xs, shift, tol) => {
          const a = evaluateAnswers(numeric, { type: 'numeric_tolerance', absolute: tol }, xs);
          const b = evaluateAnswers(
            numeric,
            { type: 'numeric_tolerance', absolute: tol },
            xs.map((x) => x + shift),
          );
          expect(a.ok).toBe(b.ok);
          expect(a.ok).toBe(Math.max(...xs) - Math.min(...xs) <= tol);
          if (a.ok) {
            expect(a.value as number).toBeGreaterThanOrEqual(Math.min(...xs));
            expect(a.value as number).toBeLessThanOrEqual(Math.max(...xs));
          }
        },
      ),
    );
  });
});

describe('multi-label: per label, only the labels in dispute', () => {
  const policy = truthPolicySchema.parse({ readersPerCase: 2 });
  it('disputes exactly the labels the readers differ on', () => {
    const e = evaluateReads(multi, policy, [
      { id: 'r1', values: { signs: ['a', 'b'] } },
      { id: 'r2', values: { signs: ['a', 'c'] } },
    ]);
    expect(e.agreed).toBe(false);
    expect(e.disputes.map((d) => d.label)).toEqual(['b', 'c']);
    expect(e.consensus).toEqual({ signs: ['a'] });
    // The adjudicator's answer only counts for b and c: 'a' stays agreed even if left out.
    expect(applyResolution(multi, e, { signs: ['c'] })).toEqual({ signs: ['a', 'c'] });
  });
  it('property: disputed labels are those present in some but not all reads', () => {
    const labels = ['a', 'b', 'c'];
    fc.assert(
      fc.property(fc.array(fc.subarray(labels), { minLength: 1, maxLength: 5 }), (sets) => {
        const e = evaluateReads(
          multi,
          policy,
          sets.map((s, i) => ({ id: `r${i}`, values: { signs: s } })),
        );
        const expected = labels.filter((l) => sets.some((s) => s.includes(l)) && !sets.every((s) => s.includes(l)));
        expect(e.disputes.map((d) => d.label)).toEqual(expected);
        expect(e.consensus.signs).toEqual(labels.filter((l) => sets.every((s) => s.includes(l))));
      }),
    );
  });
});

describe('evaluateReads', () => {
  const policy = truthPolicySchema.parse({ readersPerCase: 2, rules: { birads: biradsRule } });
  it('judges per finding item', () => {
    const e = evaluateReads(birads, policy, [
      { id: 'r1', values: { 'left/birads': '2', 'right/birads': '3' } },
      { id: 'r2', values: { 'left/birads': '1', 'right/birads': '4' } },
    ]);
    expect(e.consensus).toEqual({ 'left/birads': '2' });
    expect(e.disputes).toEqual([expect.objectContaining({ item: 'right/birads', rule: 'ordinal_threshold', forceAdjudication: true })]);
  });
  it('majority fallback (2+1) settles equality disputes but never a clinical threshold', () => {
    const p = truthPolicySchema.parse({ readersPerCase: 2, rules: { birads: biradsRule } });
    const reads = [
      { id: 'r1', values: { 'left/birads': '1', 'right/birads': '3' } },
      { id: 'r2', values: { 'left/birads': '3', 'right/birads': '4' } },
      { id: 'r3', values: { 'left/birads': '3', 'right/birads': '4' } },
    ];
    const e = evaluateReads(birads, p, reads, { majorityFallback: true });
    expect(e.consensus).toEqual({ 'left/birads': '3' });
    expect(e.methods['left/birads']).toBe('majority');
    expect(e.disputes.map((d) => d.item)).toEqual(['right/birads']);
  });
  it('property: the result does not depend on the order of reads', () => {
    const p = truthPolicySchema.parse({ readersPerCase: 3, rules: { birads: { ...biradsRule, d: 2 } } });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...scale, '0'), fc.constantFrom(...scale)), { minLength: 1, maxLength: 5 }), fc.boolean(), (pairs, fb) => {
        const reads = pairs.map(([l, r], i) => ({ id: `r${i}`, values: { 'left/birads': l, 'right/birads': r } }));
        const a = evaluateReads(birads, p, reads, { majorityFallback: fb });
        const b = evaluateReads(birads, p, [...reads].reverse(), { majorityFallback: fb });
        expect(b.agreed).toBe(a.agreed);
        expect(b.consensus).toEqual(a.consensus);
        expect(b.disputes.map((d) => d.item)).toEqual(a.disputes.map((d) => d.item));
      }),
    );
  });
});

describe('policyProblems', () => {
  it('names rules that cannot apply', () => {
    const p = truthPolicySchema.parse({ readersPerCase: 2, rules: { birads: { type: 'numeric_tolerance', absolute: 1 }, nope: { type: 'unanimous' } } });
    expect(policyProblems(birads, p)).toEqual(['rule for unknown field "nope"', 'birads: numeric_tolerance applies to numeric fields only']);
    expect(policyProblems(birads, truthPolicySchema.parse({ readersPerCase: 2, rules: { birads: biradsRule } }))).toEqual([]);
  });
});
