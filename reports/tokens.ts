/**
 * Tokens, sentences and section headings of a report, in one left-to-right pass each.
 *
 * Matching works on lower-cased tokens, so phrases match whatever the spacing, line breaks or
 * case ("staph   bacteremia", "Negative\nfor"). Numbers keep their decimal point ("1.5") so it
 * does not end a sentence.
 */

export interface Tokens {
  /** Lower-cased token text. */
  words: string[];
  /** Character offsets [start, end) of each token in the report. */
  starts: Int32Array;
  ends: Int32Array;
}

const TOKEN_RE = /\p{N}+(?:[.,]\p{N}+)+|[\p{L}\p{N}]+(?:['’]\p{L}+)?|[^\s\p{L}\p{N}]/gu;

export function tokenize(text: string): Tokens {
  const words: string[] = [];
  const s: number[] = [];
  const e: number[] = [];
  // Lower-casing once is much cheaper than per token; a few characters change length when
  // lower-cased (İ), and then offsets are taken from the original text instead.
  const lower = text.toLowerCase();
  const same = lower.length === text.length;
  const src = same ? lower : text;
  TOKEN_RE.lastIndex = 0;
  for (let m = TOKEN_RE.exec(src); m; m = TOKEN_RE.exec(src)) {
    let w = same ? m[0] : m[0].toLowerCase();
    if (w.length > 1 && w.includes('’')) w = w.replace('’', "'");
    words.push(w);
    s.push(m.index);
    e.push(m.index + m[0].length);
  }
  return { words, starts: Int32Array.from(s), ends: Int32Array.from(e) };
}

/** Lower-cased tokens of a phrase (as a trigger or finding phrase is matched). */
export function phraseTokens(phrase: string): string[] {
  return tokenize(phrase).words;
}

/** Candidate headings: words then ":" at the start of a line or after a sentence end. */
const HEADING_RE = /(?<=^|[\r\n]|[.!?;][ \t]+)[ \t]*([A-Za-z][A-Za-z /&-]{0,60}?)[ \t]*:/g;

export function normalizeHeading(s: string): string {
  return s.trim().replace(/\s+/g, ' ').toLowerCase();
}

export interface Heading {
  /** Normalised heading name ("impression"). */
  name: string;
  /** Character offsets of the heading including its colon. */
  start: number;
  end: number;
}

/** Headings: a name listed in `known` (any case), or any ALL-CAPS name. */
export function findHeadings(text: string, known: ReadonlySet<string>): Heading[] {
  const out: Heading[] = [];
  HEADING_RE.lastIndex = 0;
  for (let m = HEADING_RE.exec(text); m; m = HEADING_RE.exec(text)) {
    const raw = m[1];
    const name = normalizeHeading(raw);
    const allCaps = /[A-Z]/.test(raw) && raw === raw.toUpperCase();
    if (known.has(name) || allCaps) out.push({ name, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/**
 * Sentence boundaries as token index ranges [start, end): a sentence ends after ". ! ? ;"
 * followed by whitespace or the end of the text, at a blank line, and at a heading.
 */
export function sentences(text: string, t: Tokens, headings: readonly Heading[]): [number, number][] {
  const n = t.words.length;
  const out: [number, number][] = [];
  let start = 0;
  let h = 0;
  for (let i = 0; i < n; i++) {
    while (h < headings.length && headings[h].end <= t.starts[i]) h++;
    if (h < headings.length && t.starts[i] >= headings[h].start) {
      // A heading's own tokens belong to no sentence and close the one before.
      if (i > start) out.push([start, i]);
      start = i + 1;
      continue;
    }
    const w = t.words[i];
    const endsSentence =
      ((w === '.' || w === '!' || w === '?' || w === ';') && (i + 1 === n || t.starts[i + 1] > t.ends[i])) || (i + 1 < n && isBlankLine(text, t.ends[i], t.starts[i + 1]));
    if (endsSentence) {
      out.push([start, i + 1]);
      start = i + 1;
    }
  }
  if (start < n) out.push([start, n]);
  return out;
}

function isBlankLine(text: string, from: number, to: number): boolean {
  if (to - from < 2) return false;
  const gap = text.slice(from, to);
  return /\n[ \t\r]*\n/.test(gap);
}
