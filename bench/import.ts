/**
 * `npm run bench:import` — case import through the job queue on PostgreSQL, over HTTP as the
 * lead does it: upload a generated manifest of BENCH_CASES rows (default 100,000), the check
 * job, then the import job; meanwhile one client requests GET /login in a loop. Prints the
 * import rate (cases/s, from the job's start and end) and /login latency during the import,
 * against /login measured in the same run with the server idle. Never run in tests.
 *
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/h17_bench) is dropped and
 * created. The last line is one JSON object.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { eq, sql } from 'drizzle-orm';
import { openDatabase } from '../db/client.ts';
import { cases, projectMembers, projects, projectVersions, users } from '../db/schema.ts';
import { hashPassword } from '../db/password.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env.BENCH_CASES ?? 100_000);
const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/h17_bench';
const PASSWORD = 'bench-password-123';

function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}
const summary = (xs: number[]) => ({
  n: xs.length,
  p50: +quantile(xs, 0.5).toFixed(1),
  p95: +quantile(xs, 0.95).toFixed(1),
  p99: +quantile(xs, 0.99).toFixed(1),
  max: +Math.max(...xs).toFixed(1),
});

async function freshDatabase(): Promise<void> {
  const url = new URL(DB_URL);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = postgres(url.toString(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  await admin.end();
}

async function setUp(): Promise<string> {
  const h = await openDatabase({ url: DB_URL, max: 2 });
  await h.migrate();
  await h.db.insert(users).values({ id: 'bench-lead', email: 'lead@bench.example', name: 'Bench lead', passwordHash: await hashPassword(PASSWORD) });
  const [p] = await h.db.insert(projects).values({ slug: 'bench-import', name: 'Import bench', ownerId: 'bench-lead' }).returning({ id: projects.id });
  await h.db.insert(projectVersions).values({
    projectId: p.id,
    version: 1,
    readerForm: { fields: [{ key: 'pneumothorax', label: 'Pneumothorax present?', kind: 'binary' }] },
    referenceStandard: { level: 'case', outcome: { key: 'pneumothorax', label: 'Pneumothorax' }, source: 'panel', panelField: 'pneumothorax' },
    mapping: {},
    truthPolicy: { readersPerCase: 2 },
    createdBy: 'bench-lead',
  });
  await h.db.insert(projectMembers).values({ projectId: p.id, userId: 'bench-lead', role: 'lead' });
  await h.close();
  return p.id;
}

let serverLog = '';
async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const buildDir = path.join(ROOT, '.cache', 'bench-build');
  if (!fs.existsSync(path.join(buildDir, 'index.js')) || process.env.BENCH_REBUILD === '1') {
    const b = spawnSync('npx', ['remix', 'build'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production', TRUTHLINE_BUILD_DIR: buildDir } });
    if (b.status !== 0) throw new Error(`remix build failed: ${b.stderr}`);
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    TRUTHLINE_BUILD_DIR: buildDir,
    PORT: process.env.BENCH_PORT ?? '0',
    HOST: '127.0.0.1',
    DATABASE_URL: DB_URL,
    JOBS_INTERVAL_MS: '500',
    MAX_BODY_BYTES: String(64 * 1024 * 1024),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (b: Buffer) => {
      log += b.toString();
      serverLog = log.slice(-4000);
      const m = log.match(/listening on (http:\/\/[^\s]+)/);
      if (m) resolve(m[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${log}`)));
  });
  return { url, child };
}

function manifest(n: number): string {
  const lines = ['case_id,patient_id,study_date,modality,body_part,split,images,site'];
  for (let i = 0; i < n; i++) lines.push(`B${i},P${i >> 1},2024-0${(i % 9) + 1}-1${i % 10},CR,CHEST,,/img/${i}.png,S${i % 5}`);
  return `${lines.join('\n')}\n`;
}

async function main() {
  await freshDatabase();
  await setUp();
  const { url, child } = await startServer();
  try {
    const login = await fetch(`${url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: url },
      body: new URLSearchParams({ email: 'lead@bench.example', password: PASSWORD, redirectTo: '/' }),
    });
    const cookie = (login.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
    if (!cookie) throw new Error(`sign-in failed: ${login.status}`);
    const base = `${url}/projects/bench-import`;

    const timeLogin = async () => {
      const t = performance.now();
      const r = await fetch(`${url}/login`);
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`/login answered ${r.status}`);
      return performance.now() - t;
    };
    for (let i = 0; i < 20; i++) await timeLogin();
    const idle: number[] = [];
    for (let i = 0; i < 200; i++) idle.push(await timeLogin());

    const post = async (form: FormData) => {
      const r = await fetch(`${base}/cases/import`, { method: 'POST', body: form, redirect: 'manual', headers: { Cookie: cookie, Origin: url } });
      const loc = r.headers.get('location');
      if (r.status !== 302 || !loc) throw new Error(`import form answered ${r.status}: ${(await r.text()).slice(0, 300)}`);
      return new URL(loc, url).searchParams.get('job')!;
    };
    type Job = {
      status: string;
      done: number;
      total: number | null;
      startedAt: string;
      finishedAt: string | null;
      finished: boolean;
      error: string | null;
      result: { total: number; problemCount: number };
    };
    const loginErrors: string[] = [];
    const waitJob = async (id: string, during: number[]) => {
      let done = false;
      const pinger = (async () => {
        while (!done) {
          try {
            during.push(await timeLogin());
          } catch (e) {
            loginErrors.push(String((e as Error).cause ?? e));
            await new Promise((res) => setTimeout(res, 100));
          }
        }
      })();
      let job: Job;
      for (;;) {
        const r = await fetch(`${base}/jobs/${id}`, { headers: { Cookie: cookie } });
        job = ((await r.json()) as { job: Job }).job;
        if (job.finished) break;
        await new Promise((res) => setTimeout(res, 250));
      }
      done = true;
      await pinger;
      return job;
    };

    const text = manifest(N);
    const upload = new FormData();
    upload.set('intent', 'preview');
    upload.set('format', 'auto');
    upload.set('ratio', '70/10/20');
    upload.set('assign', 'on');
    upload.set('file', new Blob([text], { type: 'text/csv' }), 'bench.csv');
    const tUp = performance.now();
    const checkId = await post(upload);
    const uploadMs = performance.now() - tUp;
    const duringCheck: number[] = [];
    const check = await waitJob(checkId, duringCheck);
    if (check.status !== 'succeeded') throw new Error(`check job ${check.status}: ${check.error}`);
    const go = new FormData();
    go.set('intent', 'import');
    go.set('check', checkId);
    const importId = await post(go);
    const duringImport: number[] = [];
    const imported = await waitJob(importId, duringImport);
    if (imported.status !== 'succeeded') throw new Error(`import job ${imported.status}: ${imported.error}`);

    const h = await openDatabase({ url: DB_URL, max: 1 });
    const [{ n }] = (await h.db
      .select({ n: sql<number>`count(*)::int` })
      .from(cases)
      .innerJoin(projects, eq(projects.id, cases.projectId))
      .where(eq(projects.slug, 'bench-import'))) as { n: number }[];
    await h.close();
    const secs = (j: Job) => (Date.parse(j.finishedAt!) - Date.parse(j.startedAt)) / 1000;
    const out = {
      bench: 'import',
      database: 'postgresql',
      cases: N,
      stored: n,
      fileBytes: Buffer.byteLength(text),
      uploadSeconds: +(uploadMs / 1000).toFixed(2),
      checkSeconds: +secs(check).toFixed(2),
      importSeconds: +secs(imported).toFixed(2),
      casesPerSecond: Math.round(N / secs(imported)),
      casesPerSecondCheckAndImport: Math.round(N / (secs(check) + secs(imported))),
      loginIdleMs: summary(idle),
      loginDuringCheckMs: summary(duringCheck),
      loginDuringImportMs: summary(duringImport),
      loginErrors: loginErrors.length,
      p99RatioImportToIdle: +(quantile(duringImport, 0.99) / quantile(idle, 0.99)).toFixed(1),
    };
    if (loginErrors.length) process.stderr.write(`login errors: ${loginErrors.slice(0, 5).join('; ')}\nserver log (end):\n${serverLog}\n`);
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((e) => {
  process.stderr.write(`bench:import failed: ${e instanceof Error ? e.stack : String(e)}\nserver log (end):\n${serverLog}\n`);
  process.exit(1);
});
