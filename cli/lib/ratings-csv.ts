/**
 * Ratings CSV (`case_id,reader_id,label`, with header; DESIGN.md "File formats") → Ratings.
 * Pure. Every problem is a RatingsCsvError naming the 1-based line.
 */
import { parseCsv, CsvError } from './csv.ts';
import { fromColumns, RatingsError, type Level, type Ratings } from '../../stats/index.ts';

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
