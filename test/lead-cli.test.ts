/** `truthline import cases`, `export` and `release` as subprocesses on an embedded database in a scratch folder. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
let dir: string;

function cli(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, TRUTHLINE_DATA_DIR: dir };
  delete env.DATABASE_URL;
  delete env.TRUTHLINE_DEMO;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'cli/bin.js'), ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'truthline-lead-cli-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('lead CLI', () => {
  it('imports all or nothing with line errors, exports csv/jsonl/prov, releases', { timeout: 600_000 }, () => {
    expect(cli(['seed']).code).toBe(0);
    const file = path.join(dir, 'manifest.csv');
    fs.writeFileSync(file, 'case_id,patient_id,study_date,modality,body_part,split,images\nNEW-1,NP-1,2025-05-01,CR,CHEST,,/img/new-1.png\nNEW-2,NP-1,2025-05-32,CR,CHEST,test,\n');
    const bad = cli(['import', 'cases', '--project', 'chest-pneumothorax', file]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`${file}:3: study_date: "2025-05-32" is not a date in the form YYYY-MM-DD`);
    expect(bad.err).toContain('nothing was imported');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('2025-05-32', '2025-05-30'));
    const ok = cli(['import', 'cases', '--project', 'chest-pneumothorax', file, '--assign-splits', '70/10/20']);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/imported 2 case\(s\) of 1 patient\(s\) \(1 new\) into chest-pneumothorax on version 1; splits: test 2/);
    const again = cli(['import', 'cases', '--project', 'chest-pneumothorax', file]);
    expect(again.code).toBe(1);
    expect(again.err).toContain('case "NEW-1" is already in this project');

    const csv = cli(['export', '--project', 'chest-pneumothorax', '--format', 'csv']);
    expect(csv.code).toBe(0);
    const lines = csv.out.trim().split('\r\n');
    expect(lines[0]).toMatch(/^case_id,case_uuid,patient_id,split,/);
    expect(lines).toHaveLength(1 + 47);
    expect(csv.out).toContain('NEW-2');
    const jsonl = cli(['export', '--project', 'chest-pneumothorax', '--format', 'jsonl']);
    expect(
      jsonl.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).case_id),
    ).toContain('NEW-1');
    const prov = cli(['export', '--project', 'chest-pneumothorax', '--format', 'prov']);
    expect(JSON.parse(prov.out).prefix.tl).toBe('urn:truthline:');
    expect(cli(['export', '--project', 'chest-pneumothorax', '--format', 'xml']).code).toBe(2);
    expect(cli(['export', '--project', 'nope', '--format', 'csv']).code).toBe(1);

    const out = path.join(dir, 'releases');
    const refused = cli(['release', '--project', 'chest-pneumothorax', '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/refused: .* not settled: confirm/);
    const rel = cli(['release', '--project', 'chest-pneumothorax', '--out', out, '--confirm-pending']);
    expect(rel.code).toBe(0);
    expect(rel.out).toMatch(/^release 1 of chest-pneumothorax: [0-9a-f]{64}/);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'chest-pneumothorax-release-1', 'manifest.json'), 'utf8'));
    expect(manifest.files.map((f: { name: string }) => f.name)).toEqual(['truth.csv', 'truth.jsonl', 'truth.prov.json', 'stard.json', 'croissant.json']);
    expect(Object.keys(manifest.chainHeads)).toHaveLength(47);
    const unchanged = cli(['release', '--project', 'chest-pneumothorax', '--confirm-pending']);
    expect(unchanged.code).toBe(1);
    expect(unchanged.err).toContain('nothing changed since release 1');
  });
});
