import { describe, expect, it } from 'vitest';
import { parseRatingsCsv, RatingsCsvError } from './ratings-csv.ts';

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
