import { describe, expect, it } from 'vitest';
import { parseCsv, CsvError } from './csv.ts';

describe('parseCsv (RFC 4180)', () => {
  it('quotes, escaped quotes, embedded comma and newline, CRLF, BOM, line numbers', () => {
    const rows = parseCsv('\ufeffa,b\r\n"x,1","he said ""hi"""\r\n"multi\r\nline",z\r\n\r\nlast,\n');
    expect(rows.map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['x,1', 'he said "hi"'],
      ['multi\r\nline', 'z'],
      ['last', ''],
    ]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 3, 6]);
  });
  it('no final newline, CR-only', () => {
    expect(parseCsv('a\rb').map((r) => r.fields)).toEqual([['a'], ['b']]);
  });
  it('errors carry the line', () => {
    expect(() => parseCsv('a\n"open')).toThrow(CsvError);
    try {
      parseCsv('a\nb"c');
    } catch (e) {
      expect((e as CsvError).line).toBe(2);
    }
  });
});
