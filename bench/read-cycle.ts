/**
 * `npx tsx bench/read-cycle.ts` — one reader's read cycle, profiled in-process on PostgreSQL:
 * the built Remix app's request handler is called directly (no HTTP, no other load), and every
 * SQL statement it sends is counted per request. Two flows, as bench/load.ts drives them:
 *   pages: POST the case page's form (submit + next case, one action) → GET the next case page;
 *   api:   POST next-case → POST reads.
 * Prints the statements of one cycle of each flow, then one JSON line: statements and server
 * CPU (user + system) per cycle. For hotspots run it under `node --cpu-prof --import tsx`.
 *
 * Env: CYCLE_CASES (10000), CYCLE_N (cycles per flow, 300), CYCLE_DB (tl_h19_cycle).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { createRequestHandler, type ServerBuild } from '@remix-run/node';
import { openDatabase, type Db, type DbHandle } from '../db/client.ts';
import { installDb } from '../db/index.ts';
import { preparing } from '../db/prepared.ts';
import * as schema from '../db/schema.ts';
import { freshDatabase, PG, seedBenchProject } from './seed.ts';
import { postgresCpuMs } from './proc-cpu.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CASES = Number(process.env.CYCLE_CASES ?? 10_000);
const N = Number(process.env.CYCLE_N ?? 300);
const DB = process.env.CYCLE_DB ?? 'tl_h19_cycle';
const log = (m: string) => process.stderr.write(`read-cycle: ${m}\n`);

let statements: string[] = [];

async function main() {
  await freshDatabase(DB);
  const url = `${PG}/${DB}`;
  const admin = await openDatabase({ url, max: 2 });
  await admin.migrate();
  installDb(admin);
  const project = await seedBenchProject(admin, { cases: CASES, readers: 2, log });
  await admin.close();

  // The app's pool, with every statement recorded.
  const client = postgres(url, { max: 4, onnotice: () => {}, debug: (_c, q) => statements.push(q.replace(/\s+/g, ' ').trim()) });
  const handle: DbHandle = {
    db: drizzle({ client: process.env.DATABASE_PREPARE === '0' ? client : preparing(client), schema }) as unknown as Db,
    kind: 'postgres',
    where: DB,
    ping: async () => true,
    migrate: async () => {},
    close: async () => client.end(),
  };
  installDb(handle);
  const build = (await import(path.join(ROOT, 'build/index.js'))) as ServerBuild;
  const handler = createRequestHandler(build, 'production');
  const base = 'http://127.0.0.1:3108';
  const call = async (label: string, method: string, p: string, init: { headers?: Record<string, string>; body?: string } = {}) => {
    statements = [];
    const r = await handler(new Request(`${base}${p}`, { method, headers: { host: '127.0.0.1:3108', origin: base, ...init.headers }, body: init.body, redirect: 'manual' }), {
      cspNonce: 'bench',
      failure: null,
    });
    const body = await r.text();
    return { label, status: r.status, location: r.headers.get('location'), body, statements: statements.slice() };
  };

  const slug = project.slug;
  const page = { cookie: `truthline_session=${project.sessionIds[0]}` };
  const api = { authorization: `Bearer ${project.tokens[1]}`, 'content-type': 'application/json' };
  const form = () =>
    new URLSearchParams({ intent: 'read', clientRequestId: randomUUID(), openedAt: String(Date.now()), 'item:pneumothorax': String(Math.random() < 0.5) }).toString();

  // Pages: the first case comes from the queue's button; then each cycle submits and lands on the next.
  const first = await call('queue: next case', 'POST', `/projects/${slug}/read`, { headers: { ...page, 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
  let caseId = /\/read\/([0-9a-f-]{36})/.exec(first.location ?? '')?.[1];
  if (!caseId) throw new Error(`no first case: ${first.status} ${first.location}`);
  const flows: Record<string, { requests: Record<string, number[]>; cpuMs: number; pgMs: number; ms: number; sample: { label: string; status: number; statements: string[] }[] }> =
    {};
  const run = async (name: string, cycle: () => Promise<{ label: string; status: number; statements: string[] }[]>) => {
    for (let i = 0; i < 20; i++) await cycle(); // warm-up: JIT, prepared plans
    const requests: Record<string, number[]> = {};
    const c0 = process.cpuUsage();
    const pg0 = postgresCpuMs();
    const t0 = performance.now();
    let sample: { label: string; status: number; statements: string[] }[] = [];
    for (let i = 0; i < N; i++) {
      const rs = await cycle();
      for (const r of rs) (requests[r.label] ??= []).push(r.statements.length);
      if (i === 0) sample = rs;
    }
    const cpu = process.cpuUsage(c0);
    flows[name] = { requests, cpuMs: (cpu.user + cpu.system) / 1000 / N, pgMs: (postgresCpuMs() - pg0) / N, ms: (performance.now() - t0) / N, sample };
  };
  await run('pages', async () => {
    const pg = await call('GET case page', 'GET', `/projects/${slug}/read/${caseId}`, { headers: page });
    if (pg.status !== 200) throw new Error(`page ${pg.status}`);
    const s = await call('POST read + next case', 'POST', `/projects/${slug}/read/${caseId}`, {
      headers: { ...page, 'content-type': 'application/x-www-form-urlencoded' },
      body: form(),
    });
    caseId = /\/read\/([0-9a-f-]{36})/.exec(s.location ?? '')?.[1];
    if (s.status !== 302 || !caseId) throw new Error(`submit ${s.status} ${s.location} ${s.body.slice(0, 200)}`);
    return [pg, s];
  });
  await run('api', async () => {
    const n = await call('POST next-case', 'POST', `/api/v1/projects/${slug}/next-case`, { headers: api });
    const id = (JSON.parse(n.body) as { case: { id: string } | null }).case?.id;
    if (n.status !== 200 || !id) throw new Error(`next-case ${n.status} ${n.body.slice(0, 200)}`);
    const s = await call('POST reads', 'POST', `/api/v1/projects/${slug}/cases/${id}/reads`, {
      headers: api,
      body: JSON.stringify({ client_request_id: randomUUID(), values: { pneumothorax: Math.random() < 0.5 } }),
    });
    if (s.status !== 201) throw new Error(`reads ${s.status} ${s.body.slice(0, 200)}`);
    return [n, s];
  });
  for (const [name, f] of Object.entries(flows)) {
    process.stderr.write(`\n== ${name}: statements of one cycle ==\n`);
    for (const r of f.sample) {
      process.stderr.write(`-- ${r.label} (${r.status}): ${r.statements.length} statements\n`);
      for (const q of r.statements) process.stderr.write(`   ${q.slice(0, 220)}\n`);
    }
  }
  await client.end();
  const summary = Object.fromEntries(
    Object.entries(flows).map(([name, f]) => [
      name,
      {
        statements_per_cycle: Object.values(f.requests).reduce((s, xs) => s + xs.reduce((a, b) => a + b, 0) / xs.length, 0),
        statements_per_request: Object.fromEntries(Object.entries(f.requests).map(([k, xs]) => [k, Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10])),
        app_cpu_ms_per_cycle: Math.round(f.cpuMs * 10) / 10,
        // All PostgreSQL processes on the machine: other databases' work counts too when the machine is shared.
        postgres_cpu_ms_per_cycle: Math.round(f.pgMs * 10) / 10,
        wall_ms_per_cycle: Math.round(f.ms * 10) / 10,
      },
    ]),
  );
  process.stdout.write(`${JSON.stringify({ bench: 'read-cycle', cases: CASES, cycles: N, load_avg_1m: Math.round(os.loadavg()[0] * 10) / 10, flows: summary })}\n`);
}

main().catch((e) => {
  process.stderr.write(`read-cycle failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
