#!/usr/bin/env node
/**
 * Builds reports/triggers/context.json from the published NegEx / ConText trigger lists.
 *
 *   node scripts/build-report-triggers.mjs DIR > reports/triggers/context.json
 *
 * DIR holds the raw source files (see SOURCES below for where each comes from, at which commit,
 * under which licence). The output is committed; this script documents how it was made and lets
 * a later version be rebuilt from newer lists. Entries keep the source they came from; when two
 * sources list the same phrase the earlier source in SOURCES order wins (NegEx is the reference
 * for negation, ConText for the other categories).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node scripts/build-report-triggers.mjs DIR\n');
  process.exit(2);
}
const read = (f) => readFileSync(path.join(dir, f), 'utf8');

const SOURCES = {
  gennegex: {
    title: 'GenNegEx / NegEx trigger list (Chapman et al. 2001, J Biomed Inform 34:301-310; Java implementation by I. Solti)',
    url: 'https://github.com/chapmanbe/negex/blob/d136b972b5d214959807ad5de1881a3225541fe7/genConText/negex_triggers.txt',
    licence: 'Apache-2.0 (stated in GeneralNegEx.Java.v.1.2.05092009/README and GenNegEx.java of the same repository)',
  },
  context_history: {
    title: 'ConText historical triggers (Harkema et al. 2009, J Biomed Inform 42:839-851; genConText by X. Shen)',
    url: 'https://github.com/chapmanbe/negex/blob/d136b972b5d214959807ad5de1881a3225541fe7/genConText/history_triggers.txt',
    licence: 'Apache-2.0 (chapmanbe/negex repository; genConText is a modification of GenNegEx, Apache-2.0)',
  },
  context_hypothetical: {
    title: 'ConText hypothetical triggers (Harkema et al. 2009)',
    url: 'https://github.com/chapmanbe/negex/blob/d136b972b5d214959807ad5de1881a3225541fe7/genConText/hypothetical_triggers.txt',
    licence: 'Apache-2.0 (as above)',
  },
  context_experiencer: {
    title: 'ConText experiencer triggers (Harkema et al. 2009)',
    url: 'https://github.com/chapmanbe/negex/blob/d136b972b5d214959807ad5de1881a3225541fe7/genConText/experiencer_triggers.txt',
    licence: 'Apache-2.0 (as above)',
  },
  pycontext: {
    title: 'pyConTextNLP lexical knowledge base 2016-05-04 (Chapman et al.; radiology-oriented ConText modifiers)',
    url: 'https://github.com/chapmanbe/pyConTextNLP/blob/74e5b9bc4de092dd8bef8e04b297369a7f3ea6d9/KB/lexical_kb_05042016.tsv',
    licence: 'Apache-2.0 (setup.py of chapmanbe/pyConTextNLP)',
  },
  truthline: {
    title: 'Truthline additions: phrases named in the design issue and radiology report phrasing missing from the lists above',
    url: '',
    licence: 'this project',
  },
};

const out = [];
const seen = new Map();
/**
 * One meaning per phrase: the first source to list a phrase decides its kind; a later entry
 * with the same kind and another direction is kept ("resolved" is listed both before and after
 * a finding), one with another kind is dropped. Pseudo-triggers and terminators are kept per
 * kinds they apply to.
 */
function add(e) {
  const phrase = e.phrase.toLowerCase().replace(/\s+/g, ' ').trim();
  if (!phrase) return;
  const boundary = e.kind === 'terminate' || e.kind === 'pseudo';
  const key = boundary ? `${phrase}|${e.kind}:${e.for.join(',')}` : phrase;
  const prev = seen.get(key);
  if (prev && (boundary || prev.some((p) => p.kind !== e.kind || p.direction === e.direction))) return;
  seen.set(key, [...(prev ?? []), e]);
  out.push({ ...e, phrase });
}

// NegEx-style tag files: PHRASE \t\t [TAG]
function tagFile(file, source, map) {
  for (const line of read(file).split(/\r?\n/)) {
    const m = /^(.*?)\t+\[(\w+)\]\s*$/.exec(line);
    if (!m) continue;
    const e = map[m[2]];
    if (e) add({ phrase: m[1], ...e, source });
  }
}

