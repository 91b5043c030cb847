import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvError, parseCsv } from '../../formats/csv.ts';
import { csvRows } from './csv-stream.ts';

async function streamed(pieces: string[]) {
  const out = [];
  for await (const rows of csvRows(pieces)) out.push(...rows);
  return out;
}

function cutAt(text: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(text.slice(prev, c));
    prev = c;
  }
  out.push(text.slice(prev));
  return out;
}

describe('csvRows (streamed CSV)', () => {
  it('gives the same rows and line numbers as the whole-text parser, however the text is cut', async () => {
    const field = fc.oneof(
      fc.constantFrom('a', 'b c', '', '1.5'),
      fc.string({ maxLength: 6 }).map((s) => `"${s.replace(/"/g, '""')}"`),
      fc.constantFrom('"x\ny"', '"p,q"', '"r\r\ns"'),
    );
    const row = fc.array(field, { minLength: 1, maxLength: 4 }).map((f) => f.join(','));
    const eol = fc.constantFrom('\n', '\r\n', '\r');
    const text = fc
      .tuple(fc.array(fc.tuple(row, eol), { minLength: 1, maxLength: 8 }), fc.boolean())
      .map(([rows, bom]) => (bom ? '\uFEFF' : '') + rows.map(([r, e]) => r + e).join(''));
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.nat(), { maxLength: 6 }), async (t, cuts) => {
        expect(await streamed(cutAt(t, cuts))).toEqual(parseCsv(t));
      }),
      { numRuns: 300 },
    );
  });

  it('names the line of a malformed row far into the stream', async () => {
    const good = Array.from({ length: 1000 }, (_, i) => `c${i},p${i}\n`).join('');
    const pieces = cutAt(`${good}bad,"unterminated\n`, [777, 5000, 9000]);
    await expect(streamed(pieces)).rejects.toThrow(CsvError);
    await streamed(pieces).catch((e: CsvError) => expect(e.line).toBe(1001));
  });
});
