/**
 * The one way uploaded and command-line text files (manifests, evidence, ratings, reports) are
 * decoded: strict UTF-8 (an optional BOM is dropped). A file that is not UTF-8 — typically
 * Latin-1 or Windows-1252 from a spreadsheet — is refused as a whole, naming the line and byte
 * of the first bad sequence, instead of being silently turned into U+FFFD. A NUL byte is refused
 * too: no text column can hold it.
 */
export class TextFileError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly byteOffset: number,
  ) {
    super(message);
    this.name = 'TextFileError';
  }
}

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Byte offset of the first invalid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) (need = 1), (min = 0x80);
    else if (c >= 0xe0 && c <= 0xef) (need = 2), (min = 0x800);
    else if (c >= 0xf0 && c <= 0xf4) (need = 3), (min = 0x10000);
    else return i;
    if (i + need >= n) return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

function lineAt(b: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (b[i] === 10) line++;
  return line;
}

function notUtf8(what: string, line: number, at: number, byte: number | undefined): TextFileError {
  const hex = byte?.toString(16).toUpperCase().padStart(2, '0') ?? '??';
  return new TextFileError(
    `${what} is not valid UTF-8: line ${line} has the byte 0x${hex} (byte ${at + 1} of the file). Save it as UTF-8 (in a spreadsheet: "CSV UTF-8") and try again; nothing was imported.`,
    line,
    at,
  );
}

function hasNul(what: string, line: number, at: number): TextFileError {
  return new TextFileError(`${what} contains a NUL byte on line ${line}: it is not a text file, or it is UTF-16. Save it as UTF-8 and try again; nothing was imported.`, line, at);
}

/** Decodes a whole file; `what` names it in the message ("The manifest", "reports.csv"). */
export function decodeTextFile(bytes: Uint8Array, what = 'The file'): string {
  let text: string;
  try {
    text = strict.decode(bytes);
  } catch {
    const at = Math.max(0, firstInvalidUtf8(bytes));
    throw notUtf8(what, lineAt(bytes, at), at, bytes[at]);
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) throw hasNul(what, text.slice(0, nul).split('\n').length, nul);
  return text;
}

function countNewlines(b: Uint8Array, end = b.length): number {
  let n = 0;
  for (let i = 0; i < end; i++) if (b[i] === 10) n++;
  return n;
}

/** Length of an incomplete UTF-8 sequence at the end of `b` (the streaming decoder holds it back). */
function incompleteTail(b: Uint8Array): number {
  for (let k = 1; k <= Math.min(3, b.length); k++) {
    const c = b[b.length - k];
    if ((c & 0xc0) === 0x80) continue;
    if (c < 0xc0) return 0;
    const need = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
    return need >= k ? k : 0;
  }
  return 0;
}

/**
 * The same rules for a file arriving in pieces (uploads stored for jobs): strict UTF-8, a BOM
 * dropped, no NUL; the error names the line and byte of the first bad sequence in the whole file.
 */
export class TextFileDecoder {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  /** Bytes of an incomplete sequence held back from the previous piece. */
  private carry = new Uint8Array(0);
  /** Line and file offset where `carry` starts. */
  private line = 1;
  private offset = 0;
  private chars = 0;

  constructor(readonly what = 'The file') {}

  decode(piece: Uint8Array): string {
    const all = this.carry.length ? concat(this.carry, piece) : piece;
    let text: string;
    try {
      text = this.decoder.decode(piece, { stream: true });
    } catch {
      this.fail(all);
    }
    return this.advance(all, all.length - incompleteTail(all), text);
  }

  /** The end of the file: an incomplete last sequence is an error. */
  end(): string {
    let text: string;
    try {
      text = this.decoder.decode();
    } catch {
      this.fail(this.carry);
    }
    return this.advance(this.carry, this.carry.length, text);
  }

  private advance(all: Uint8Array, consumed: number, text: string): string {
    const nul = text.indexOf('\u0000');
    if (nul >= 0) throw hasNul(this.what, this.line + text.slice(0, nul).split('\n').length - 1, this.chars + nul);
    this.line += countNewlines(all, consumed);
    this.offset += consumed;
    this.carry = all.slice(consumed);
    this.chars += text.length;
    return text;
  }

  private fail(bytes: Uint8Array): never {
    const at = Math.max(0, firstInvalidUtf8(bytes));
    throw notUtf8(this.what, this.line + countNewlines(bytes, at), this.offset + at, bytes[at]);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
