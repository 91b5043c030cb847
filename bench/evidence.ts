/**
 * `npx tsx bench/evidence.ts` — evidence import through the job (check, then record in chunks) on
 * the embedded database (default, in a temporary folder) or PostgreSQL (BENCH_DATABASE_URL, dropped
 * and created). BENCH_ROWS results (default 20,000) over BENCH_CASES cases (default 2,000); meanwhile
 * one client calls the /login loader plus a user lookup (a signed-in request's first query) in a
 * loop in the same process. Prints results/s and /login
 * latency during the import against /login measured idle in the same run, and the load average.
 * Never run in tests. The last line is one JSON object.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { eq, inArray } from 'drizzle-orm';
import { openDatabase } from '../db/client.ts';
import { installDb } from '../db/index.ts';
import { cases, users } from '../db/schema.ts';
import { buildProject } from '../test/fixtures/workflow.ts';
import { BASE, invoke } from '../test/fixtures/app.ts';
import { mammographyDefinition } from '../seed/demo-projects.ts';
import { startEvidenceJob } from '../app/models/evidence-import.server.ts';
import { getJob, runJobNow } from '../jobs/runner.ts';
import * as login from '../app/routes/login.tsx';

const ROWS = Number(process.env.BENCH_ROWS ?? 20_000);
const CASES = Number(process.env.BENCH_CASES ?? 2_000);
const URL_ = process.env.BENCH_DATABASE_URL;

const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.max(0, Math.ceil(p * xs.length) - 1))] ?? NaN;
const summary = (xs: number[]) => ({ n: xs.length, p50: +q(xs, 0.5).toFixed(1), p99: +q(xs, 0.99).toFixed(1), max: +Math.max(...xs).toFixed(1) });

async function main() {
  let dir: string | null = null;
  if (URL_) {
    const u = new URL(URL_);
    const name = u.pathname.slice(1);
    u.pathname = '/postgres';
    const admin = postgres(u.toString(), { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
    await admin.end();
  } else dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-evid-bench-'));
  const h = await openDatabase(URL_ ? { url: URL_ } : { dataDir: dir! });
  await h.migrate();
  installDb(h);
  const f = await buildProject(h.db, { definition: mammographyDefinition, cases: CASES });
  const refs = (await h.db.select({ e: cases.externalId }).from(cases).where(inArray(cases.id, f.caseIds))).map((r) => r.e!);
  const csv = ['case_id,finding,kind,date,result_code,text', ...Array.from({ length: ROWS }, (_, i) => `${refs[i % refs.length]},,report,2024-03-01,,bench note ${i}`)].join('\n');

  const loginOnce = async () => {
    const t0 = performance.now();
    const r = await invoke(login.loader as never, new Request(`${BASE}/login`), {});
    if (r.status !== 200) throw new Error(`/login answered ${r.status}`);
    // The loader needs no database without a session; a signed-in request's first query does.
    await h.db.select({ id: users.id }).from(users).where(eq(users.id, f.lead));
    return performance.now() - t0;
  };
  const idle: number[] = [];
  for (let i = 0; i < 200; i++) idle.push(await loginOnce());

  const job = await startEvidenceJob({ projectId: f.projectId, source: [csv], actorId: f.lead, dryRun: false, db: h.db });
  const during: number[] = [];
  let running = true;
  const load0 = os.loadavg()[0];
  const t0 = performance.now();
  const run = runJobNow({ jobId: job.id, db: h.db }).finally(() => {
    running = false;
  });
  const client = (async () => {
    while (running) {
      during.push(await loginOnce());
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const { job: done, error } = await run;
  const seconds = (performance.now() - t0) / 1000;
  await client;
  if (done.status !== 'succeeded') throw error ?? new Error(`job ${done.status}: ${done.error}`);
  const row = await getJob({ jobId: job.id, db: h.db });
  const out = {
    database: h.kind,
    rows: ROWS,
    cases: CASES,
    recorded: (row?.result as { recorded?: number } | undefined)?.recorded,
    seconds: +seconds.toFixed(1),
    resultsPerSecond: Math.round(ROWS / seconds),
    loginIdleMs: summary(idle),
    loginDuringImportMs: summary(during),
    p99RatioImportToIdle: +(q(during, 0.99) / q(idle, 0.99)).toFixed(1),
    loadavgBefore: +load0.toFixed(2),
    loadavgAfter: +os.loadavg()[0].toFixed(2),
  };
  console.log(JSON.stringify(out));
  await h.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
await main();
