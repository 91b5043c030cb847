/**
 * RFC 4180 CSV parser (pure): quoted fields with embedded commas, quotes ("") and newlines;
 * CRLF, LF or CR line ends; optional UTF-8 BOM; a final line end is optional. Blank lines are
 * skipped. Each row carries the 1-based line number on which it starts, for error messages.
 */
export class CsvError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'CsvError';
  }
}

export interface CsvRow {
  /** 1-based physical line on which the row starts. */
  line: number;
  fields: string[];
}

export function parseCsv(text: string, delimiter = ','): CsvRow[] {
  const rows: CsvRow[] = [];
  const d = delimiter.charCodeAt(0);
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let line = 1;
  let fields: string[] = [];
  let rowLine = 1;
  let atRowStart = true;
  while (i < n) {
    if (atRowStart) {
      rowLine = line;
      atRowStart = false;
    }
    let field: string;
    if (text.charCodeAt(i) === 34 /* " */) {
      const startLine = line;
      i++;
      let buf = '';
      let seg = i;
      for (;;) {
        if (i >= n) throw new CsvError('unterminated quoted field', startLine);
        const c = text.charCodeAt(i);
        if (c === 34) {
          if (text.charCodeAt(i + 1) === 34) {
            buf += text.slice(seg, i + 1);
            i += 2;
            seg = i;
            continue;
          }
          buf += text.slice(seg, i);
          i++;
          break;
        }
        if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) line++;
        i++;
      }
      field = buf;
      const c = i < n ? text.charCodeAt(i) : -1;
      if (c !== -1 && c !== d && c !== 10 && c !== 13) {
        throw new CsvError('unexpected character after a closing quote', line);
      }
    } else {
      const start = i;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === d || c === 10 || c === 13) break;
        if (c === 34) throw new CsvError('quote inside an unquoted field', line);
        i++;
      }
      field = text.slice(start, i);
    }
    fields.push(field);
    const c = i < n ? text.charCodeAt(i) : -1;
    if (c === d) {
      i++;
      if (i >= n) fields.push('');
      continue;
    }
    // end of row
    if (c === 13) i += text.charCodeAt(i + 1) === 10 ? 2 : 1;
    else if (c === 10) i++;
    if (!(fields.length === 1 && fields[0] === '')) rows.push({ line: rowLine, fields });
    fields = [];
    line++;
    atRowStart = true;
  }
  if (!atRowStart && fields.length && !(fields.length === 1 && fields[0] === '')) rows.push({ line: rowLine, fields });
  return rows;
}
