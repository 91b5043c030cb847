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

/** Decodes a whole file; `what` names it in the message ("The manifest", "reports.csv"). */
export function decodeTextFile(bytes: Uint8Array, what = 'The file'): string {
  let text: string;
  try {
    text = strict.decode(bytes);
  } catch {
    const at = Math.max(0, firstInvalidUtf8(bytes));
    const line = lineAt(bytes, at);
    const hex = bytes[at]?.toString(16).toUpperCase().padStart(2, '0') ?? '??';
    throw new TextFileError(
      `${what} is not valid UTF-8: line ${line} has the byte 0x${hex} (byte ${at + 1} of the file). Save it as UTF-8 (in a spreadsheet: "CSV UTF-8") and try again; nothing was imported.`,
      line,
      at,
    );
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    const line = text.slice(0, nul).split('\n').length;
    throw new TextFileError(`${what} contains a NUL byte on line ${line}: it is not a text file, or it is UTF-16. Save it as UTF-8 and try again; nothing was imported.`, line, nul);
  }
  return text;
}
