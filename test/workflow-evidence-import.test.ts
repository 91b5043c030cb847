/** Evidence import: all or nothing, errors naming line and field; in-process and through the CLI. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq, inArray } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { buildProject, type Fixture } from './fixtures/workflow.ts';
import { mammographyDefinition } from '../seed/demo-projects.ts';
import { cases, evidence, workflowEvents } from '../db/schema.ts';
import { EvidenceImportFailed, formatEvidenceError, importEvidence, parseEvidenceCsv } from '../app/models/evidence.server.ts';

let t: TestDb;
let f: Fixture;
let refs: string[];
beforeAll(async () => {
  t = await createTestDb();
  f = await buildProject(t.db, { definition: mammographyDefinition, cases: 2 });
  refs = (await t.db.select({ e: cases.externalId }).from(cases).where(inArray(cases.id, f.caseIds))).map((r) => r.e!).sort();
}, 120_000);
afterAll(async () => t?.dispose());

const count = async () => (await t.db.select().from(evidence).where(inArray(evidence.caseId, f.caseIds))).length;

describe('importEvidence', () => {
  it('checks every row first and names line and field; nothing is written', async () => {
    const csv = [
      'case_id,finding,kind,date,result_code,text',
      `${refs[0]},left,pathology,2024-02-01,malignant,"IDC, grade 2"`,
      `${refs[0]},middle,pathology,2024-02-01,malignant,`,
      `nope,,follow_up,2024-02-01,negative,`,
      `${refs[1]},,biopsy,2024-13-01,,`,
      `"${refs[1]}",right,pathology,2024-02-30,benign,"multi`,
      `line text"`,
    ].join('\n');
    const e = await importEvidence({ projectId: f.projectId, text: csv, actorId: f.lead, db: t.db }).catch((x) => x);
    expect(e).toBeInstanceOf(EvidenceImportFailed);
    const lines = (e as EvidenceImportFailed).errors.map((x) => formatEvidenceError(x, 'ev.csv'));
    expect(lines).toEqual([
      'ev.csv:3: finding: "middle" is not a finding of this case (left, right)',
      'ev.csv:4: case_id: no case "nope" in this project',
      'ev.csv:5: kind: must be one of report, pathology, surgery, follow_up, got "biopsy"',
      'ev.csv:5: date: not a real date, got "2024-13-01"',
      'ev.csv:5: result_code: give a result code or a text',
      'ev.csv:6: date: not a real date, got "2024-02-30"',
    ]);
    expect(await count()).toBe(0);
  });

  it('an actor who is not a lead is refused before any row is recorded', async () => {
    const csv = `case_id,finding,kind,date,result_code,text\n${refs[0]},left,pathology,2024-02-01,malignant,\n${refs[1]},left,pathology,2024-02-01,malignant,`;
    const e = await importEvidence({ projectId: f.projectId, text: csv, actorId: f.readers[0], db: t.db }).catch((x) => x);
    expect(e).toBeInstanceOf(EvidenceImportFailed);
    expect((e as EvidenceImportFailed).errors[0]).toMatchObject({ line: 0, message: expect.stringMatching(/not a lead/) });
    expect(await count()).toBe(0);
  });

  it('imports a good file in one go; re-importing it is a no-op', async () => {
    const csv = `case_id,finding,kind,date,result_code,text\r\n${refs[0]},left,pathology,2024-02-01,malignant,"IDC"\r\n${refs[1]},,follow_up,2024-06-01,negative,\r\n`;
    expect(await importEvidence({ projectId: f.projectId, text: csv, actorId: f.lead, db: t.db })).toEqual({ recorded: 2, duplicates: 0, refused: 0, cases: 2 });
    expect(await importEvidence({ projectId: f.projectId, text: csv, actorId: f.lead, db: t.db })).toEqual({ recorded: 0, duplicates: 2, refused: 0, cases: 2 });
    expect(await count()).toBe(2);
    const evs = await t.db.select().from(workflowEvents).where(eq(workflowEvents.type, 'evidence.record'));
    expect(evs).toHaveLength(2);
  });

  it('header problems', () => {
    expect(parseEvidenceCsv('case_id,kind\nx,y').errors[0].message).toMatch(/lacks column\(s\) finding, date, result_code, text/);
    expect(parseEvidenceCsv('').errors[0].message).toMatch(/empty/);
  });
});

describe('npx truthline import evidence', () => {
  const ROOT = path.resolve(import.meta.dirname, '..');
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'truthline-ev-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cli = (args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, TRUTHLINE_DATA_DIR: dir };
    delete env.DATABASE_URL;
    delete env.TRUTHLINE_DEMO;
    const r = spawnSync(process.execPath, [path.join(ROOT, 'cli/bin.js'), ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 240_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('all or nothing on the demo; errors name file, line and field; then verify passes', { timeout: 600_000 }, () => {
    expect(cli(['seed']).code).toBe(0);
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'case_id,finding,kind,date,result_code,text\nMG-ACC-001,left,pathology,2025-02-01,malignant,\nMG-ACC-002,left,pathology,yesterday,benign,\n');
    const r1 = cli(['import', 'evidence', '--project', 'mammo-birads', bad]);
    expect(r1.code).toBe(1);
    expect(r1.err).toContain(`${bad}:3: date: use a date like 2024-03-01, got "yesterday"`);
    expect(r1.err).toContain('nothing was imported');
    const good = path.join(dir, 'good.csv');
    fs.writeFileSync(good, 'case_id,finding,kind,date,result_code,text\nMG-ACC-001,left,pathology,2025-02-01,malignant,IDC\nMG-ACC-002,,follow_up,2025-06-01,negative,\n');
    const r2 = cli(['import', 'evidence', '--project', 'mammo-birads', good]);
    expect(r2.err).toBe('');
    expect(r2.out).toMatch(/recorded 2 evidence row\(s\) on 2 case\(s\) of mammo-birads/);
    expect(cli(['import', 'evidence', '--project', 'mammo-birads']).code).toBe(2);
    const v = cli(['verify']);
    expect(v.out).toMatch(/cases replayed in [0-9.]+ s; snapshots, hash chains, queue columns and invariants OK/);
    expect(v.code).toBe(0);
  });
});
