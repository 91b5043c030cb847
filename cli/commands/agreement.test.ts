import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from './agreement.ts';
import { validate } from '../../stats/schema.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'agreement-'));
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}
const good = file('good.csv', 'case_id,reader_id,label\n1,a,lo\n1,b,lo\n1,c,mid\n2,a,hi\n2,b,hi\n2,c,hi\n3,a,mid\n3,b,lo\n4,a,lo\n4,b,lo\n4,c,lo\n');

async function call(args: string[]) {
  let out = '';
  let err = '';
  const code = await run(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('agreement command (in process)', () => {
  it('prints a table with CIs', async () => {
    const r = await call([good, '--level', 'ordinal', '--categories', 'lo,mid,hi']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/fleiss_kappa/);
    expect(r.out).toMatch(/weighted_kappa/);
    expect(r.out).toMatch(/95% CI/);
    expect(r.out).toMatch(/convention/);
  });
  it('prints one JSON document valid against the schema', async () => {
    const r = await call([good, '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(validate(doc)).toEqual([]);
    expect(doc.statistics.map((e: { id: string }) => e.id)).toContain('krippendorff_alpha');
  });
  it('bad input exits 2 naming the line', async () => {
    expect(await call([file('e.csv', '')])).toMatchObject({ code: 2, err: expect.stringContaining(':1: empty file') });
    expect(await call([file('m.csv', 'case_id,label\n1,x\n')])).toMatchObject({ code: 2, err: expect.stringContaining('missing column reader_id') });
    expect(await call([good, '--categories', 'lo,hi'])).toMatchObject({ code: 2, err: expect.stringMatching(/:4: unknown category "mid"/) });
    expect(await call([file('r.csv', 'case_id,reader_id,label\n1,a,x\n1,a,y\n')])).toMatchObject({ code: 2, err: expect.stringMatching(/:3: .*--repeated/) });
    expect(await call([file('n.csv', 'case_id,reader_id,label\n1,a,1\n1,b,x\n'), '--level', 'interval'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/:3: "x" is not a number/),
    });
    const nope = await call([file('n2.csv', 'case_id,reader_id,label\n1,a,1\n'), '--level', 'interval', '--bogus']);
    expect(nope.code).toBe(2);
  });
  it('--repeated accepts intra-reader data', async () => {
    const r = await call([file('rep.csv', 'case_id,reader_id,label\n1,a,x\n1,a,x\n2,a,y\n2,a,x\n3,a,y\n3,a,y\n'), '--repeated', '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.data.repeated).toBe(true);
    expect(doc.statistics.find((e: { id: string }) => e.id === 'cohen_kappa').parameters.raters).toEqual(['a', 'a#2']);
  });
});

describe('agreement command (subprocess)', () => {
  it('node cli/bin.js agreement FILE --format json', async () => {
    const { stdout, code } = await new Promise<{ stdout: string; code: number }>((resolve) => {
      execFile('node', ['cli/bin.js', 'agreement', good, '--format', 'json'], { cwd: path.resolve(import.meta.dirname, '../..') }, (err, stdout) =>
        resolve({ stdout, code: err ? ((err as { code?: number }).code ?? 1) : 0 }),
      );
    });
    expect(code).toBe(0);
    expect(validate(JSON.parse(stdout))).toEqual([]);
  });
});
