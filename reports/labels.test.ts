/**
 * The older "labels" rules form (first label in list order with a counting match wins), as the
 * previous extractor ran it; these cases were its tests and still hold on the new engine.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileRules, extractLabel, parseRulesText, RulesError, type LabelRulesInput } from './index.ts';

const base: LabelRulesInput = {
  name: 'birads-path',
  version: 1,
  labels: [
    { label: 'malignant', patterns: ['carcinoma', 'malignan\\w*'], negations: true },
    { label: 'benign', patterns: ['benign', 'fibroadenoma'] },
  ],
  default: 'unknown',
};
const rules = compileRules(base);
const label = (text: string, r = rules) => extractLabel(r, text);

function rulesError(doc: unknown): RulesError {
  try {
    compileRules(doc);
  } catch (e) {
    if (e instanceof RulesError) return e;
    throw e;
  }
  throw new Error('expected a RulesError');
}

describe('patterns', () => {
  it('case-insensitive regexes; matched snippet; default when nothing matches', () => {
    expect(label('Invasive ductal CARCINOMA, grade 2.')).toEqual({ label: 'malignant', rule: 'birads-path', version: 1, matched: 'CARCINOMA' });
    expect(label('Findings are consistent with malignancy.').matched).toBe('malignancy');
    expect(label('Fibroadenoma.')).toMatchObject({ label: 'benign', matched: 'Fibroadenoma' });
    expect(label('Normal breast tissue.')).toEqual({ label: 'unknown', rule: 'birads-path', version: 1, matched: '' });
  });
  it('the matched snippet is the earliest counting match of the winning label', () => {
    expect(label('Malignant cells; carcinoma confirmed.').matched).toBe('Malignant');
  });
});

describe('precedence', () => {
  it('the first label in list order wins, wherever its match is', () => {
    expect(label('Benign cyst. Separate focus of carcinoma.').label).toBe('malignant');
    const reversed = compileRules({ ...base, labels: [base.labels[1], base.labels[0]] });
    expect(label('Benign cyst. Separate focus of carcinoma.', reversed).label).toBe('benign');
  });
  it('a negated match lets a later label win', () => {
    expect(label('No evidence of malignancy. Fibroadenoma.')).toMatchObject({ label: 'benign', matched: 'Fibroadenoma' });
  });
});

describe('negation', () => {
  it.each([
    'No carcinoma.',
    'Negative for malignancy.',
    'No evidence of carcinoma in the specimen.',
    'Breast tissue free of malignancy.',
    'Without features of malignancy.',
    'Rule out carcinoma.',
    'There is no residual invasive carcinoma.',
  ])('"%s" is not malignant', (t) => expect(label(t).label).not.toBe('malignant'));
  it('the cue only reaches to the end of its sentence', () => {
    expect(label('No calcifications. Invasive carcinoma.').label).toBe('malignant');
    expect(label('No calcifications; carcinoma present').label).toBe('malignant');
  });
  it('a scope terminator ends the negation', () => {
    expect(label('Negative for carcinoma in situ but invasive carcinoma present.')).toMatchObject({ label: 'malignant', matched: 'carcinoma' });
  });
  it('pseudo-negations are not cues', () => {
    expect(label('No change in the known carcinoma.').label).toBe('malignant');
    expect(label('not only carcinoma').label).toBe('malignant');
  });
  it('a cue must be a whole word', () => {
    expect(label('Nodular carcinoma.').label).toBe('malignant');
    expect(label('Another carcinoma.').label).toBe('malignant');
  });
  it('negation is off unless the label asks for it', () => {
    const r = compileRules({ ...base, labels: [{ label: 'malignant', patterns: ['carcinoma'] }] });
    expect(label('No carcinoma.', r).label).toBe('malignant');
  });
  it('decimal points do not end a sentence', () => {
    expect(label('No mass of 1.5 cm with carcinoma.').label).not.toBe('malignant');
  });

  it('property: a negation cue put before the only match never yields that label', () => {
    const word = fc.constantFrom('mass', 'tissue', 'the', 'left', 'breast', 'margin', 'cm', '2', 'with', 'in', 'of', 'and', 'lesion');
    const words = fc.array(word, { maxLength: 8 }).map((w) => w.join(' '));
    const sep = fc.constantFrom(' ', '. ', ', ', '\n', '; ');
    const cue = fc.constantFrom('no', 'No', 'not', 'without', 'negative for', 'no evidence of', 'free of', 'rule out', 'NO EVIDENCE OF');
    const hit = fc.constantFrom('carcinoma', 'Carcinoma', 'malignancy', 'malignant', 'MALIGNANT');
    fc.assert(
      fc.property(words, sep, hit, sep, words, cue, (before, s1, m, s2, after, c) => {
        const text = `${before}${s1}${m}${s2}${after}`;
        const at = before.length + s1.length;
        expect(label(text)).toMatchObject({ label: 'malignant', matched: m });
        const negated = `${text.slice(0, at)} ${c} ${text.slice(at)}`;
        expect(label(negated).label).not.toBe('malignant');
      }),
      { seed: 20240611, numRuns: 500 },
    );
  });
});

describe('sections', () => {
  const sect = compileRules({ ...base, sections: ['impression', 'diagnosis'] });
  it('only text after a named heading up to the next ALL-CAPS heading counts', () => {
    const report = 'HISTORY: prior carcinoma.\nFINDINGS: a mass.\nIMPRESSION: Fibroadenoma.\nRECOMMENDATION: rule out carcinoma at follow-up, carcinoma seen before.';
    expect(label(report, sect)).toMatchObject({ label: 'benign', matched: 'Fibroadenoma' });
    // Without sections every mention is uncertain or historical (the HISTORY section is the
    // indication; "rule out" reaches to the sentence end), which the previous extractor counted
    // as malignant; a plain mention still counts.
    expect(label(report).label).toBe('benign');
    expect(label(`${report}\nADDENDUM: carcinoma on review.`).label).toBe('malignant');
  });
  it('headings inline after a sentence; section names in any case; several sections', () => {
    expect(label('FINDINGS: carcinoma? IMPRESSION: benign. COMMENT: x', sect).label).toBe('benign');
    expect(label('Findings: benign-appearing.\nImpression: carcinoma.', sect).label).toBe('malignant');
    expect(label('IMPRESSION: see below. NOTE: x. DIAGNOSIS: Carcinoma.', sect).matched).toBe('Carcinoma');
  });
  it('no named section means the default', () => {
    expect(label('FINDINGS: carcinoma.', sect)).toMatchObject({ label: 'unknown', matched: '' });
  });
  it('a heading is not a colon in mid-sentence', () => {
    expect(label('IMPRESSION: ratio 2:1 and category BI-RADS: 4, benign. FINDINGS: carcinoma', sect)).toMatchObject({ label: 'benign' });
  });
});

describe('rules file', () => {
  it('invalid regex names the label and the pattern', () => {
    const e = rulesError({ ...base, labels: [{ label: 'malignant', patterns: ['carcinoma', 'malignan(cy'] }] });
    expect(e.path).toBe('labels[0].patterns[1]');
    expect(e.message).toMatch(/^labels\[0\]\.patterns\[1\]: invalid regex for label "malignant" pattern "malignan\(cy"/);
  });
  it('a pattern matching the empty string is refused', () => {
    expect(rulesError({ ...base, labels: [{ label: 'x', patterns: ['a*'] }] }).message).toMatch(/labels\[0\]\.patterns\[0\]: .*empty string/);
  });
  it('schema errors name the JSON path', () => {
    expect(rulesError({ ...base, version: '1' }).path).toBe('version');
    expect(rulesError({ ...base, labels: [] }).message).toBe('labels: needs at least one label');
    expect(rulesError({ ...base, labels: [{ label: 'x', patterns: [] }] }).path).toBe('labels[0].patterns');
    expect(rulesError({ ...base, labels: [{ label: 'x', patterns: ['y'], negation: true }] }).message).toBe('labels[0]: unknown key "negation"');
    expect(rulesError({ ...base, default: undefined }).path).toBe('default');
    expect(rulesError({ ...base, sections: [''] }).path).toBe('sections[0]');
    expect(rulesError([]).path).toBe('');
  });
  it('invalid JSON reports its line', () => {
    expect(() => parseRulesText('{\n  "name": "x",\n  oops\n}')).toThrow(/invalid JSON \(line 3\)/);
  });
});
