import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseRatingsCsv, parseRatingsCsvRows, ratingsColumns, RatingsCsvError, type RatingsCsvOptions } from './ratings-csv.ts';

function lineOf(text: string, opts = {}): [number, string] {
  try {
    parseRatingsCsv(text, opts);
  } catch (e) {
    if (e instanceof RatingsCsvError) return [e.line, e.message];
    throw e;
  }
  throw new Error('no error');
}

describe('parseRatingsCsv', () => {
  it('parses and ignores empty labels', () => {
    const r = parseRatingsCsv('case_id,reader_id,label\n1,a,x\n1,b,\n2,a,"y"\n');
    expect(r.nRatings).toBe(2);
    expect(r.missingRows).toBe(1);
  });
  it('bad input names the line', () => {
    expect(lineOf('')).toEqual([1, expect.stringContaining('empty file')]);
    expect(lineOf('case_id,label\n1,x\n')[0]).toBe(1);
    expect(lineOf('case_id,reader_id,label\n1,a,x\n1,a,y\n')).toEqual([3, expect.stringContaining('--repeated')]);
    expect(lineOf('case_id,reader_id,label\n1,a,x\n2,a,q\n', { categories: ['x', 'y'] })).toEqual([3, expect.stringContaining('unknown category')]);
    expect(lineOf('case_id,reader_id,label\n1,a,1\n\n2,a,two\n', { level: 'interval' })).toEqual([4, expect.stringContaining('not a number')]);
    expect(lineOf('case_id,reader_id,label\n1,a\n')[0]).toBe(2);
  });
});

describe('one-pass columns ≡ row-by-row path', () => {
  const outcome = (f: () => unknown) => {
    try {
      return { ok: f() };
    } catch (e) {
      return { err: String(e), line: (e as RatingsCsvError).line };
    }
  };
  const same = (text: string, opts: RatingsCsvOptions = {}) => expect(outcome(() => parseRatingsCsv(text, opts))).toEqual(outcome(() => parseRatingsCsvRows(text, opts)));

  it('takes the one-pass path on ordinary files', () => {
    expect(ratingsColumns('case_id,reader_id,label\n1,a,x\n1,b,\n2,a,"y"\n')).not.toBeNull();
    expect(ratingsColumns('case_id,reader_id,label\n1,a\n')).toBeNull();
  });
  it('same Ratings or the same error on tricky files', () => {
    same('\ufeffCase_ID , reader_id,LABEL,extra\r\n c1 ,"r,1", 2 ,z\r\n"c1",r2,"2",\r\n\r\nc2,r1,NA,"q"\r\n');
    same('label,reader_id,case_id\rx,a,1\ry,b,1\r"x",a,2');
    same('case_id,reader_id,label\n1,a,x\n1,b,\n2,a,"y"\n"3\nz",b,"he said ""x"""\n');
    same('case_id,reader_id,label\n1,a,1\n1,b,1.0\n2,a,2', { level: 'interval' });
    same('case_id,reader_id,label\n1,a,1\n1,b,x\n', { level: 'interval' });
    same('case_id,reader_id,label\n1,a,-1\n', { level: 'ratio' });
    same('case_id,reader_id,label\n1,a,x\n1,a,x\n', { repeated: true });
    same('case_id,reader_id,label\n1,a,x\n1,a,y\n');
    same('case_id,reader_id,label\n1,a,x\n2,a,q\n', { categories: ['x', 'y'] });
    same('case_id,reader_id,label\n1, ,x\n');
    same('case_id,reader_id,label\n1,a,"x"y\n');
    same('case_id,reader_id,label\n1,a,x"\n');
    same('case_id,reader_id,label\n1,a,"x\n');
    same('case_id,reader_id,label\n1,a,');
    same('case_id,reader_id,label\n1,a,NA\n');
    same('case_id,reader_id,label\n');
    same('\n\n');
    same('');
  });
  it('same result on random files (property)', () => {
    const row = fc
      .tuple(
        fc.constantFrom('c1', 'c2', ' c1', 'c3', '"c1"', 'c 2', '"c\n4"', '\u00a0c3', ''),
        fc.constantFrom('r1', 'r2', 'r1 ', '"r2"', 'r3', ''),
        fc.constantFrom('1', '2', '1.0', 'NA', '', ' 2', '"1"', '3', '"2 "', '1e0', 'a', '-1', 'x"y', '"q"z'),
        fc.constantFrom('', ',x', ',"y"'),
      )
      .map((t) => `${t[0]},${t[1]},${t[2]}${t[3]}`);
    const head = fc.constantFrom('case_id,reader_id,label\n', '\ufeffCase_ID , reader_id,LABEL,extra\r\n', '"case_id","reader_id","label",label\r', 'case_id,reader_id\n');
    const opts = fc.constantFrom<RatingsCsvOptions>({}, { level: 'interval' }, { level: 'ratio' }, { level: 'ordinal' }, { categories: ['1', '2'] }, { repeated: true });
    fc.assert(
      fc.property(head, fc.array(row, { maxLength: 8 }), fc.constantFrom('\n', '\r\n', '\r'), fc.boolean(), opts, (h, rows, sep, end, o) => {
        same(h + rows.join(sep) + (end ? sep : ''), o);
      }),
      { numRuns: 500 },
    );
  });
});
