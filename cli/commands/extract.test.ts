import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from './extract.ts';
import { parseCsv } from '../../formats/csv.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'extract-'));
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}
const rulesDoc = {
  name: 'birads-path',
  version: 3,
  labels: [
    { label: 'malignant', patterns: ['carcinoma', 'malignan\\w*'], negations: true },
    { label: 'benign', patterns: ['benign', 'fibroadenoma'] },
  ],
  default: 'unknown',
  sections: ['impression', 'diagnosis'],
};
const rules = file('rules.json', JSON.stringify(rulesDoc, null, 2));
const reports = file(
  'reports.csv',
  'id,site,text\n' +
    'c1,A,"FINDINGS: carcinoma in history.\nIMPRESSION: No evidence of malignancy. Fibroadenoma, ""classic""."\n' +
    'c2,B,"DIAGNOSIS: Invasive ductal carcinoma, grade 2."\n' +
    'c3,A,IMPRESSION: normal\n',
);

async function call(args: string[]) {
  let out = '';
  let err = '';
  const code = await run(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('extract command (in process)', () => {
  it('writes one CSV row per report', async () => {
    const r = await call(['--rules', rules, reports]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(parseCsv(r.out).map((x) => x.fields)).toEqual([
      ['id', 'label', 'rule', 'version', 'matched'],
      ['c1', 'benign', 'birads-path', '3', 'Fibroadenoma'],
      ['c2', 'malignant', 'birads-path', '3', 'carcinoma'],
      ['c3', 'unknown', 'birads-path', '3', ''],
    ]);
  });
  it('--format jsonl adds the extraction record for import evidence', async () => {
    const r = await call(['--rules', rules, reports, '--format', 'jsonl']);
    expect(r.code).toBe(0);
    const rows = r.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows[1]).toEqual({
      id: 'c2',
      label: 'malignant',
      rule: 'birads-path',
      version: 3,
      matched: 'carcinoma',
      extraction: { method: 'rule', rule: 'birads-path', version: 3, triggers: 'truthline-context@1' },
    });
    expect(rows).toHaveLength(3);
  });
  it('--help says first label wins and how to join with evidence', async () => {
    const r = await call(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/FIRST label in list order/);
    expect(r.out).toMatch(/case_id,finding,kind,date,result_code,text/);
  });
  it('bad input exits 2 naming the file and line or JSON path', async () => {
    expect(await call(['--rules', rules, file('e.csv', '')])).toMatchObject({ code: 2, err: expect.stringMatching(/e\.csv:1: empty file/) });
    expect(await call(['--rules', rules, file('m.csv', 'id,body\n1,x\n')])).toMatchObject({ code: 2, err: expect.stringMatching(/m\.csv:1: missing column text/) });
    expect(await call(['--rules', rules, file('f.csv', 'id,text\n1,x\n2,y,z\n')])).toMatchObject({ code: 2, err: expect.stringMatching(/f\.csv:3: expected 2 fields, found 3/) });
    expect(await call(['--rules', rules, file('d.csv', 'id,text\n1,x\n\n1,y\n')])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/d\.csv:4: duplicate id "1" \(first on line 2\)/),
    });
    expect(await call(['--rules', rules, file('q.csv', 'id,text\n1,"open\n')])).toMatchObject({ code: 2, err: expect.stringMatching(/q\.csv:2: unterminated quoted field/) });
    const bad = file('bad.json', JSON.stringify({ ...rulesDoc, labels: [{ label: 'malignant', patterns: ['(carcinoma'] }] }));
    expect(await call(['--rules', bad, reports])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/bad\.json: labels\[0\]\.patterns\[0\]: invalid regex for label "malignant"/),
    });
    const noVersion = file('nv.json', JSON.stringify({ ...rulesDoc, version: undefined }));
    expect(await call(['--rules', noVersion, reports])).toMatchObject({ code: 2, err: expect.stringMatching(/nv\.json: version: /) });
    expect(await call(['--rules', file('syntax.json', '{"name": "x",\n}'), reports])).toMatchObject({ code: 2, err: expect.stringMatching(/syntax\.json: invalid JSON/) });
    expect(await call(['--rules', path.join(dir, 'missing.json'), reports])).toMatchObject({ code: 2, err: expect.stringMatching(/cannot read .*ENOENT/) });
    expect((await call([reports])).code).toBe(2);
    expect((await call(['--rules', rules, reports, '--format', 'xml'])).code).toBe(2);
    expect((await call(['--rules', rules, reports, '--bogus'])).code).toBe(2);
  });
});

