/**
 * Rule-based label extraction from report text (pure; used by `truthline extract`).
 *
 * A rules file names labels, each with case-insensitive regular expressions. For each report
 * the first label, in list order, with a counting match wins; otherwise the report gets the
 * default label. A match does not count when the label has `negations: true` and a negation cue
 * ("no", "without", "negative for", "no evidence of", "free of", "rule out", …) precedes it in the
 * same sentence, with no scope terminator ("but", "however", …) in between (NegEx-style;
 * pseudo-negations such as "no change" or "not only" are not cues). With `sections`, only text
 * after a heading of that name ("IMPRESSION:", "Diagnosis:") up to the next ALL-CAPS heading is
 * searched.
 */
import { neutraliseCell } from '../../app/lib/csv-safety.ts';
import { z } from 'zod';

export class RulesError extends Error {
  constructor(
    message: string,
    /** JSON path of the offending value, e.g. "labels[0].patterns[1]" ('' = the whole file). */
    readonly path: string,
  ) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'RulesError';
  }
}

const nonEmpty = z.string().trim().min(1, 'must be a non-empty string');

export const RulesSchema = z.strictObject({
  name: nonEmpty,
  version: z.number().int('must be an integer').positive('must be positive'),
  labels: z
    .array(
      z.strictObject({
        label: nonEmpty,
        patterns: z.array(z.string().min(1, 'must be a non-empty string')).min(1, 'needs at least one pattern'),
        negations: z.boolean().optional().default(false),
      }),
    )
    .min(1, 'needs at least one label'),
  default: z.string(),
  sections: z.array(nonEmpty).min(1, 'give at least one section or leave "sections" out').optional(),
});

export type RulesInput = z.input<typeof RulesSchema>;

export interface CompiledLabel {
  label: string;
  negations: boolean;
  patterns: { source: string; re: RegExp }[];
}

export interface CompiledRules {
  name: string;
  version: number;
  default: string;
  sections: string[] | null;
  labels: CompiledLabel[];
}

export interface Extraction {
  label: string;
  rule: string;
  version: number;
  /** The matched text (whitespace collapsed), or '' when the default label was given. */
  matched: string;
}

/** "labels[0].patterns[1]" from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out;
}

/** Validate a parsed rules document and compile every pattern up front. Throws RulesError. */
export function compileRules(doc: unknown): CompiledRules {
  const parsed = RulesSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    throw new RulesError(message, formatPath(issue.path));
  }
  const r = parsed.data;
  const labels = r.labels.map(
    (l, i): CompiledLabel => ({
      label: l.label,
      negations: l.negations,
      patterns: l.patterns.map((source, j) => {
        const path = `labels[${i}].patterns[${j}]`;
        let re: RegExp;
        try {
          re = new RegExp(source, 'gi');
        } catch (e) {
          throw new RulesError(`invalid regex for label "${l.label}" pattern ${JSON.stringify(source)}: ${(e as Error).message}`, path);
        }
        if (new RegExp(source, 'i').test('')) {
          throw new RulesError(`pattern ${JSON.stringify(source)} of label "${l.label}" matches the empty string`, path);
        }
        return { source, re };
      }),
    }),
  );
  return {
    name: r.name,
    version: r.version,
    default: r.default,
    sections: r.sections ? r.sections.map(normalizeHeading) : null,
    labels,
  };
}

/** Parse and compile a rules file's text; a JSON syntax error carries its line (0 = unknown). */
export function parseRulesText(text: string): CompiledRules {
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? text.slice(0, Number(pos[1])).split('\n').length : 0;
    throw new RulesError(`invalid JSON${line ? ` (line ${line})` : ''}: ${msg}`, '');
  }
  return compileRules(doc);
}

// ---------------------------------------------------------------------------------------------
// Negation (NegEx-style: pre-negation cues, pseudo-negations, scope terminators)

/** Pseudo-negations come first: at one position the regex prefers them, so they are not cues. */
const PSEUDO = ['no (?:significant |interval |suspicious )?change', 'no increase', 'not only', 'not necessarily', 'without difficulty', 'gram[ -]negative'];
export const NEGATION_CUES = [
  'no evidence of',
  'no signs? of',
  'no suspicion of',
  'negative for',
  'free of',
  'absence of',
  'rules? out',
  'ruled out',
  'r/o',
  'without',
  'denies',
  'not',
  'no',
];
const CUE_RE = new RegExp(`(?<![\\w/])(?:(${PSEUDO.join('|')})|(${NEGATION_CUES.join('|')}))(?![\\w/])`, 'gi');
/** Words that end the scope of a preceding negation cue. */
const TERMINATOR_RE = /\b(?:but|however|although|though|except|aside from|apart from|whereas)\b/gi;
/** Sentence ends: . ! ? ; followed by whitespace or the end, and blank lines. */
const SENTENCE_END_RE = /[.!?;](?=\s|$)|\n[ \t]*\r?\n/g;

