/**
 * `npm run bench:load` — readers at scale against PostgreSQL, with PostgreSQL's own ceiling
 * (`pgbench -N`) measured in the same run. Never run in tests.
 *
 * 1. Loads a project of BENCH_CASES cases (default 100,000) straight into a fresh database
 *    (bench/seed.ts: the import's start template from workflows/start-rows.ts filled in by SQL
 *    over generate_series, hashes by PostgreSQL's sha256, so `verify` passes on every loaded
 *    case), plus readers with API tokens and sessions.
 * 2. For each count in BENCH_INSTANCES (default 1; e.g. 1,2): starts that many app servers on
 *    the built app (`remix build`), one port each, all on the same database; readers are dealt
 *    to them in turn (API and page readers alike), and steps 3 run against them.
 * 3. For each concurrency in BENCH_CONCURRENCY (default 8,32,128,512): that many virtual
 *    readers loop next case → submit read for BENCH_SECONDS (default 10) over HTTP; even
 *    readers use the API (POST next-case, POST reads), odd readers the pages (POST /read →
 *    GET the case page → POST the read form). Then `pgbench -N` for as long at the same client
 *    count, capped by what max_connections leaves free (said so in the output).
 * 4. Checks the stored data (acknowledged = stored reads, no over-read case, no duplicate
 *    read) and times `verify` on the cases the run touched (BENCH_FULL_VERIFY=1: all cases).
 * The last line printed is one JSON object with every figure.
 *
 * Env: BENCH_PG (default postgres://postgres@127.0.0.1:5432), BENCH_DB (tl_h19_bench).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../db/client.ts';
import { installDb } from '../db/index.ts';
import { verifyAllCases } from '../workflows/verify.ts';
import { freshDatabase, PG, seedBenchProject } from './seed.ts';
import { machineCpu, postgresCpuMs, processCpuMs } from './proc-cpu.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DB = process.env.BENCH_DB ?? 'tl_h19_bench';
const PGBENCH_DB = `${DB}_pgbench`;
const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const LEVELS = (process.env.BENCH_CONCURRENCY ?? '8,32,128,512').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** App instance counts to run, one after another on the same database (e.g. `1,2`). */
const INSTANCE_COUNTS = (process.env.BENCH_INSTANCES ?? '1').split(',').map(Number);
const POOL = Number(process.env.BENCH_POOL ?? 20);
const K = 2;
/** This engineer's port range on the shared machine (31190–31199). */
const PORT = Number(process.env.BENCH_PORT ?? 31190);
const READERS = Math.max(...LEVELS);
const log = (m: string) => process.stderr.write(`bench:load: ${m}\n`);

const rowsOf = <T>(r: unknown): T[] => ((r as { rows?: T[] }).rows ?? (r as T[])) as T[];

type Sample = { next: number[]; page: number[]; submit: number[]; errors: Record<string, number>; acknowledged: number; reads: number };

function pct(xs: number[], p: number): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10;
}