describe('extract command: findings', () => {
  const findingRules = file(
    'findings.json',
    JSON.stringify({
      name: 'chest',
      version: 2,
      findings: [
        { finding: 'pneumothorax', phrases: ['pneumothorax'] },
        { finding: 'effusion', phrases: ['pleural effusion'], patterns: ['effusions?'] },
        { finding: 'pneumonia', phrases: ['pneumonia'] },
      ],
      triggers: { add: [{ phrase: 'excluded', kind: 'negated', direction: 'backward' }] },
    }),
  );
  const chest = file(
    'chest.csv',
    'id,text\n' + 'a,"No pneumothorax. Small left pleural   effusion. Pneumonia cannot be excluded."\n' + 'b,"INDICATION: r/o pneumonia.\nFINDINGS: Pneumothorax has resolved."\n',
  );
  it('one row per report and finding with status, sentence and deciding trigger', async () => {
    const r = await call(['--rules', findingRules, chest]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(parseCsv(r.out).map((x) => x.fields)).toEqual([
      ['id', 'finding', 'status', 'rule', 'version', 'matched', 'sentence', 'trigger'],
      ['a', 'pneumothorax', 'negated', 'chest', '2', 'pneumothorax', 'No pneumothorax.', 'no (negated, gennegex)'],
      ['a', 'effusion', 'present', 'chest', '2', 'pleural effusion', 'Small left pleural effusion.', ''],
      // the project's trigger "excluded" does not override the longer shipped "cannot be excluded"
      ['a', 'pneumonia', 'uncertain', 'chest', '2', 'Pneumonia', 'Pneumonia cannot be excluded.', 'cannot be excluded (uncertain, pycontext)'],
      ['b', 'pneumothorax', 'negated', 'chest', '2', 'Pneumothorax', 'Pneumothorax has resolved.', 'has resolved (negated, truthline)'],
      ['b', 'effusion', 'not_mentioned', 'chest', '2', '', '', ''],
      ['b', 'pneumonia', 'uncertain', 'chest', '2', 'pneumonia', 'r/o pneumonia.', 'r/o (uncertain, gennegex)'],
    ]);
    const jsonl = await call(['--rules', findingRules, chest, '--format', 'jsonl']);
    expect(JSON.parse(jsonl.out.split('\n')[0]).extraction).toEqual({ method: 'rule', rule: 'chest', version: 2, triggers: 'truthline-context@1+chest@2' });
  });
  it('a catastrophic-backtracking pattern runs in linear time on RE2', async () => {
    const evil = file('evil.json', JSON.stringify({ name: 'x', version: 1, findings: [{ finding: 'a', patterns: ['(a+)+$'] }] }));
    const long = file('long.csv', `id,text\n1,${'a'.repeat(50_000)}!\n`);
    // On a backtracking engine this run would not end; the test's timeout would fail it.
    const r = await call(['--rules', evil, long]);
    expect(r.code).toBe(0);
    expect(parseCsv(r.out)[1].fields[2]).toBe('not_mentioned');
  });
  it('rules errors name the JSON path', async () => {
    const bad = file('badf.json', JSON.stringify({ name: 'x', version: 1, findings: [{ finding: 'a' }] }));
    expect(await call(['--rules', bad, chest])).toMatchObject({ code: 2, err: expect.stringMatching(/badf\.json: findings\[0\]: give at least one phrase or pattern/) });
    const badTrigger = file(
      'badt.json',
      JSON.stringify({ name: 'x', version: 1, findings: [{ finding: 'a', phrases: ['a'] }], triggers: { add: [{ phrase: 'no', kind: 'nope', direction: 'forward' }] } }),
    );
    expect(await call(['--rules', badTrigger, chest])).toMatchObject({ code: 2, err: expect.stringMatching(/badt\.json: triggers\.add\[0\]\.kind: must be one of/) });
  });
});

describe('extract command (subprocess)', () => {
  it('a closed output pipe ends the run quietly', async () => {
    const many = file('many.csv', 'id,text\n' + Array.from({ length: 20_000 }, (_, i) => `r${i},No pneumothorax. Small pleural effusion.`).join('\n') + '\n');
    const findingRules = file('f2.json', JSON.stringify({ name: 'chest', version: 1, findings: [{ finding: 'pneumothorax', phrases: ['pneumothorax'] }] }));
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
      execFile('sh', ['-c', `node cli/bin.js extract --rules ${findingRules} ${many} | head -n 2`], { cwd: path.resolve(import.meta.dirname, '../..') }, (err, stdout, stderr) =>
        resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 }),
      );
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.split('\n')[1]).toMatch(/^r0,pneumothorax,negated,/);
  });

  it('node cli/bin.js extract --rules FILE REPORTS', async () => {
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number }>((resolve) => {
      execFile('node', ['cli/bin.js', 'extract', '--rules', rules, reports], { cwd: path.resolve(import.meta.dirname, '../..') }, (err, stdout, stderr) =>
        resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 }),
      );
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe('id,label,rule,version,matched\nc1,benign,birads-path,3,Fibroadenoma\nc2,malignant,birads-path,3,carcinoma\nc3,unknown,birads-path,3,\n');
  });
});