/** End of the last match of `re` in `text` that ends at or before `limit` (-1: none). */
function lastEnd(re: RegExp, text: string, limit = text.length): number {
  re.lastIndex = 0;
  let end = -1;
  for (let m = re.exec(text); m && m.index + m[0].length <= limit; m = re.exec(text)) end = m.index + m[0].length;
  return end;
}

/** Is the match starting at `at` in `text` negated by a cue earlier in its sentence? */
export function isNegated(text: string, at: number): boolean {
  const sentenceStart = Math.max(0, lastEnd(SENTENCE_END_RE, text, at));
  let prefix = text.slice(sentenceStart, at);
  const term = lastEnd(TERMINATOR_RE, prefix);
  if (term >= 0) prefix = prefix.slice(term);
  CUE_RE.lastIndex = 0;
  for (let m = CUE_RE.exec(prefix); m; m = CUE_RE.exec(prefix)) if (m[2] !== undefined) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Sections

function normalizeHeading(s: string): string {
  return s.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Candidate headings: words then ":" at the start of a line or after a sentence end. */
const HEADING_RE = /(?<=^|[\r\n]|[.!?;][ \t]+)[ \t]*([A-Za-z][A-Za-z /&-]{0,60}?)[ \t]*:/g;

/**
 * [start, end) ranges of the text inside the named sections: after a heading whose name is one
 * of `sections` (any case) up to the next ALL-CAPS heading or next named section heading.
 */
export function sectionRanges(text: string, sections: readonly string[]): [number, number][] {
  const wanted = new Set(sections.map(normalizeHeading));
  const heads: { start: number; end: number; wanted: boolean }[] = [];
  HEADING_RE.lastIndex = 0;
  for (let m = HEADING_RE.exec(text); m; m = HEADING_RE.exec(text)) {
    const name = m[1];
    const isWanted = wanted.has(normalizeHeading(name));
    const allCaps = /[A-Z]/.test(name) && name === name.toUpperCase();
    if (isWanted || allCaps) heads.push({ start: m.index, end: m.index + m[0].length, wanted: isWanted });
  }
  const ranges: [number, number][] = [];
  heads.forEach((h, k) => {
    if (h.wanted) ranges.push([h.end, k + 1 < heads.length ? heads[k + 1].start : text.length]);
  });
  return ranges;
}

// ---------------------------------------------------------------------------------------------
// Extraction

/** The label for one report's text. */
export function extractLabel(rules: CompiledRules, text: string): Extraction {
  const ranges: [number, number][] = rules.sections ? sectionRanges(text, rules.sections) : [[0, text.length]];
  const parts = ranges.map(([s, e]) => text.slice(s, e));
  for (const l of rules.labels) {
    let best: { at: number; part: number; text: string } | null = null;
    for (const { re } of l.patterns) {
      for (let p = 0; p < parts.length; p++) {
        if (best && p > best.part) break;
        const part = parts[p];
        re.lastIndex = 0;
        let found = false;
        for (let m = re.exec(part); m; m = re.exec(part)) {
          if (m[0] === '') {
            re.lastIndex++;
            continue;
          }
          if (best && p === best.part && m.index >= best.at) break;
          if (l.negations && isNegated(part, m.index)) continue;
          best = { at: m.index, part: p, text: m[0] };
          found = true;
          break;
        }
        if (found) break;
      }
    }
    if (best) return { label: l.label, rule: rules.name, version: rules.version, matched: best.text.replace(/\s+/g, ' ').trim() };
  }
  return { label: rules.default, rule: rules.name, version: rules.version, matched: '' };
}

/** The `extraction` jsonb of an evidence row made from this result. */
export function extractionRecord(r: Extraction): { method: 'rule'; rule: string; version: number } {
  return { method: 'rule', rule: r.rule, version: r.version };
}

/** One CSV cell (RFC 4180 quoting when needed; formula-like text neutralised). */
export function csvCell(v: string | number): string {
  const s = neutraliseCell(String(v));
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
