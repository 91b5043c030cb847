import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { analyze, compileRules, extractReport, RulesError, SHIPPED_TRIGGERS, type FindingRulesInput } from './index.ts';

const base: FindingRulesInput = {
  name: 'chest',
  version: 4,
  findings: [
    { finding: 'pneumothorax', phrases: ['pneumothorax'] },
    { finding: 'effusion', phrases: ['pleural effusion', 'effusion'] },
    { finding: 'pneumonia', phrases: ['pneumonia'], patterns: ['consolidat\\w*'] },
    { finding: 'cancer', phrases: ['breast cancer', 'carcinoma'] },
  ],
};
const rules = compileRules(base);
const status = (text: string, finding: string, r = rules) => extractReport(r, 'x', text).find((x) => x.finding === finding)!;

describe('status per finding', () => {
  it.each([
    ['No pneumothorax.', 'pneumothorax', 'negated', 'no (negated, gennegex)'],
    ['Pneumothorax was ruled out.', 'pneumothorax', 'negated', 'was ruled out (negated, gennegex)'],
    ['Pneumothorax is not seen.', 'pneumothorax', 'negated', 'is not seen (negated, gennegex)'],
    ['Small right pneumothorax.', 'pneumothorax', 'present', ''],
    ['Pneumonia cannot be excluded.', 'pneumonia', 'uncertain', 'cannot be excluded (uncertain, pycontext)'],
    ['Possible pneumonia.', 'pneumonia', 'uncertain', 'possible (uncertain, truthline)'],
    ['Atelectasis versus pneumonia.', 'pneumonia', 'uncertain', 'versus (uncertain, pycontext)'],
    ['Low suspicion for pneumonia.', 'pneumonia', 'uncertain', 'low suspicion for (uncertain, truthline)'],
    ['History of pneumothorax.', 'pneumothorax', 'historical', 'history of (historical, truthline)'],
    ['No change in size of the effusion.', 'effusion', 'present', ''],
    ['No increase in the effusion.', 'effusion', 'present', ''],
    ['No effusion, but a small pneumothorax.', 'pneumothorax', 'present', ''],
    ['Mother had breast cancer.', 'cancer', 'not_mentioned', 'other experiencer: mother (other, truthline)'],
    ['The lungs are clear.', 'pneumonia', 'not_mentioned', ''],
  ])('%s → %s %s', (text, finding, want, trigger) => {
    expect(status(text, finding)).toMatchObject({ status: want, trigger });
  });
  it('negated and not mentioned are different answers', () => {
    const rows = extractReport(rules, 'r1', 'No pleural effusion.');
    expect(rows.map((r) => [r.finding, r.status])).toEqual([
      ['pneumothorax', 'not_mentioned'],
      ['effusion', 'negated'],
      ['pneumonia', 'not_mentioned'],
      ['cancer', 'not_mentioned'],
    ]);
    expect(rows[1]).toEqual({
      id: 'r1',
      finding: 'effusion',
      status: 'negated',
      rule: 'chest',
      version: 4,
      matched: 'pleural effusion',
      sentence: 'No pleural effusion.',
      trigger: 'no (negated, gennegex)',
    });
  });
  it('phrases match whatever the spacing, line breaks and case', () => {
    expect(status('no   PLEURAL\n\teffusion', 'effusion')).toMatchObject({ status: 'negated', matched: 'PLEURAL effusion' });
    expect(status('Negative\nfor   pneumonia.', 'pneumonia').status).toBe('negated');
  });
  it('the most affirmative mention decides; an indication ranks below a negation', () => {
    expect(status('No large pneumothorax. Tiny apical pneumothorax.', 'pneumothorax').status).toBe('present');
    expect(status('No pneumonia. Pneumonia cannot be excluded.', 'pneumonia').status).toBe('uncertain');
    expect(status('INDICATION: r/o pneumonia.\nFINDINGS: No focal consolidation.', 'pneumonia')).toMatchObject({ status: 'negated', matched: 'consolidation' });
    expect(status('History of breast cancer. No evidence of recurrent carcinoma.', 'cancer').status).toBe('negated');
  });
  it('section headings give their text a kind', () => {
    expect(status('FAMILY HISTORY: breast cancer.', 'cancer').status).toBe('not_mentioned');
    expect(status('PAST MEDICAL HISTORY: pneumothorax.', 'pneumothorax')).toMatchObject({ status: 'historical', trigger: 'section PAST MEDICAL HISTORY' });
    expect(status('FINDINGS: pneumothorax.', 'pneumothorax').status).toBe('present');
  });
  it('a decimal point does not end the sentence', () => {
    expect(status('No mass of 1.5 cm or pneumothorax.', 'pneumothorax').status).toBe('negated');
  });
});

