/**
 * `npx tsx bench/explain-pages.ts` — what the pages every user opens cost on a large project.
 * Against a bench database (BENCH_DB, default tl_h19; loaded by bench/load.ts or bench/seed.ts),
 * each loader's model functions are called as the page calls them while every statement they
 * send is recorded; each statement is then run under EXPLAIN (ANALYZE, BUFFERS) and reported
 * with its execution time, the rows its scans read and any sequential scan of a project-sized
 * table. Each function is also timed (median of BENCH_REPEAT calls, default 5). Never a test.
 * The last line printed is one JSON object.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import * as schema from '../db/schema.ts';
import { installDb } from '../db/index.ts';
import type { Db, DbHandle } from '../db/client.ts';
import { PG } from './seed.ts';
import { getProjectOverview } from '../app/models/overview.server.ts';
import { listProjectsForUser } from '../app/models/projects.server.ts';
import { getReaderProgress, listMyReads } from '../app/models/reading.server.ts';
import { getReaderStudyStatus } from '../app/models/study.server.ts';
import { listAdjudicationQueue, readerFormsOf } from '../app/models/adjudication.server.ts';
import { filtersFromUrl, listCases } from '../app/models/cases.server.ts';
import { casesAfter } from '../app/models/cases-keyset.server.ts';

const DB = process.env.BENCH_DB ?? 'tl_h19';
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
/** Tables whose size grows with the project: a sequential scan of one is a whole-project read. */
const BIG = new Set(['cases', 'case_workflows', 'reads', 'assignments', 'workflow_events', 'audit_log', 'truth_labels', 'patients', 'findings']);

type Sent = { text: string; params: unknown[] };
let recording: Sent[] | null = null;
const raw = postgres(`${PG}/${DB}`, { max: 4, onnotice: () => {} });
const client = new Proxy(raw, {
  get(target, prop) {
    const value = Reflect.get(target, prop) as unknown;
    if (prop === 'unsafe' && typeof value === 'function')
      return (text: string, params?: unknown[], opts?: Record<string, unknown>) => {
        recording?.push({ text, params: params ?? [] });
        return (value as (t: string, p?: unknown[], o?: Record<string, unknown>) => unknown).call(target, text, params, opts);
      };
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
  },
});
const db = drizzle({ client, schema }) as unknown as Db;
installDb({ db, kind: 'postgres', where: DB } as DbHandle);

type PlanNode = {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
};
function walk(node: PlanNode, out: { rows: number; seq: string[]; scans: string[] }) {
  if (/Scan$/.test(node['Node Type']) && node['Relation Name']) {
    const read = ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0)) * (node['Actual Loops'] ?? 1);
    out.rows += read;
    out.scans.push(`${node['Node Type']} ${node['Relation Name']}${node['Index Name'] ? ` (${node['Index Name']})` : ''}: ${read}`);
    if (node['Node Type'] === 'Seq Scan' && BIG.has(node['Relation Name'])) out.seq.push(`${node['Relation Name']} (${read} rows)`);
  }
  for (const p of node.Plans ?? []) walk(p, out);
}

async function measure(name: string, fn: () => Promise<unknown>) {
  recording = [];
  await fn();
  const sent = recording;
  recording = null;
  const times: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const statements = [];
  for (const s of sent) {
    if (!/^\s*\(?\s*(select|with)/i.test(s.text)) continue;
    const [r] = await raw.unsafe(`explain (analyze, buffers, format json) ${s.text}`, s.params as never[]);
    const top = (r['QUERY PLAN'] as { Plan: PlanNode; 'Execution Time': number }[])[0];
    const out = { rows: 0, seq: [] as string[], scans: [] as string[] };
    walk(top.Plan, out);
    statements.push({
      sql: s.text.replace(/\s+/g, ' ').slice(0, 140),
      ms: Math.round(top['Execution Time'] * 100) / 100,
      rows_read: out.rows,
      seq_scans_of_project_tables: out.seq,
      scans: out.scans,
    });
  }
  const row = { page: name, median_ms: Math.round(times[Math.floor(times.length / 2)] * 10) / 10, statements };
  process.stderr.write(
    `${name}: ${row.median_ms} ms, ${statements.length} statements, rows read ${statements.map((s) => s.rows_read).join(' + ')}${statements.some((s) => s.seq_scans_of_project_tables.length) ? `  SEQ: ${statements.flatMap((s) => s.seq_scans_of_project_tables).join(', ')}` : ''}\n`,
  );
  return row;
}

async function main() {
  const [p] =
    await raw`select p.id, p.slug, coalesce(c.cases, 0) as cases from projects p left join project_case_counts c on c.project_id = p.id order by c.cases desc nulls last limit 1`;
  const [reader] =
    await raw`select r.author_id from reads r join cases c on c.id = r.case_id where c.project_id = ${p.id} and r.source = 'reader' group by 1 order by count(*) desc limit 1`;
  const [lead] = await raw`select user_id from project_members where project_id = ${p.id} and role = 'lead' limit 1`;
  const readerId = (reader?.author_id as string | undefined) ?? 'bench-r0';
  const projectId = p.id as string;
  process.stderr.write(`explain-pages: ${DB}, project ${p.slug} (${p.cases} live cases), reader ${readerId}\n`);
  const pages = [];
  pages.push(await measure('projects list', () => listProjectsForUser({ userId: lead.user_id })));
  pages.push(await measure('overview (lead)', () => getProjectOverview({ projectId, userId: lead.user_id, isLead: true })));
  pages.push(await measure('overview (reader)', () => getProjectOverview({ projectId, userId: readerId, isLead: false })));
  pages.push(
    await measure('reading queue', () =>
      Promise.all([
        getReaderProgress({ projectId, userId: readerId }),
        listMyReads({ projectId, userId: readerId, limit: 20, offset: 0 }),
        getReaderStudyStatus({ projectId, userId: readerId }),
      ]),
    ),
  );
  pages.push(
    await measure('adjudication queue', async () => {
      const q = await listAdjudicationQueue({ projectId, userId: lead.user_id, limit: 50 });
      await readerFormsOf({ caseIds: q.map((e) => e.caseId) });
    }),
  );
  pages.push(await measure('cases list, page 1', () => listCases({ projectId, filters: filtersFromUrl(new URL('http://x/?')) })));
  pages.push(await measure('cases list, page 50', () => listCases({ projectId, filters: filtersFromUrl(new URL('http://x/?page=50')) })));
  pages.push(await measure('cases list, state filter', () => listCases({ projectId, filters: filtersFromUrl(new URL('http://x/?state=decided')) })));
  pages.push(await measure('API cases, first page', () => casesAfter({ projectId, after: null, limit: 100, withdrawn: 'include' })));
  const first = await casesAfter({ projectId, after: null, limit: 1000, withdrawn: 'include' });
  pages.push(await measure('API cases, after 1,000', () => casesAfter({ projectId, after: first.next, limit: 100, withdrawn: 'include' })));
  await raw.end();
  console.log(JSON.stringify({ bench: 'explain-pages', db: DB, cases: Number(p.cases), load_avg_1m: Math.round(os.loadavg()[0] * 10) / 10, pages }));
}

main().catch(async (e) => {
  console.error(e);
  await raw.end();
  process.exit(1);
});
