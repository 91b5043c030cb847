/** The operator's CLI as a subprocess, on an embedded database in a scratch folder. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
let dir: string;

function cli(args: string[], env: Record<string, string> = {}) {
  const base: NodeJS.ProcessEnv = { ...process.env, TRUTHLINE_DATA_DIR: dir };
  delete base.DATABASE_URL;
  delete base.TRUTHLINE_DEMO;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'cli/bin.js'), ...args], {
    cwd: ROOT,
    env: { ...base, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'truthline-cli-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('npx truthline', () => {
  it('lists its commands and says which are not available yet', () => {
    const help = cli(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['migrate', 'seed', 'users', 'agreement', 'verify', 'import', 'export', 'release']) expect(help.out).toContain(c);
    const unknown = cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command');
  });

  it('every command answers --help with its usage, exit 0, without opening a database', async () => {
    const { commands } = await import('../cli/main.ts');
    for (const name of Object.keys(commands)) {
      const r = cli([name, '--help'], { TRUTHLINE_DATA_DIR: path.join(dir, 'never-created') });
      expect({ name, code: r.code, err: r.err }).toEqual({ name, code: 0, err: '' });
      expect(r.out, name).toMatch(new RegExp(`usage:.*\\b${name}\\b`, 'i'));
    }
    // The database commands name the database they open.
    for (const name of ['migrate', 'seed', 'import', 'export', 'release', 'verify']) expect(cli([name, '--help']).out, name).toContain('TRUTHLINE_DATA_DIR');
    expect(cli(['release', '--help']).out).toContain('--out DIR');
    expect(fs.existsSync(path.join(dir, 'never-created'))).toBe(false);
  }, 120_000);

  it('seeds, refuses to seed twice without --reset, creates users, and refuses while another process holds the database', { timeout: 300_000 }, async () => {
    const first = cli(['seed']);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toContain('lead@example.org');
    expect(fs.readdirSync(path.join(dir, 'demo-images')).length).toBeGreaterThanOrEqual(45 + 90);

    const again = cli(['seed']);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already has data; use --reset/);

    const reset = cli(['seed', '--reset']);
    expect(reset.code).toBe(0);

    const created = cli(['users', 'create', '--email', 'New.Person@Example.org']);
    expect(created.code).toBe(0);
    expect(created.out).toMatch(/created new\.person@example\.org\none-time password .*: [a-z2-9-]{19}\n/);
    const dup = cli(['users', 'create', '--email', 'new.person@example.org']);
    expect(dup.code).toBe(1);
    expect(dup.err).toContain('already exists');
    expect(cli(['users', 'create']).code).toBe(2);

    // A live process holding the lock (as the server does) makes every database command refuse.
    fs.writeFileSync(path.join(dir, 'truthline.pid'), '');
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      fs.writeFileSync(path.join(dir, 'truthline.pid'), String(holder.pid));
      const locked = cli(['seed', '--reset']);
      expect(locked.code).toBe(1);
      expect(locked.err).toMatch(/stop the server or set DATABASE_URL/);
    } finally {
      holder.kill();
    }
    // A stale lock (dead pid) is taken over.
    await new Promise((r) => holder.once('exit', r));
    expect(cli(['migrate']).code).toBe(0);
  });

  it('refuses to seed a real server unless asked to', () => {
    const r = cli(['seed'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/TRUTHLINE_DEMO=1/);
  });

  it('names DATABASE_URL when it is malformed', () => {
    const r = cli(['migrate'], { DATABASE_URL: 'mysql://x/y' });
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/DATABASE_URL must start with postgres/);
  });
});