const NEG_FOR = ['negated', 'uncertain'];
tagFile('negex_triggers.txt', 'gennegex', {
  PREN: { kind: 'negated', direction: 'forward' },
  POST: { kind: 'negated', direction: 'backward' },
  PREP: { kind: 'uncertain', direction: 'forward' },
  POSP: { kind: 'uncertain', direction: 'backward' },
  PSEU: { kind: 'pseudo', for: NEG_FOR },
  CONJ: { kind: 'terminate', for: NEG_FOR },
});
tagFile('history_triggers.txt', 'context_history', {
  PREN: { kind: 'historical', direction: 'forward' },
  // ONEW: the trigger modifies only the next word(s) ("status post", "prior").
  ONEW: { kind: 'historical', direction: 'forward', window: 3 },
  PSEU: { kind: 'pseudo', for: ['historical'] },
  CONJ: { kind: 'terminate', for: ['historical'] },
});
tagFile('hypothetical_triggers.txt', 'context_hypothetical', {
  PREN: { kind: 'hypothetical', direction: 'forward' },
  PSEU: { kind: 'pseudo', for: ['hypothetical'] },
  CONJ: { kind: 'terminate', for: ['hypothetical'] },
});
tagFile('experiencer_triggers.txt', 'context_experiencer', {
  PREN: { kind: 'other', direction: 'forward' },
  PSEU: { kind: 'pseudo', for: ['other'] },
  CONJ: { kind: 'terminate', for: ['other'] },
});