/** One virtual reader's loop until `until`. */
async function reader(i: number, base: string, slug: string, token: string, session: string, until: number, out: Sample) {
  const api = i % 2 === 0;
  const err = (k: string) => (out.errors[k] = (out.errors[k] ?? 0) + 1);
  const timed = async (bucket: number[], f: () => Promise<Response>) => {
    const t = performance.now();
    const r = await f();
    const body = await r.text();
    bucket.push(performance.now() - t);
    return { r, body };
  };
  while (Date.now() < until) {
    try {
      if (api) {
        const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
        const n = await timed(out.next, () => fetch(`${base}/api/v1/projects/${slug}/next-case`, { method: 'POST', headers: auth }));
        if (n.r.status !== 200) {
          err(`next ${n.r.status}`);
          continue;
        }
        const caseId = (JSON.parse(n.body) as { case: { id: string } | null }).case?.id;
        if (!caseId) {
          err('next: nothing left');
          return;
        }
        const s = await timed(out.submit, () =>
          fetch(`${base}/api/v1/projects/${slug}/cases/${caseId}/reads`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify({ client_request_id: randomUUID(), values: { pneumothorax: Math.random() < 0.5 } }),
          }),
        );
        if (s.r.status === 201) out.acknowledged++;
        else err(`submit ${s.r.status}`);
      } else {
        const headers = { cookie: `truthline_session=${session}`, origin: base };
        const n = await timed(out.next, () =>
          fetch(`${base}/projects/${slug}/read`, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' }),
        );
        const loc = n.r.headers.get('location') ?? '';
        const m = /\/read\/([0-9a-f-]{36})/.exec(loc);
        if (n.r.status !== 302 || !m) {
          err(n.r.status === 302 ? 'next: nothing left' : `next ${n.r.status}`);
          if (n.r.status === 302) return;
          continue;
        }
        const pg = await timed(out.page, () => fetch(`${base}${loc}`, { headers }));
        if (pg.r.status !== 200) {
          err(`page ${pg.r.status}`);
          continue;
        }
        const form = new URLSearchParams({
          intent: 'read',
          clientRequestId: randomUUID(),
          openedAt: String(Date.now()),
          'item:pneumothorax': String(Math.random() < 0.5),
          next: '0',
        });
        const s = await timed(out.submit, () =>
          fetch(`${base}${loc}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(), redirect: 'manual' }),
        );
        if (s.r.status === 302) out.acknowledged++;
        else err(`submit ${s.r.status}`);
      }
      out.reads++;
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      err(`network ${cause?.code ?? cause?.message?.slice(0, 40) ?? (e as Error).message.slice(0, 40)}`);
    }
  }
}

type Server = { port: number; child: ChildProcess; peakRss: () => number; stop: () => Promise<void> };

/**
 * Samples what this database's backends are doing (pg_stat_activity every 100 ms): how many are
 * running, waiting on a lock (which), on I/O or the WAL flush, or idle in a transaction (waiting
 * for the app). Returns counts per state, so where a read's time goes is visible whatever the load.
 */
function sampleActivity(admin: postgres.Sql, db: string): { stop: () => Promise<Record<string, number>> } {
  const counts: Record<string, number> = {};
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await admin`select state, wait_event_type, wait_event from pg_stat_activity where datname = ${db} and pid <> pg_backend_pid()`;
      for (const r of rows) {
        const k = r.state === 'active' ? (r.wait_event_type ? `active: ${r.wait_event_type}/${r.wait_event}` : 'active: on CPU') : String(r.state);
        counts[k] = (counts[k] ?? 0) + 1;
      }
      counts.samples = (counts.samples ?? 0) + 1;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return counts;
    },
  };
}

function startServer(port: number, url: string): Promise<Server> {
  const prof = process.env.BENCH_CPU_PROF ? [`--cpu-prof`, `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', 'server.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url, PORT: String(port), NODE_ENV: 'production', DATABASE_POOL_MAX: String(POOL), SCHEDULER_INTERVAL_MS: '600000', TRUTHLINE_DEMO: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch {
      /* exited */
    }
  }, 200);
  let errText = '';
  child.stderr!.on('data', (d) => (errText += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (/listening on/.test(String(d)))
        resolve({
          port,
          child,
          peakRss: () => peak,
          stop: () =>
            new Promise((r) => {
              clearInterval(timer);
              child.once('exit', () => r());
              child.kill('SIGTERM');
            }),
        });
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${errText.slice(-400)}`)));
  });
}

function pgbench(clients: number, seconds: number): number {
  const out = execFileSync('pgbench', ['-h', '127.0.0.1', '-U', 'postgres', '-N', '-n', '-c', String(clients), '-j', '2', '-T', String(seconds), PGBENCH_DB], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const m = /tps = ([\d.]+) \((?:without initial connection time|excluding connections establishing)\)/.exec(out);
  return m ? Number(m[1]) : NaN;
}

let warmupReads = 0;

async function main() {
  const started = performance.now();
  const loadAtStart = os.loadavg()[0];
  log(`${CASES} cases, readers per case ${K}, concurrency ${LEVELS.join('/')}, ${SECONDS} s per level, ${INSTANCE_COUNTS.join(' then ')} app instance(s), pool ${POOL} each`);
  if (!fs.existsSync(path.join(ROOT, 'build/index.js')) || process.env.BENCH_BUILD === '1') {
    log('building the app (remix build)…');
    execFileSync('npx', ['remix', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  await freshDatabase(DB);
  const url = `${PG}/${DB}`;
  const h = await openDatabase({ url, max: 4 });
  installDb(h);
  await h.migrate();
  const loaded = await seedBenchProject(h, { cases: CASES, readers: READERS, readersPerCase: K, log });
  log(`bulk load: ${(loaded.loadMs / 1000).toFixed(1)} s`);

  await freshDatabase(PGBENCH_DB);
  execFileSync('pgbench', ['-h', '127.0.0.1', '-U', 'postgres', '-i', '-q', '-s', '1', PGBENCH_DB], { stdio: 'ignore' });
  const admin = postgres(`${PG}/postgres`, { max: 1, onnotice: () => {} });
  const [{ max_connections }] = await admin`select current_setting('max_connections')::int as max_connections`;

  const levels = [];
  const peakRss: Record<string, number[]> = {};
  for (const instances of INSTANCE_COUNTS) {
    const servers: Server[] = [];
    for (let i = 0; i < instances; i++) servers.push(await startServer(PORT + i, url));

    // Warm-up, not measured: the first requests load route modules and warm the JIT.
    const WARMUP = Number(process.env.BENCH_WARMUP_S ?? 5);
    if (WARMUP > 0) {
      const junk: Sample = { next: [], page: [], submit: [], errors: {}, acknowledged: 0, reads: 0 };
      const until = Date.now() + WARMUP * 1000;
      await Promise.all(Array.from({ length: 4 }, (_, i) => reader(i, serverBase(servers, i), loaded.slug, loaded.tokens[i], loaded.sessionIds[i], until, junk)));
      warmupReads += junk.acknowledged;
    }
    for (const c of LEVELS) {
      const cpu0 = servers.reduce((s, x) => s + processCpuMs(x.child.pid), 0);
      const pg0 = postgresCpuMs();
      const gen0 = process.cpuUsage();
      const m0 = machineCpu();
      const [x0] = await admin`select xact_commit + xact_rollback as xacts, tup_inserted, tup_updated, tup_deleted, blk_read_time from pg_stat_database where datname = ${DB}`;
      const activity = sampleActivity(admin, DB);
      const load = os.loadavg()[0];
      const sample: Sample = { next: [], page: [], submit: [], errors: {}, acknowledged: 0, reads: 0 };
      const until = Date.now() + SECONDS * 1000;
      const t = performance.now();
      await Promise.all(Array.from({ length: c }, (_, i) => reader(i, serverBase(servers, i), loaded.slug, loaded.tokens[i], loaded.sessionIds[i], until, sample)));
      const secs = (performance.now() - t) / 1000;
      const cpu = servers.reduce((s, x) => s + processCpuMs(x.child.pid), 0) - cpu0;
      const pgCpu = postgresCpuMs() - pg0;
      const gen = process.cpuUsage(gen0);
      const m1 = machineCpu();
      const waits = await activity.stop();
      await new Promise((r) => setTimeout(r, 600)); // pg_stat_database is flushed by backends at most every 500 ms
      const [x1] = await admin`select xact_commit + xact_rollback as xacts, tup_inserted, tup_updated, tup_deleted from pg_stat_database where datname = ${DB}`;
      const per = (n: number) => (sample.acknowledged ? Math.round((n / sample.acknowledged) * 10) / 10 : null);
      const { samples = 1, ...states } = waits;
      const [{ used }] = await admin`select count(*)::int as used from pg_stat_activity`;
      const free = Math.max(1, max_connections - used - 5);
      const clients = Math.min(c, free);
      const tps = pgbench(clients, SECONDS);
      const readsPerS = sample.acknowledged / secs;
      levels.push({
        instances,
        concurrency: c,
        reads_per_s: Math.round(readsPerS * 10) / 10,
        next_case_ms: { p50: pct(sample.next, 50), p95: pct(sample.next, 95), p99: pct(sample.next, 99), n: sample.next.length },
        page_ms: { p50: pct(sample.page, 50), p95: pct(sample.page, 95), p99: pct(sample.page, 99), n: sample.page.length },
        submit_ms: { p50: pct(sample.submit, 50), p95: pct(sample.submit, 95), p99: pct(sample.submit, 99), n: sample.submit.length },
        errors: sample.errors,
        acknowledged: sample.acknowledged,
        pgbench: { clients, capped: clients < c ? `capped at ${clients}: max_connections ${max_connections}, ${used} in use on this shared server` : null, tps: Math.round(tps) },
        ratio_to_pgbench: Math.round((readsPerS / tps) * 1000) / 1000,
        server_cpu_ms_per_read: sample.acknowledged ? Math.round(cpu / sample.acknowledged) : null,
        // Machine-load-independent cost of one read (next case + page + submit), by process.
        per_read: {
          app_cpu_ms: per(cpu),
          postgres_cpu_ms: per(pgCpu),
          load_generator_cpu_ms: per((gen.user + gen.system) / 1000),
          transactions: per(Number(x1.xacts) - Number(x0.xacts)),
          rows_written: per(Number(x1.tup_inserted) + Number(x1.tup_updated) + Number(x1.tup_deleted) - Number(x0.tup_inserted) - Number(x0.tup_updated) - Number(x0.tup_deleted)),
        },
        machine_busy_pct: Math.round(((m1.busy - m0.busy) / (m1.total - m0.total)) * 1000) / 10,
        // Mean number of this database's backends in each state over the level (sampled every 100 ms).
        backends: Object.fromEntries(Object.entries(states).map(([k, v]) => [k, Math.round((v / samples) * 100) / 100])),
        machine_load_avg_1m: Math.round(load * 10) / 10,
      });
      log(
        `${instances} instance(s), c=${c}: ${readsPerS.toFixed(1)} reads/s, next p50 ${pct(sample.next, 50)} ms p99 ${pct(sample.next, 99)} ms; pgbench ${clients} clients ${Math.round(tps)} tps`,
      );
    }
    peakRss[instances] = servers.map((s) => Math.round(s.peakRss() / 1048576));
    for (const s of servers) await s.stop();
  }

  // What was stored.
  const db = h.db;
  const [stored] = rowsOf<{ n: number }>(
    await db.execute(sql`select count(*)::int as n from reads r join cases c on c.id = r.case_id where c.project_id = ${loaded.projectId} and r.source = 'reader'`),
  );
  const [over] = rowsOf<{ n: number }>(
    await db.execute(
      sql`select count(*)::int as n from (select r.case_id from reads r join cases c on c.id = r.case_id where c.project_id = ${loaded.projectId} and r.values is not null and r.supersedes_id is null group by r.case_id having count(*) > ${K}) x`,
    ),
  );
  const [dups] = rowsOf<{ n: number }>(
    await db.execute(
      sql`select count(*)::int as n from (select r.case_id, r.author_id from reads r join cases c on c.id = r.case_id where c.project_id = ${loaded.projectId} and r.source = 'reader' group by 1, 2 having count(*) > 1) x`,
    ),
  );
  const [twoCurrent] = rowsOf<{ n: number }>(
    await db.execute(
      sql`select count(*)::int as n from (select user_id from assignments where project_id = ${loaded.projectId} and status = 'open' and role = 'reader' group by user_id, slot having count(*) > 1) x`,
    ),
  );
  const touched = rowsOf<{ id: string }>(
    await db.execute(sql`select distinct r.case_id as id from reads r join cases c on c.id = r.case_id where c.project_id = ${loaded.projectId}`),
  ).map((r) => r.id);
  const tv = performance.now();
  const full = process.env.BENCH_FULL_VERIFY === '1';
  const v = await verifyAllCases({ db, caseIds: full ? undefined : touched, concurrency: 4 });
  const verifyMs = performance.now() - tv;
  const acknowledged = levels.reduce((s, l) => s + l.acknowledged, 0) + warmupReads;
  await admin.end();
  await h.close();

  const result = {
    bench: 'load',
    postgres: 'PostgreSQL 15 on 127.0.0.1 (shared by 8 engineers, 2 cores)',
    machine: { cores: os.cpus().length, load_avg_1m_at_start: Math.round(loadAtStart * 10) / 10 },
    cases: CASES,
    scale_note:
      CASES < 1_000_000
        ? `the 1,000,000-case project was not run: ${process.env.BENCH_SCALE_NOTE ?? 'this 2-core machine is shared by 8 engineers; run with BENCH_CASES=1000000'}`
        : null,
    readers_per_case: K,
    seconds_per_level: SECONDS,
    instances: INSTANCE_COUNTS,
    pool_per_instance: POOL,
    bulk_load_s: Math.round(loaded.loadMs / 100) / 10,
    levels,
    // Per instance count: each server's peak resident set.
    server_peak_rss_mb: peakRss,
    after: {
      acknowledged,
      stored_reads: stored.n,
      over_read_cases: over.n,
      duplicate_reads: dups.n,
      readers_with_two_open_in_a_slot: twoCurrent.n,
      verify: {
        cases: v.checked,
        failures: v.failures.length,
        seconds: Math.round(verifyMs / 100) / 10,
        cases_per_s: Math.round(v.checked / (verifyMs / 1000)),
        scope: full ? 'all cases' : 'cases touched by the run',
      },
    },
    total_s: Math.round((performance.now() - started) / 1000),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function serverBase(servers: Server[], i: number): string {
  // Readers alternate API / pages (even / odd): dealt in pairs, so each server gets both kinds.
  return `http://127.0.0.1:${servers[Math.floor(i / 2) % servers.length].port}`;
}

main().catch((e) => {
  process.stderr.write(`bench:load failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
