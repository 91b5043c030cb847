/**
 * `npm run bench:load` — readers at scale against PostgreSQL, with PostgreSQL's own ceiling
 * (`pgbench -N`) measured in the same run. Never run in tests.
 *
 * 1. Bulk-loads a project of BENCH_CASES cases (default 100,000) straight into a fresh
 *    database with SQL (generate_series; each start event is the real runtime's first event
 *    for a template case with the case id substituted, hashes computed by PostgreSQL's sha256,
 *    so `verify` passes on every loaded case), plus 512 readers with API tokens and sessions.
 * 2. Starts BENCH_INSTANCES app servers (default 1) on the built app (`remix build`).
 * 3. For each concurrency in BENCH_CONCURRENCY (default 8,32,128,512): that many virtual
 *    readers loop next case → submit read for BENCH_SECONDS (default 10) over HTTP; even
 *    readers use the API (POST next-case, POST reads), odd readers the pages (POST /read →
 *    GET the case page → POST the read form). Then `pgbench -N` for as long at the same client
 *    count, capped by what max_connections leaves free (said so in the output).
 * 4. Checks the stored data (acknowledged = stored reads, no over-read case, no duplicate
 *    read) and times `verify` on the cases the run touched (BENCH_FULL_VERIFY=1: all cases).
 * The last line printed is one JSON object with every figure.
 *
 * Env: BENCH_PG (default postgres://postgres@127.0.0.1:5432), BENCH_DB (h19_bench).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { eq, sql } from 'drizzle-orm';
import { openDatabase, type DbHandle } from '../db/client.ts';
import { cases, caseWorkflows, patients, projectMembers, projects, projectVersions, users, workflowEvents } from '../db/schema.ts';
import { installDb } from '../db/index.ts';
import { canonicalJson } from '../workflows/canonical-json.ts';
import { projectDefinitionSchema } from '../workflows/definition.ts';
import { startCaseWorkflow } from '../workflows/runtime.ts';
import { verifyAllCases } from '../workflows/verify.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PG = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';
const DB = process.env.BENCH_DB ?? 'h19_bench';
const PGBENCH_DB = `${DB}_pgbench`;
const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const LEVELS = (process.env.BENCH_CONCURRENCY ?? '8,32,128,512').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 1);
const POOL = Number(process.env.BENCH_POOL ?? 20);
const K = 2;
const READERS = Math.max(...LEVELS);
const log = (m: string) => process.stderr.write(`bench:load: ${m}\n`);

const definition = projectDefinitionSchema.parse({
  readerForm: { fields: [{ key: 'pneumothorax', label: 'Pneumothorax present?', kind: 'binary' }] },
  referenceStandard: { level: 'case', outcome: { key: 'pneumothorax', label: 'Pneumothorax' }, source: 'panel', panelField: 'pneumothorax' },
  mapping: {},
  truthPolicy: { readersPerCase: K, assignmentExpiryHours: 1 },
});

const rowsOf = <T>(r: unknown): T[] => ((r as { rows?: T[] }).rows ?? (r as T[])) as T[];

async function freshDatabase(name: string) {
  const admin = postgres(`${PG}/postgres`, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  await admin.end();
}

/** Users, project, the template case through the real runtime, then every other case by SQL. */
async function bulkLoad(h: DbHandle): Promise<{ projectId: string; slug: string; tokens: string[]; sessionIds: string[]; loadMs: number }> {
  const t0 = performance.now();
  const db = h.db;
  const slug = 'bench-load';
  await db.insert(users).values({ id: 'bench-lead', email: 'lead@bench.test', name: 'Lead', passwordHash: 'x' });
  const [p] = await db.insert(projects).values({ slug, name: 'Load benchmark', ownerId: 'bench-lead' }).returning({ id: projects.id });
  await db.insert(projectVersions).values({ projectId: p.id, version: 1, ...definition, createdBy: 'bench-lead' });
  await db.insert(projectMembers).values({ projectId: p.id, userId: 'bench-lead', role: 'lead' });
  // Readers, each with an API token and a signed-in session (rows as the app writes them).
  const tokens: string[] = [];
  const sessionIds: string[] = [];
  for (let i = 0; i < READERS; i++) {
    tokens.push(`tl_${randomBytes(32).toString('base64url')}`);
    sessionIds.push(randomBytes(20).toString('hex'));
  }
  const ids = tokens.map((_, i) => `bench-r${i}`);
  await db.execute(
    sql`insert into users (id, email, name, password_hash) select 'bench-r' || g, 'r' || g || '@bench.test', 'Reader ' || g, 'x' from generate_series(0, ${READERS - 1}) g`,
  );
  await db.execute(sql`insert into project_members (project_id, user_id, role) select ${p.id}::uuid, 'bench-r' || g, 'reader' from generate_series(0, ${READERS - 1}) g`);
  for (let i = 0; i < READERS; i += 200) {
    const part = ids.slice(i, i + 200);
    await db.execute(
      sql`insert into api_tokens (user_id, name, token_hash, project_ids) values ${sql.join(
        part.map(
          (u, j) =>
            sql`(${u}, 'bench', ${createHash('sha256')
              .update(tokens[i + j])
              .digest('hex')}, ${JSON.stringify([p.id])}::jsonb)`,
        ),
        sql`, `,
      )}`,
    );
    await db.execute(
      sql`insert into sessions (id, user_id, expires_at) values ${sql.join(
        part.map((u, j) => sql`(${sessionIds[i + j]}, ${u}, now() + interval '1 day')`),
        sql`, `,
      )}`,
    );
  }
  // The template case goes through the runtime: its start event and snapshot are the pattern.
  const [pt] = await db.insert(patients).values({ projectId: p.id, pseudonym: 'bench-pt-0' }).returning({ id: patients.id });
  const at = '2026-01-01T00:00:00.000Z';
  const template = await db.transaction(async (tx) => {
    const [c] = await tx.insert(cases).values({ projectId: p.id, patientId: pt.id, projectVersion: 1, externalId: 'bench-0', studyDate: '2025-12-01' }).returning({ id: cases.id });
    await startCaseWorkflow({ tx, caseId: c.id, actorId: null, at });
    return c.id;
  });
  const [ev] = await db.select().from(workflowEvents).where(eq(workflowEvents.caseId, template));
  const [wf] = await db.select().from(caseWorkflows).where(eq(caseWorkflows.caseId, template));
  const chained = canonicalJson({ case: template, seq: 1, type: ev.type, payload: ev.payload, actor: ev.actorId, time: ev.occurredAt, prev: ev.prevHash });
  if (createHash('sha256').update(chained).digest('hex') !== ev.hash) throw new Error('template hash does not reproduce');
  const payload = JSON.stringify(ev.payload);
  const snapshot = JSON.stringify(wf.snapshot);
  const tpl = sql.raw(`'${template}'`);
  // Every other case: the same rows with its id in place of the template's (ids are values, never keys, so the canonical text stays canonical).
  const batch = 50_000;
  for (let from = 1; from < CASES; from += batch) {
    const to = Math.min(CASES - 1, from + batch - 1);
    await db.transaction(async (tx) => {
      await tx.execute(
        sql`create temp table new_cases on commit drop as select gen_random_uuid() as id, g from generate_series(${sql.raw(String(from))}, ${sql.raw(String(to))}) g`,
      );
      await tx.execute(sql`insert into patients (id, project_id, pseudonym) select id, ${p.id}::uuid, 'bench-pt-' || g from new_cases`);
      await tx.execute(
        sql`insert into cases (id, project_id, patient_id, project_version, external_id, study_date) select id, ${p.id}::uuid, id, 1, 'bench-' || g, '2025-12-01' from new_cases`,
      );
      await tx.execute(sql`insert into workflow_events (case_id, seq, type, payload, actor_id, occurred_at, machine_version, hash, prev_hash, client_request_id)
        select n.id, 1, ${ev.type}, replace(${payload}, ${tpl}, n.id::text)::jsonb, null, ${ev.occurredAt}, ${ev.machineVersion},
          encode(sha256(convert_to(replace(${chained}, ${tpl}, n.id::text), 'UTF8')), 'hex'), ${ev.prevHash}, 'start:' || n.id
        from new_cases n`);
      await tx.execute(sql`insert into case_workflows (case_id, machine_version, snapshot, state, event_count, head_hash, updated_at, project_id, queue_key, open_read_slots, open_vote_slots, vote_batch, state_since)
        select n.id, ${wf.machineVersion}, replace(${snapshot}, ${tpl}, n.id::text)::jsonb, ${wf.state}, 1, e.hash, ${wf.updatedAt.toISOString()}::timestamptz, ${p.id}::uuid,
          ('x' || substr(md5(${p.id} || ':' || n.id::text), 1, 16))::bit(64)::bigint, ${wf.openReadSlots}, ${wf.openVoteSlots}, ${wf.voteBatch}, ${wf.stateSince}
        from new_cases n join workflow_events e on e.case_id = n.id and e.seq = 1`);
    });
    log(`loaded ${to + 1} / ${CASES} cases`);
  }
  await db.execute(sql`analyze`);
  return { projectId: p.id, slug, tokens, sessionIds, loadMs: performance.now() - t0 };
}

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

