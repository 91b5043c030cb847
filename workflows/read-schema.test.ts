import { describe, expect, it } from 'vitest';
import { readerFormSchema } from './definition.ts';
import { readValuesSchema } from './read-schema.ts';

const form = readerFormSchema.parse({
  findings: [{ key: 'left', label: 'Left' }],
  fields: [
    { key: 'ptx', label: 'PTX', kind: 'binary' },
    { key: 'birads', label: 'BI-RADS', kind: 'ordinal', scope: 'finding', options: ['1', '2'].map((v) => ({ value: v, label: v })), outsideScale: [{ value: '0', label: '0' }] },
    { key: 'signs', label: 'Signs', kind: 'multi_label', options: ['a', 'b'].map((v) => ({ value: v, label: v })) },
    { key: 'size', label: 'Size', kind: 'numeric', min: 0, max: 10, step: 0.5, required: false },
    { key: 'kind', label: 'Kind', kind: 'nominal', options: ['x', 'y'].map((v) => ({ value: v, label: v })) },
  ],
});

describe('readValuesSchema', () => {
  const s = readValuesSchema(form);
  it('accepts a complete read keyed by item', () => {
    expect(s.safeParse({ ptx: true, 'left/birads': '0', signs: [], size: 2.5, kind: 'x' }).success).toBe(true);
    expect(s.safeParse({ ptx: false, 'left/birads': '2', signs: ['a', 'b'], kind: 'y' }).success).toBe(true);
  });
  it('refuses wrong types, unknown options, missing required items, unknown keys, duplicates, off-step numbers', () => {
    const ok = { ptx: true, 'left/birads': '1', signs: ['a'], kind: 'x' };
    expect(s.safeParse({ ...ok, ptx: 'yes' }).success).toBe(false);
    expect(s.safeParse({ ...ok, 'left/birads': '3' }).success).toBe(false);
    expect(s.safeParse({ ...ok, kind: undefined }).success).toBe(false);
    expect(s.safeParse({ ...ok, other: 1 }).success).toBe(false);
    expect(s.safeParse({ ...ok, signs: ['a', 'a'] }).success).toBe(false);
    expect(s.safeParse({ ...ok, size: 2.3 }).success).toBe(false);
    expect(s.safeParse({ ...ok, size: 11 }).success).toBe(false);
  });
  it('partial and only: what adjudicators answer', () => {
    expect(readValuesSchema(form, { partial: true }).safeParse({ 'left/birads': '2' }).success).toBe(true);
    expect(readValuesSchema(form, { only: ['ptx'] }).safeParse({ ptx: true, kind: 'x' }).success).toBe(false);
  });
});
