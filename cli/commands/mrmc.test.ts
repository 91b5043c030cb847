import { describe, expect, it } from 'vitest';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from './mrmc.ts';
import { validate } from '../../stats/schema.ts';
import mrmcSchema from '../../stats/mrmc.schema.json';

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await run(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}
const VANDYKE = path.resolve(__dirname, '../../stats/fixtures/mrmc/vandyke.csv');
const schema = mrmcSchema as Record<string, unknown>;

describe('truthline mrmc', () => {
  it('prints the OR/DBM table for Van Dyke (values as OR-DBM MRMC and MRMCaov)', async () => {
    const r = await cli([VANDYKE]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('F(1, 15.26) = 4.4563, p = 0.0517');
    expect(r.out).toContain('χ²(1) = 5.4760, p = 0.0193');
  });
  for (const extra of [[], ['--covariance', 'delong'], ['--covariance', 'bootstrap', '--replicates', '50', '--seed', '3'], ['--fom', 'sensitivity', '--threshold', '3']])
    it(`JSON ${extra.join(' ') || '(defaults)'} validates against stats/mrmc.schema.json`, async () => {
      const r = await cli([VANDYKE, '--format', 'json', ...extra]);
      expect(r.code).toBe(0);
      expect(validate(JSON.parse(r.out), schema, schema)).toEqual([]);
    });
  it('accepts modality for arm; a single arm gives per-arm CIs and null tests', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'h16-mrmc-'));
    const f = path.join(dir, 'one.csv');
    const rows = ['case,truth,modality,reader,rating'];
    for (let c = 0; c < 8; c++) for (const r of ['a', 'b', 'c']) rows.push(`${c},${c % 2},AI,${r},${(c % 2) * 2 + ((c * 7 + r.charCodeAt(0)) % 3)}`);
    writeFileSync(f, rows.join('\n'));
    const r = await cli([f, '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(validate(doc, schema, schema)).toEqual([]);
    expect(doc.design.arms).toEqual(['AI']);
    expect(doc.or.rrrc.F).toBeNull();
    expect(doc.or.rrrc.arms[0].ci[0]).toBeLessThan(doc.or.rrrc.arms[0].estimate);
  });
  it('bad input: exit 2 with the line and field', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'h16-mrmc-'));
    const f = path.join(dir, 'bad.csv');
    writeFileSync(f, 'case_id,truth,arm,reader_id,rating\n1,1,A,r,5\n2,maybe,A,r,1\n');
    const r = await cli([f]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/line 3, field truth/);
    writeFileSync(f, 'case_id,truth,arm,rating\n');
    expect((await cli([f])).err).toMatch(/missing column reader_id/);
    expect((await cli([VANDYKE, '--fom', 'sensitivity'])).err).toMatch(/--threshold/);
  });
});