/** CPU time (user + system, ms) the server process has used so far. */
function cpuMs(pid: number | undefined): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

function startServer(port: number, url: string): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
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
  log(`${CASES} cases, readers per case ${K}, concurrency ${LEVELS.join('/')}, ${SECONDS} s per level, ${INSTANCES} app instance(s), pool ${POOL} each`);
  if (!fs.existsSync(path.join(ROOT, 'build/index.js')) || process.env.BENCH_BUILD === '1') {
    log('building the app (remix build)…');
    execFileSync('npx', ['remix', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  await freshDatabase(DB);
  const url = `${PG}/${DB}`;
  const h = await openDatabase({ url, max: 4 });
  installDb(h);
  await h.migrate();
  const loaded = await bulkLoad(h);
  log(`bulk load: ${(loaded.loadMs / 1000).toFixed(1)} s`);

  await freshDatabase(PGBENCH_DB);
  execFileSync('pgbench', ['-h', '127.0.0.1', '-U', 'postgres', '-i', '-q', '-s', '1', PGBENCH_DB], { stdio: 'ignore' });
  const admin = postgres(`${PG}/postgres`, { max: 1, onnotice: () => {} });
  const [{ max_connections }] = await admin`select current_setting('max_connections')::int as max_connections`;

  const servers: Server[] = [];
  for (let i = 0; i < INSTANCES; i++) servers.push(await startServer(3900 + Math.floor(Math.random() * 90) * 10 + i, url));

  // Warm-up, not measured: the first requests load route modules and warm the JIT.
  const WARMUP = Number(process.env.BENCH_WARMUP_S ?? 5);
  if (WARMUP > 0) {
    const junk: Sample = { next: [], page: [], submit: [], errors: {}, acknowledged: 0, reads: 0 };
    const until = Date.now() + WARMUP * 1000;
    await Promise.all(Array.from({ length: 4 }, (_, i) => reader(i, serverBase(servers, i), loaded.slug, loaded.tokens[i], loaded.sessionIds[i], until, junk)));
    warmupReads = junk.acknowledged;
  }
  const levels = [];
  for (const c of LEVELS) {
    const cpu0 = servers.reduce((s, x) => s + cpuMs(x.child.pid), 0);
    const load = os.loadavg()[0];
    const sample: Sample = { next: [], page: [], submit: [], errors: {}, acknowledged: 0, reads: 0 };
    const until = Date.now() + SECONDS * 1000;
    const t = performance.now();
    await Promise.all(Array.from({ length: c }, (_, i) => reader(i, serverBase(servers, i), loaded.slug, loaded.tokens[i], loaded.sessionIds[i], until, sample)));
    const secs = (performance.now() - t) / 1000;
    const cpu = servers.reduce((s, x) => s + cpuMs(x.child.pid), 0) - cpu0;
    const [{ used }] = await admin`select count(*)::int as used from pg_stat_activity`;
    const free = Math.max(1, max_connections - used - 5);
    const clients = Math.min(c, free);
    const tps = pgbench(clients, SECONDS);
    const readsPerS = sample.acknowledged / secs;
    levels.push({
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
      machine_load_avg_1m: Math.round(load * 10) / 10,
    });
    log(`c=${c}: ${readsPerS.toFixed(1)} reads/s, next p50 ${pct(sample.next, 50)} ms p99 ${pct(sample.next, 99)} ms; pgbench ${clients} clients ${Math.round(tps)} tps`);
  }
  const peakRss = servers.map((s) => s.peakRss());
  for (const s of servers) await s.stop();

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
    instances: INSTANCES,
    pool_per_instance: POOL,
    bulk_load_s: Math.round(loaded.loadMs / 100) / 10,
    levels,
    server_peak_rss_mb: peakRss.map((b) => Math.round(b / 1048576)),
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
  return `http://127.0.0.1:${servers[i % servers.length].port}`;
}

main().catch((e) => {
  process.stderr.write(`bench:load failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
