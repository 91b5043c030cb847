/**
 * Streams CSV rows from text arriving in pieces, with the same rules and line numbers as the
 * whole-text parser (formats/csv.ts): it cuts the buffer after the last line end outside quotes,
 * parses that part whole and keeps the rest for the next piece. Memory: one piece plus one row.
 */
import { CsvError, parseCsv, type CsvRow } from '../../formats/csv.ts';

export async function* csvRows(source: AsyncIterable<string> | Iterable<string>, delimiter = ','): AsyncGenerator<CsvRow[]> {
  let buf = '';
  let lineOffset = 0;
  let first = true;
  // Scan state carried across pieces so each character is scanned once.
  let scanned = 0;
  let inQuote = false;
  let cut = -1;
  const emit = (text: string): CsvRow[] => {
    try {
      const rows = parseCsv(text, delimiter);
      if (lineOffset) for (const r of rows) r.line += lineOffset;
      return rows;
    } catch (e) {
      if (e instanceof CsvError) throw new CsvError(e.message, e.line + lineOffset);
      throw e;
    }
  };
  const countLines = (text: string): number => {
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) n++;
    }
    return n;
  };
  for await (let piece of source as AsyncIterable<string>) {
    if (first) {
      if (piece.charCodeAt(0) === 0xfeff) piece = piece.slice(1);
      first = piece.length === 0;
    }
    buf += piece;
    for (; scanned < buf.length; scanned++) {
      const c = buf.charCodeAt(scanned);
      if (c === 34) inQuote = !inQuote;
      else if (!inQuote && (c === 10 || c === 13)) cut = scanned;
    }
    // A CR at the very end may be the first half of CRLF: wait for the next piece.
    if (cut >= 0 && cut === buf.length - 1 && buf.charCodeAt(cut) === 13) cut = -1;
    if (cut < 0) continue;
    const head = buf.slice(0, cut + 1);
    buf = buf.slice(cut + 1);
    const rows = emit(head);
    lineOffset += countLines(head);
    // The rest was already scanned, starting outside quotes at the cut: its state stands.
    scanned = buf.length;
    cut = -1;
    if (rows.length) yield rows;
  }
  if (buf.length) {
    const rows = emit(buf);
    if (rows.length) yield rows;
  }
}
