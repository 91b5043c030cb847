/**
 * Ratings CSV (`case_id,reader_id,label`, with header; DESIGN.md "File formats") → Ratings.
 * Pure. Every problem is a RatingsCsvError naming the 1-based line.
 *
 * Two paths with one meaning: `ratingsColumns` reads the text once into interned typed columns
 * (no per-row objects; 500k ratings in a few hundred ms). It gives up (null) on anything it does
 * not accept, and so does `fromInterned` (RatingsError): then the row-by-row path below
 * (parseCsv + fromColumns) runs and reports the problem with its line number. Both accept the
 * same files and build the same Ratings (cli/lib/ratings-csv.test.ts checks them against each
 * other).
 */
import { parseCsv, CsvError } from '../../formats/csv.ts';
import { fromColumns, fromInterned, RatingsError, type InternedColumns, type Level, type Ratings } from '../../stats/ratings.ts';

export class RatingsCsvError extends Error {
  constructor(
    message: string,
    /** 1-based line in the file (0 when it concerns the options, not a line). */
    readonly line: number,
  ) {
    super(line > 0 ? `line ${line}: ${message}` : message);
    this.name = 'RatingsCsvError';
  }
}

export interface RatingsCsvOptions {
  level?: Level;
  categories?: string[];
  repeated?: boolean;
}

export const RATINGS_COLUMNS = ['case_id', 'reader_id', 'label'] as const;

export function parseRatingsCsv(text: string, opts: RatingsCsvOptions = {}): Ratings {
  const cols = ratingsColumns(text);
  if (cols) {
    try {
      return fromInterned(cols, { level: opts.level, categories: opts.categories, repeated: opts.repeated });
    } catch (e) {
      if (!(e instanceof RatingsError)) throw e;
      // fall through: the row-by-row path reports it with the line number
    }
  }
  return parseRatingsCsvRows(text, opts);
}

/** The row-by-row path (parseCsv rows → fromColumns): the reference, and the one that explains errors. */
export function parseRatingsCsvRows(text: string, opts: RatingsCsvOptions = {}): Ratings {
  let rows;
  try {
    rows = parseCsv(text);
  } catch (e) {
    if (e instanceof CsvError) throw new RatingsCsvError(e.message, e.line);
    throw e;
  }
  if (rows.length === 0) throw new RatingsCsvError('empty file (expected a header case_id,reader_id,label)', 1);
  const header = rows[0].fields.map((h) => h.trim().toLowerCase());
  const idx = RATINGS_COLUMNS.map((c) => header.indexOf(c));
  const missing = RATINGS_COLUMNS.filter((_, j) => idx[j] < 0);
  if (missing.length) {
    throw new RatingsCsvError(`missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (header: ${rows[0].fields.join(',')})`, rows[0].line);
  }
  const n = rows.length - 1;
  if (n === 0) throw new RatingsCsvError('no ratings after the header', rows[0].line);
  const [ci, ri, li] = idx;
  const caseIds = new Array<string>(n);
  const readerIds = new Array<string>(n);
  const labels = new Array<string>(n);
  for (let k = 0; k < n; k++) {
    const row = rows[k + 1];
    const f = row.fields;
    if (f.length !== header.length) {
      throw new RatingsCsvError(`${f.length} field(s), header has ${header.length}`, row.line);
    }
    const c = f[ci].trim();
    const r = f[ri].trim();
    if (c === '') throw new RatingsCsvError('empty case_id', row.line);
    if (r === '') throw new RatingsCsvError('empty reader_id', row.line);
    caseIds[k] = c;
    readerIds[k] = r;
    labels[k] = f[li].trim();
  }
  try {
    return fromColumns(caseIds, readerIds, labels, {
      level: opts.level,
      categories: opts.categories,
      repeated: opts.repeated,
    });
  } catch (e) {
    if (e instanceof RatingsError) {
      const line = e.row >= 0 ? rows[e.row + 1].line : e.code === 'empty' ? rows[0].line : 0;
      const msg = e.code === 'empty' ? 'no ratings (every label is empty or NA)' : e.message;
      throw new RatingsCsvError(msg, line);
    }
    throw e;
  }
}

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;

/**
 * Interning table of one column. The first few distinct plain fields (unquoted, nothing to trim)
 * are also remembered by their place in the text, so that a repeated reader id or label is
 * recognised by comparing characters, without making a string.
 */
class Interner {
  readonly names: string[] = [];
  private readonly map = new Map<string, number>();
  private readonly seenAt: number[] = [];
  private readonly seenLen: number[] = [];
  private readonly seenId: number[] = [];
  constructor(private readonly text: string) {}
  id(s: string): number {
    let j = this.map.get(s);
    if (j === undefined) {
      j = this.names.length;
      this.map.set(s, j);
      this.names.push(s);
    }
    return j;
  }
  /** Id of the unquoted field text[s, e), trimmed; −1 when it is empty after trimming. */
  field(s: number, e: number): number {
    const len = e - s;
    const m = this.seenAt.length;
    for (let k = 0; k < m; k++) {
      if (this.seenLen[k] === len && sameText(this.text, s, this.seenAt[k], len)) return this.seenId[k];
    }
    const v = fieldText(this.text, s, e);
    if (v === '') return -1;
    const j = this.id(v);
    if (m < 16 && v.length === len) {
      this.seenAt.push(s);
      this.seenLen.push(len);
      this.seenId.push(j);
    }
    return j;
  }
}

/** Upper bound on the number of rows: line ends + 1. */
function maxRows(text: string): number {
  let rows = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) rows++;
  for (let i = text.indexOf('\r'); i >= 0; i = text.indexOf('\r', i + 1)) rows++;
  return rows;
}

