import { describe, expect, it } from 'vitest';
import { fieldName } from './reader-form.ts';
import { parseReadForm } from './reader-form.server.ts';
import { mammographyDefinition, pneumothoraxDefinition } from '../../seed/demo-projects.ts';

const fd = (entries: [string, string][]) => {
  const f = new FormData();
  for (const [k, v] of entries) f.append(k, v);
  return f;
};

describe('parseReadForm', () => {
  it('reads a binary answer', () => {
    const r = parseReadForm(
      pneumothoraxDefinition.readerForm,
      fd([
        [fieldName('pneumothorax'), 'true'],
        ['confidence', '80'],
      ]),
    );
    expect(r).toEqual({ ok: true, values: { pneumothorax: true }, confidence: 80 });
  });
  it('names each unanswered per-finding item', () => {
    const r = parseReadForm(mammographyDefinition.readerForm, fd([[fieldName('left/birads'), '4']]));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(Object.keys(r.errors)).toEqual([fieldName('right/birads')]);
      expect(r.errors[fieldName('right/birads')][0]).toMatch(/Answer this item/);
    }
  });
  it('refuses a value outside the form', () => {
    const r = parseReadForm(
      mammographyDefinition.readerForm,
      fd([
        [fieldName('left/birads'), '7'],
        [fieldName('right/birads'), '0'],
      ]),
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors)).toEqual([fieldName('left/birads')]);
  });
  it('accepts BI-RADS 0 (outside the scale) as an answer', () => {
    const r = parseReadForm(
      mammographyDefinition.readerForm,
      fd([
        [fieldName('left/birads'), '0'],
        [fieldName('right/birads'), '2'],
      ]),
    );
    expect(r).toMatchObject({ ok: true, values: { 'left/birads': '0', 'right/birads': '2' } });
  });
  it('cannot assess needs a reason and records no values', () => {
    expect(parseReadForm(pneumothoraxDefinition.readerForm, fd([['cannotAssess', 'on']])).ok).toBe(false);
    expect(
      parseReadForm(
        pneumothoraxDefinition.readerForm,
        fd([
          ['cannotAssess', 'on'],
          ['cannotAssessReason', 'motion blur'],
        ]),
      ),
    ).toEqual({
      ok: true,
      values: null,
      cannotAssessReason: 'motion blur',
    });
  });
});
