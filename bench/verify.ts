/**
 * `npx tsx bench/verify.ts` — `verify` time on PostgreSQL, 1 job against N jobs (worker threads
 * over ranges of case ids), on the same freshly loaded project (bench/seed.ts, BENCH_CASES,
 * default 100,000), in the same run. Then one stored snapshot is tampered with and both runs must
 * report the same first difference for it. Prints one JSON line.
 *
 * Env: BENCH_CASES (100000), BENCH_JOBS (2), BENCH_DB (tl_h19_verify).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../db/client.ts';
import { installDb } from '../db/index.ts';
import { verifyAllCases } from '../workflows/verify.ts';
import { verifyInWorkers } from '../workflows/verify-workers.ts';
import { freshDatabase, PG, seedBenchProject } from './seed.ts';

const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const JOBS = Number(process.env.BENCH_JOBS ?? 2);
const DB = process.env.BENCH_DB ?? 'tl_h19_verify';
const log = (m: string) => process.stderr.write(`bench:verify: ${m}\n`);

async function main() {
  await freshDatabase(DB);
  const url = `${PG}/${DB}`;
  const h = await openDatabase({ url, max: 4 });
  installDb(h);
  await h.migrate();
  const p = await seedBenchProject(h, { cases: CASES, readers: 2, log });
  log(`loaded ${CASES} cases in ${(p.loadMs / 1000).toFixed(1)} s`);
  // One tampered case: both runs must name it with the same first difference.
  await h.db.execute(
    sql`update case_workflows set snapshot = jsonb_set(snapshot, '{context,round}', '7') where case_id = (select case_id from case_workflows order by case_id offset ${Math.floor(CASES / 2)} limit 1)`,
  );
  const runs: { jobs: number; seconds: number; cases_per_s: number; load_avg_1m: number; failures: string[] }[] = [];
  for (const jobs of [1, JOBS]) {
    const load = os.loadavg()[0];
    const t = performance.now();
    // A run with 1 job is the in-process verify (one thread, its batches on 2 connections).
    const r = jobs === 1 ? await verifyAllCases({ db: h.db, concurrency: 2 }) : await verifyInWorkers({ url, jobs, concurrency: 2 });
    const s = (performance.now() - t) / 1000;
    runs.push({
      jobs,
      seconds: Math.round(s * 10) / 10,
      cases_per_s: Math.round(r.checked / s),
      load_avg_1m: Math.round(load * 10) / 10,
      failures: r.failures.map((f) => `${f.caseId}: ${f.problems.join('; ')}`),
    });
    if (r.checked !== CASES) throw new Error(`checked ${r.checked} of ${CASES}`);
    log(`${jobs} job(s): ${s.toFixed(1)} s`);
  }
  await h.close();
  const same = runs.every((r) => r.failures.join('\n') === runs[0].failures.join('\n')) && runs[0].failures.length === 1;
  process.stdout.write(
    `${JSON.stringify({
      bench: 'verify',
      cases: CASES,
      cores: os.cpus().length,
      note: 'every case holds its start event only; the machine is shared by 8 engineers',
      runs: runs.map(({ failures, ...r }) => r),
      speedup: Math.round((runs[0].seconds / runs[1].seconds) * 100) / 100,
      same_failures: same,
      failure: runs[0].failures[0] ?? null,
    })}\n`,
  );
  if (!same) process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`bench:verify failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
