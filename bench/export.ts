/**
 * Exports and releases of a large project on PostgreSQL: time and peak RSS of each export format
 * (the plain export's csv, jsonl and PROV-JSON; the export job's csv, jsonl and Parquet) and of a
 * release, each measured in a child process of its own so one target's memory never counts
 * against another's.
 *
 *   npx tsx bench/export.ts seed [--cases 100000]   # drop and load BENCH_DATABASE_URL
 *   npx tsx bench/export.ts [--only csv,release]     # measure every target (children)
 *   npx tsx bench/export.ts one TARGET              # one target; prints one JSON line
 *
 * The project: bench/seed.ts's cases, then three reads per case by three readers and one truth
 * label per case derived from them (written by the start event), every tenth patient in the
 * test split. A checkout of an older version measures the same way when this file is copied
 * into it (`one` copes with a whole-string export and with files kept in the release row).
 * BENCH_DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/tl_rel_bench.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../db/client.ts';
import { installDb } from '../db/index.ts';
import { seedBenchProject } from './seed.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/tl_rel_bench';
const TARGETS = ['csv', 'jsonl', 'prov', 'job-csv', 'job-jsonl', 'job-parquet', 'release'] as const;
type Target = (typeof TARGETS)[number];

const rowsOf = <T>(r: unknown): T[] => ((r as { rows?: T[] }).rows ?? (r as T[])) as T[];

async function seed(n: number) {
  const url = new URL(DB_URL);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = postgres(url.toString(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const h = await openDatabase({ url: DB_URL, max: 2 });
  await h.migrate();
  const t0 = performance.now();
  const p = await seedBenchProject(h, { cases: n, readers: 3, readersPerCase: 3, log: (m) => process.stderr.write(`${m}\n`) });
  const db = h.db;
  await db.execute(sql`set statement_timeout = 0`);
  await db.execute(sql`update patients set split = 'test' where project_id = ${p.projectId}::uuid and right(pseudonym, 1) = '0'`);
  await db.execute(sql`insert into reads (case_id, source, author_id, values, confidence, time_spent_ms, client_request_id, created_at)
    select c.id, 'reader', 'bench-r' || g, jsonb_build_object('pneumothorax', (hashtext(c.id::text || g) % 3 = 0)), 50 + g, 20000 + g, 'bench-read:' || c.id || ':' || g, '2026-01-02T00:00:00Z'
    from cases c cross join generate_series(0, 2) g where c.project_id = ${p.projectId}::uuid order by c.id`);
  await db.execute(sql`insert into truth_labels (case_id, version, state, value, method, derived_from_reads, policy_version, rule_version, decider_id, event_seq, created_at)
    select r.case_id, 1, 'unverified', jsonb_build_object('pneumothorax', bool_or((r.values->>'pneumothorax')::boolean)), 'majority', jsonb_agg(r.id order by r.author_id), 1, 'v1', 'bench-lead', 1, '2026-01-03T00:00:00Z'
    from reads r join cases c on c.id = r.case_id where c.project_id = ${p.projectId}::uuid group by r.case_id order by r.case_id`);
  await db.execute(sql`analyze`);
  const [{ reads }] = rowsOf<{ reads: number }>(await db.execute(sql`select count(*)::int as reads from reads`));
  process.stderr.write(`seeded ${n} cases, ${reads} reads in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  await h.close();
}

async function drain(body: unknown, hash: ReturnType<typeof createHash>): Promise<number> {
  let bytes = 0;
  const add = (x: string | Uint8Array) => {
    const b = typeof x === 'string' ? Buffer.from(x) : x;
    bytes += b.length;
    hash.update(b);
  };
  if (typeof body === 'string') add(body);
  else if (body instanceof ReadableStream) {
    const reader = (body as ReadableStream<Uint8Array>).getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) add(r.value);
  } else for await (const x of body as AsyncIterable<string | Uint8Array>) add(x);
  return bytes;
}

async function one(target: Target) {
  const h = await openDatabase({ url: DB_URL, max: 4 });
  installDb(h);
  const db = h.db;
  const [{ id: projectId }] = rowsOf<{ id: string }>(await db.execute(sql`select id from projects where slug = 'bench-load'`));
  await import('../app/models/export-job.server.ts');
  await import('../app/models/releases.server.ts');
  const rss0 = process.resourceUsage().maxRSS;
  const hash = createHash('sha256');
  const t0 = performance.now();
  let bytes = 0;
  if (target === 'csv' || target === 'jsonl' || target === 'prov') {
    const m = (await import('../app/models/export.server.ts')) as Record<string, unknown>;
    // The streamed export where this checkout has it (export-stream.server.ts), else the whole string.
    const streamed = (await import('../app/models/export-stream.server.ts' as string).catch(() => ({}))) as Record<string, unknown>;
    const stream = streamed.streamTruth as undefined | ((x: object) => { body: unknown });
    const file = stream ? stream({ projectId, format: target }) : await (m.exportTruth as (x: object) => Promise<{ body: string }>)({ projectId, format: target });
    bytes = await drain(file.body, hash);
  } else if (target.startsWith('job-')) {
    const { startExportJob, exportJobFile } = await import('../app/models/export-job.server.ts');
    const { runJobNow } = await import('../jobs/runner.ts');
    const job = await startExportJob({ projectId, format: target.slice(4) as 'csv', actorId: 'bench-lead', ip: null, db });
    const { job: done, error } = await runJobNow({ jobId: job.id, db });
    if (done.status !== 'succeeded') throw new Error(`job ${done.status}: ${String(error)}`);
    for (const f of (done.result as { files: { name: string }[] }).files) {
      const file = await exportJobFile({ projectId, jobId: job.id, name: f.name, actorId: 'bench-lead', db });
      bytes += await drain(file!.body, hash);
    }
  } else {
    const m = await import('../app/models/releases.server.ts');
    const r = await m.createRelease({ projectId, actorId: 'bench-lead', confirmPending: true, sequester: true, db });
    bytes = r.files.reduce((s: number, f: { bytes: number }) => s + f.bytes, 0);
    hash.update(r.contentHash);
    // Undone so the next run is not refused as unchanged.
    await db.execute(sql`delete from sequestered_cases where release_id = ${r.id}::uuid`);
    await db.execute(
      sql`do $$ begin if to_regclass('release_file_chunks') is not null then execute 'delete from release_file_chunks where release_id = ''${sql.raw(r.id)}'''; end if; end $$`,
    );
    await db.execute(sql`delete from releases where id = ${r.id}::uuid`);
  }
  const s = (performance.now() - t0) / 1000;
  const out = {
    target,
    s: +s.toFixed(2),
    peakRssMB: +(process.resourceUsage().maxRSS / 1024).toFixed(0),
    startRssMB: +(rss0 / 1024).toFixed(0),
    bytes,
    sha256: hash.digest('hex').slice(0, 16),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  await h.close();
}

const [cmd, arg] = process.argv.slice(2);
if (cmd === 'seed') {
  const { values } = parseArgs({ args: process.argv.slice(3), options: { cases: { type: 'string', default: '100000' } } });
  await seed(Number(values.cases));
} else if (cmd === 'one') {
  if (!(TARGETS as readonly string[]).includes(arg)) throw new Error(`target: one of ${TARGETS.join(', ')}`);
  await one(arg as Target);
  process.exit(0);
} else {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { only: { type: 'string' } } });
  const targets = values.only ? (values.only.split(',') as Target[]) : TARGETS;
  for (const t of targets) {
    const load = (await import('node:os')).loadavg().map((x) => x.toFixed(2));
    const r = spawnSync('npx', ['tsx', path.join(HERE, 'export.ts'), 'one', t], { encoding: 'utf8', env: process.env, maxBuffer: 1 << 24 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    process.stdout.write(r.status === 0 ? `${line.replace(/}$/, `,"load":"${load.join(' ')}"}`)}\n` : `${t}: failed ${r.stderr.slice(-2000)}\n`);
  }
}