/** Expand a simple pyConText regex ("(is|was) negative") into phrases; null when not simple. */
function expand(re) {
  let s = re.replace(/\\b/g, '').replace(/\[\\s\]\*|\\s[+*]?/g, ' ');
  if (/[[\]*+.\\^$]/.test(s)) return null;
  function alts(str) {
    // split top-level "|"
    const parts = [];
    let depth = 0,
      cur = '';
    for (const ch of str) {
      if (ch === '(') depth++;
      if (ch === ')') depth--;
      if (ch === '|' && depth === 0) {
        parts.push(cur);
        cur = '';
      } else cur += ch;
    }
    parts.push(cur);
    return parts.flatMap(seq);
  }
  function seq(str) {
    let results = [''];
    let i = 0;
    while (i < str.length) {
      if (str[i] === '(') {
        let depth = 1,
          j = i + 1;
        while (j < str.length && depth) {
          if (str[j] === '(') depth++;
          if (str[j] === ')') depth--;
          j++;
        }
        const inner = alts(str.slice(i + 1, j - 1));
        let opts = inner;
        if (str[j] === '?') {
          opts = [...inner, ''];
          j++;
        }
        results = results.flatMap((r) => opts.map((o) => r + o));
        i = j;
      } else if (str[i + 1] === '?') {
        results = results.flatMap((r) => [r + str[i], r]);
        i += 2;
      } else {
        results = results.map((r) => r + str[i]);
        i++;
      }
      if (results.length > 64) return [];
    }
    return results;
  }
  const r = alts(s)
    .map((x) => x.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
  return r.length ? r : null;
}

// pyConText categories → ours. HISTORICAL there means "changed since a prior exam" (stable,
// increased, known), which says nothing about whether a finding is present now, so it is left
// out, as are DEFINITE_EXISTENCE and ACUTE (they affirm).
const PY = {
  DEFINITE_NEGATED_EXISTENCE: 'negated',
  PROBABLE_NEGATED_EXISTENCE: 'negated',
  PROBABLE_EXISTENCE: 'uncertain',
  AMBIVALENT_EXISTENCE: 'uncertain',
  INDICATION: 'uncertain',
  FUTURE: 'hypothetical',
  HYPOTHETICAL: 'hypothetical',
};
// Left out: they fire on ordinary report wording ("examination", "protocol", "clear") and hurt
// more than they help on sentences such as "Lungs are clear" or "CT examination of the chest".
const PY_SKIP = new Set([
  'examination',
  'evaluation',
  'protocol',
  'clear',
  'cannot',
  'mimicking',
  'is more sensitive',
  'higher sensitivity for',
  'nothing',
  'no other',
  'evidence',
]);
const lines = read('lexical_kb_05042016.tsv').split(/\r?\n/).slice(1);
for (const line of lines) {
  const [lex, type, regex, dirRaw] = line.split('\t');
  if (!lex || !type) continue;
  const dir = (dirRaw || '').trim().replace(/backwards/, 'backward');
  if (type === 'CONJ') {
    add({ phrase: lex, kind: 'terminate', for: ['negated', 'uncertain', 'historical', 'hypothetical', 'other'], source: 'pycontext' });
    continue;
  }
  if (type === 'PSEUDONEG') {
    add({ phrase: lex, kind: 'pseudo', for: NEG_FOR, source: 'pycontext' });
    continue;
  }
  const kind = PY[type];
  if (!kind || PY_SKIP.has(lex.trim().toLowerCase())) continue;
  const direction = dir === 'forward' || dir === 'backward' || dir === 'bidirectional' ? dir : 'forward';
  const phrases = regex && regex.trim() ? expand(regex.trim()) : [lex];
  for (const p of phrases ?? [lex]) if (!/xyz/i.test(p)) add({ phrase: p, kind, direction, source: 'pycontext' });
}

// Truthline additions (phrases the lists above lack).
const T = (phrase, kind, extra) => add({ phrase, kind, ...extra, source: 'truthline' });
T('-ve for', 'negated', { direction: 'forward' });
for (const p of [
  'none',
  'was negative',
  'were negative',
  'is not identified',
  'are not identified',
  'not identified',
  'is not present',
  'not present',
  'not visualized',
  'is not visualized',
  'absent',
  'has resolved',
  'have resolved',
])
  T(p, 'negated', { direction: 'backward' });
for (const p of [
  'no definite',
  'no evidence of',
  'no residual',
  'no focal',
  'no acute',
  'no discrete',
  'no suspicious',
  'negative',
  'without evidence of',
  'no radiographic evidence of',
  'no sonographic evidence of',
  'no ct evidence of',
  'no mri evidence of',
])
  T(p, 'negated', { direction: 'forward' });
for (const p of [
  'possible',
  'possibly',
  'probable',
  'probably',
  'questionable',
  'suspicious for',
  'suspected',
  'concerning for',
  'worrisome for',
  'low suspicion for',
  'cannot exclude',
  'can not exclude',
  'cannot rule out',
  'may represent',
  'may be',
  'could represent',
  'could be',
  'differential includes',
  'differential diagnosis includes',
  'suggestive of',
  'suggests',
  'likely',
  'equivocal',
  'indeterminate',
  'r/o',
  'rule out',
  'versus',
  'vs',
])
  T(p, 'uncertain', { direction: p === 'versus' || p === 'vs' ? 'bidirectional' : 'forward' });
for (const p of [
  'cannot be excluded',
  'can not be excluded',
  'not excluded',
  'cannot be ruled out',
  'is suspected',
  'are suspected',
  'is possible',
  'is likely',
  'is not excluded',
  'is questioned',
])
  T(p, 'uncertain', { direction: 'backward' });
for (const p of ['no change in size', 'no change in', 'no significant change in', 'not only', 'no increase in', 'no decrease in']) T(p, 'pseudo', { for: NEG_FOR });
for (const p of ['but', 'however', 'secondary to', 'etiology of', 'which', 'presents with', 'presented with', 'although', 'except', 'whereas', 'aside from', 'apart from'])
  T(p, 'terminate', { for: ['negated', 'uncertain', 'historical', 'hypothetical', 'other'] });
for (const p of ['history of', 'past history of', 'previous history of', 'status post', 's/p', 'prior history of', 'previously treated', 'remote history of'])
  T(p, 'historical', { direction: 'forward' });
for (const p of ['family history of', 'mother', 'father', 'his mother', 'her mother', 'sibling']) T(p, 'other', { direction: 'forward' });

// Section headings: the section's text gets the category unless a sentence says otherwise.
const SECTIONS = [
  ['family history', 'other'],
  ['past medical history', 'historical'],
  ['past surgical history', 'historical'],
  ['medical history', 'historical'],
  ['history', 'hypothetical'],
  ['clinical history', 'hypothetical'],
  ['clinical information', 'hypothetical'],
  ['clinical indication', 'hypothetical'],
  ['indication', 'hypothetical'],
  ['indications', 'hypothetical'],
  ['reason for exam', 'hypothetical'],
  ['reason for examination', 'hypothetical'],
  ['reason for study', 'hypothetical'],
  ['comparison', 'historical'],
  ['prior studies', 'historical'],
  ['findings', 'none'],
  ['impression', 'none'],
  ['conclusion', 'none'],
  ['diagnosis', 'none'],
  ['final diagnosis', 'none'],
  ['technique', 'none'],
  ['recommendation', 'hypothetical'],
  ['recommendations', 'hypothetical'],
];

const doc = {
  name: 'truthline-context',
  version: 1,
  note: 'Generated by scripts/build-report-triggers.mjs; kinds: negated, uncertain, hypothetical (reported as uncertain), historical, other (experiencer other than the patient), pseudo (looks like a trigger but is not one, for the listed kinds), terminate (ends the scope of the listed kinds).',
  sources: SOURCES,
  sections: SECTIONS.map(([heading, kind]) => ({ heading, kind, source: 'truthline' })),
  triggers: out,
};
// One entry per line keeps diffs of a new version readable.
const { triggers, sections, ...head } = doc;
const body = JSON.stringify(head, null, 2).replace(/\n}$/, '');
const list = (xs) => xs.map((x) => `    ${JSON.stringify(x)}`).join(',\n');
process.stdout.write(`${body},\n  "sections": [\n${list(sections)}\n  ],\n  "triggers": [\n${list(triggers)}\n  ]\n}\n`);