describe('project trigger changes', () => {
  it('add, remove, headings', () => {
    const r = compileRules({
      ...base,
      triggers: { add: [{ phrase: 'excluded', kind: 'negated', direction: 'backward' }], remove: ['possible'], headings: [{ heading: 'Screening', kind: 'hypothetical' }] },
    });
    expect(status('Pneumothorax excluded.', 'pneumothorax', r)).toMatchObject({ status: 'negated', trigger: 'excluded (negated, rules:chest)' });
    expect(status('Possible pneumonia.', 'pneumonia', r).status).toBe('present');
    expect(status('Screening: pneumonia.', 'pneumonia', r).status).toBe('uncertain');
    expect(r.triggersVersion).toBe('truthline-context@1+chest@4');
    expect(rules.triggersVersion).toBe('truthline-context@1');
  });
});

describe('rules errors name the path', () => {
  const err = (doc: unknown) => {
    try {
      compileRules(doc);
    } catch (e) {
      if (e instanceof RulesError) return e.message;
      throw e;
    }
    throw new Error('expected a RulesError');
  };
  it.each([
    [{ ...base, findings: [] }, 'findings: needs at least one finding'],
    [{ ...base, findings: [{ finding: 'a' }] }, 'findings[0]: give at least one phrase or pattern'],
    [{ ...base, findings: [{ finding: 'a', patterns: ['(x'] }] }, /^findings\[0\]\.patterns\[0\]: invalid regex for finding "a"/],
    [{ ...base, findings: [{ finding: 'a', patterns: ['x*'] }] }, /^findings\[0\]\.patterns\[0\]: .*empty string/],
    [{ ...base, findings: [{ finding: 'a', phrases: ['...'] }] }, /^findings\[0\]\.phrases\[0\]: phrase "\.\.\." has no words$/],
    [
      {
        ...base,
        findings: [
          { finding: 'a', phrases: ['a'] },
          { finding: 'a', phrases: ['b'] },
        ],
      },
      'findings[1].finding: duplicate finding "a" (first at findings[0])',
    ],
    [{ ...base, triggers: { add: [{ phrase: 'x', kind: 'pseudo', for: [] }] } }, 'triggers.add[0].for: name at least one kind'],
  ])('%#', (doc, message) => {
    expect(err(doc)).toMatch(message);
  });
});

describe('linear time', () => {
  it('work grows with the number of tokens, not their square (counted, not timed)', () => {
    // analyze() visits each mention and trigger a bounded number of times: the mentions it
    // returns are exactly the mentions in the text, whatever its length.
    for (const n of [10, 1000, 20000]) {
      const text = 'No carcinoma, no carcinoma and no carcinoma; '.repeat(n);
      const found = analyze(compileRules(base), text);
      expect(found).toHaveLength(3 * n);
      expect(found.every((m) => m.status === 'negated')).toBe(true);
    }
  });
});

describe('shipped trigger lists', () => {
  it('every entry names a source that is described with its licence', () => {
    for (const t of SHIPPED_TRIGGERS.triggers) expect(SHIPPED_TRIGGERS.sources[t.source]?.licence, t.phrase).toBeTruthy();
  });
  it('hold the phrases the design asks for', () => {
    const kinds = new Map<string, string[]>();
    for (const t of SHIPPED_TRIGGERS.triggers) kinds.set(t.phrase, [...(kinds.get(t.phrase) ?? []), t.kind]);
    const has = (phrase: string, kind: string) => expect(kinds.get(phrase), phrase).toContain(kind);
    for (const p of ['no', 'denied', 'negative for', 'free of', 'was ruled out', 'resolved', 'is not seen', 'was negative', 'none']) has(p, 'negated');
    for (const p of ['cannot be excluded', 'possible', 'rule out', 'r/o', 'low suspicion for', 'versus']) has(p, 'uncertain');
    for (const p of ['no increase', 'not only', 'no change in size']) has(p, 'pseudo');
    for (const p of ['but', 'however', 'secondary to', 'etiology of', 'which', 'presents with']) has(p, 'terminate');
  });
  it('property: a mention after "no" in its sentence is negated, whatever comes before', () => {
    const word = fc.constantFrom('left', 'small', 'the', 'mild', 'lung', 'base', 'and', 'of', '2', 'cm');
    const words = fc.array(word, { maxLength: 6 }).map((w) => w.join(' '));
    fc.assert(
      fc.property(words, words, fc.constantFrom('No', 'no', 'NO', 'without', 'negative for', 'free of'), (before, between, cue) => {
        expect(status(`${before}. ${cue} ${between} pneumothorax.`, 'pneumothorax').status).toBe('negated');
      }),
      { seed: 2101, numRuns: 300 },
    );
  });
});