/** A field's text as the row-by-row path sees it after trim(). */
function fieldText(text: string, s: number, e: number): string {
  const v = text.slice(s, e);
  if (e === s) return v;
  const a = text.charCodeAt(s);
  const b = text.charCodeAt(e - 1);
  // Only whitespace (≤ U+0020 or non-ASCII, e.g. U+00A0, U+FEFF) can be trimmed.
  return a <= 32 || a >= 127 || b <= 32 || b >= 127 ? v.trim() : v;
}

/**
 * One pass over the text: the RFC 4180 rules of parseCsv (quotes, "" escapes, CRLF/LF/CR, BOM,
 * blank lines skipped, optional final line end) straight into interned columns of case_id,
 * reader_id and label (trimmed). Returns null when the text has any problem (no header, a missing
 * column, a malformed quote, a wrong field count, an empty id): the row-by-row path explains it.
 */
export function ratingsColumns(text: string): InternedColumns | null {
  const n = text.length;
  let i = n > 0 && text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const cases = new Interner(text);
  const readers = new Interner(text);
  const labels = new Interner(text);
  const cap = maxRows(text);
  const caseOf = new Int32Array(cap);
  const readerOf = new Int32Array(cap);
  const valueOf = new Int32Array(cap);
  let nRows = 0;

  let header: string[] | null = [];
  let width = 0;
  let ci = -1;
  let ri = -1;
  let li = -1;

  // Current row.
  let f = 0;
  let firstEmpty = false;
  let cId = -1;
  let rId = -1;
  let vId = -1;
  // Last case_id field (unquoted, untrimmed): consecutive rows of one case skip the lookup.
  let lastS = -1;
  let lastLen = -1;
  let lastId = -1;

  // Returns false when the row is not acceptable.
  const endRow = (): boolean => {
    if (f === 1 && firstEmpty) {
      // blank line
    } else if (header !== null) {
      const h = header.map((x) => x.trim().toLowerCase());
      ci = h.indexOf('case_id');
      ri = h.indexOf('reader_id');
      li = h.indexOf('label');
      if (ci < 0 || ri < 0 || li < 0) return false;
      width = h.length;
      header = null;
    } else {
      if (f !== width) return false;
      caseOf[nRows] = cId;
      readerOf[nRows] = rId;
      valueOf[nRows] = vId;
      nRows++;
    }
    f = 0;
    return true;
  };

  while (i < n) {
    let quoted: string | null = null;
    const s = i;
    if (text.charCodeAt(i) === QUOTE) {
      i++;
      let buf = '';
      let seg = i;
      for (;;) {
        if (i >= n) return null; // unterminated quoted field
        const c = text.charCodeAt(i);
        if (c === QUOTE) {
          if (text.charCodeAt(i + 1) === QUOTE) {
            buf += text.slice(seg, i + 1);
            i += 2;
            seg = i;
            continue;
          }
          buf += text.slice(seg, i);
          i++;
          break;
        }
        i++;
      }
      quoted = buf;
      if (i < n) {
        const c = text.charCodeAt(i);
        if (c !== COMMA && c !== LF && c !== CR) return null; // character after a closing quote
      }
    } else {
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c === COMMA || c === LF || c === CR) break;
        if (c === QUOTE) return null; // quote inside an unquoted field
      }
    }
    const e = i;
    if (f === 0) firstEmpty = quoted === null ? e === s : quoted === '';
    if (header !== null) header.push(quoted ?? text.slice(s, e));
    else if (f === ci) {
      if (quoted === null && e - s === lastLen && lastS >= 0 && sameText(text, s, lastS, lastLen)) cId = lastId;
      else {
        const v = quoted === null ? fieldText(text, s, e) : quoted.trim();
        if (v === '') return null; // empty case_id
        cId = cases.id(v);
        if (quoted === null && v.length === e - s) {
          lastS = s;
          lastLen = e - s;
          lastId = cId;
        } else lastS = -1;
      }
    } else if (f === ri) {
      if (quoted === null) rId = readers.field(s, e);
      else {
        const v = quoted.trim();
        rId = v === '' ? -1 : readers.id(v);
      }
      if (rId < 0) return null; // empty reader_id
    } else if (f === li) {
      if (quoted === null) {
        vId = labels.field(s, e);
        if (vId < 0) vId = labels.id('');
      } else vId = labels.id(quoted.trim());
    }
    f++;
    const c = i < n ? text.charCodeAt(i) : -1;
    if (c === COMMA) {
      i++;
      if (i >= n) {
        // a final delimiter: one more (empty) field, then the row ends
        if (header !== null) header.push('');
        else if (f === ci || f === ri) return null;
        else if (f === li) vId = labels.id('');
        f++;
        if (!endRow()) return null;
      }
      continue;
    }
    if (c === CR) i += text.charCodeAt(i + 1) === LF ? 2 : 1;
    else if (c === LF) i++;
    if (!endRow()) return null;
  }
  if (header !== null || nRows === 0) return null;
  return {
    nRows,
    caseOf: caseOf.subarray(0, nRows),
    caseNames: cases.names,
    readerOf: readerOf.subarray(0, nRows),
    readerNames: readers.names,
    valueOf: valueOf.subarray(0, nRows),
    values: labels.names,
    namesDistinct: true,
  };
}

/** text[a, a + len) === text[b, b + len), compared from the end (ids tend to differ there). */
function sameText(text: string, a: number, b: number, len: number): boolean {
  for (let k = len - 1; k >= 0; k--) if (text.charCodeAt(a + k) !== text.charCodeAt(b + k)) return false;
  return true;
}
