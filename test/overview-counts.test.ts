/**
 * The project overview's counts come from counters kept by triggers, and they equal a full
 * recount of the project after random mixes of imports, reads, cannot-assess reads,
 * adjudication, reopening, exclusion reviews, withdrawals and a deleted workflow row; the
 * header's total is the sum of the state table. The overview's statements touch a bounded
 * number of rows: EXPLAIN ANALYZE of each statement it sends, on a project grown 50-fold,
 * reads the same rows, while the group-by it replaced reads every case; so does a page of the
 * cases list and of the API's case list. API case pages hand out every case once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { at, buildProject, pneumothoraxDefinition, rid, type Fixture } from './fixtures/workflow.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { AppError } from '../domain/errors.ts';
import type { CaseCommand } from '../workflows/commands.ts';
import { getProjectOverview, getStateCounts } from '../app/models/overview.server.ts';
import { importManifest } from '../app/models/import.server.ts';
import { filtersFromUrl, listCases } from '../app/models/cases.server.ts';
import { casesAfter } from '../app/models/cases-keyset.server.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.dispose());

const rowsOf = <T>(res: unknown): T[] => (res as { rows?: T[] }).rows ?? (res as T[]);
const HEADER = 'case_id,patient_id,study_date,modality,body_part,split,images,site';
let imported = 0;

async function importCases(projectId: string, actorId: string, n: number) {
  const lines = [HEADER];
  for (let i = 0; i < n; i++) {
    imported++;
    lines.push(`IMP${imported},PAT${imported % 7},2025-03-01,CR,CHEST,,/img/${imported}.png,Site A`);
  }
  await importManifest({ projectId, text: lines.join('\n'), actorId });
}

/** The overview's figures recomputed from the project's rows. */
async function recount(projectId: string) {
  const states = rowsOf<{ state: string; n: number }>(
    await t.db.execute(sql`select w.state, count(*)::int as n from case_workflows w join cases c on c.id = w.case_id
      where c.project_id = ${projectId} and c.withdrawn_at is null group by w.state`),
  );
  const [other] = rowsOf<{ not_started: number; withdrawn: number; withdrawn_state: number }>(
    await t.db.execute(sql`select
      count(*) filter (where c.withdrawn_at is null and w.case_id is null)::int as not_started,
      count(*) filter (where c.withdrawn_at is not null)::int as withdrawn,
      count(*) filter (where w.state = 'withdrawn')::int as withdrawn_state
      from cases c left join case_workflows w on w.case_id = c.id where c.project_id = ${projectId}`),
  );
  // A withdrawn case is in the workflow's withdrawn state, and only a withdrawn case is.
  expect(Number(other.withdrawn_state)).toBe(Number(other.withdrawn));
  const byState: Record<string, number> = {};
  for (const s of states) byState[s.state] = Number(s.n);
  if (Number(other.not_started) > 0) byState.notStarted = Number(other.not_started);
  return { byState, withdrawn: Number(other.withdrawn), total: Object.values(byState).reduce((a, b) => a + b, 0) };
}

async function fromCounters(projectId: string) {
  const c = await getStateCounts({ projectId });
  const byState: Record<string, number> = {};
  for (const s of c.byState) byState[s.state] = s.n;
  expect(c.total).toBe(c.byState.reduce((a, s) => a + s.n, 0));
  return { byState, withdrawn: c.withdrawn, total: c.total };
}

type Op =
  | { kind: 'read' | 'cannot'; i: number; who: number; v: boolean }
  | { kind: 'adjudicate'; i: number; who: number; v: boolean }
  | { kind: 'withdraw' | 'reopen' | 'exclude' | 'keep'; i: number }
  | { kind: 'import'; n: number }
  | { kind: 'dropWorkflow'; i: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom('read' as const, 'cannot' as const), i: fc.nat(40), who: fc.nat(3), v: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('adjudicate' as const), i: fc.nat(40), who: fc.nat(1), v: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('withdraw' as const, 'reopen' as const, 'exclude' as const, 'keep' as const), i: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('import' as const), n: fc.integer({ min: 1, max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dropWorkflow' as const), i: fc.nat(40) }) },
);

async function caseIdsOf(projectId: string): Promise<string[]> {
  return rowsOf<{ id: string }>(await t.db.execute(sql`select id from cases where project_id = ${projectId} order by created_at, id`)).map((r) => r.id);
}

async function apply(f: Fixture, op: Op, step: number) {
  if (op.kind === 'import') return importCases(f.projectId, f.lead, op.n);
  const ids = await caseIdsOf(f.projectId);
  const caseId = ids[op.i % ids.length];
  if (op.kind === 'dropWorkflow') {
    // A workflow row deleted (and the deletion rolled back): the counter follows both ways.
    const before = await fromCounters(f.projectId);
    await t.db
      .transaction(async (tx) => {
        await tx.execute(sql`delete from case_workflows where case_id = ${caseId}`);
        const c = rowsOf<{ n: number }>(await tx.execute(sql`select coalesce(sum(n), 0)::int as n from project_state_counts where project_id = ${f.projectId}`));
        const live = rowsOf<{ n: number }>(await tx.execute(sql`select count(*)::int as n from case_workflows where project_id = ${f.projectId}`));
        expect(Number(c[0].n)).toBe(Number(live[0].n));
        throw new Error('roll back');
      })
      .catch((e: Error) => {
        if (e.message !== 'roll back') throw e;
      });
    expect(await fromCounters(f.projectId)).toEqual(before);
    return;
  }
  let actor: string;
  let cmd: CaseCommand;
  if (op.kind === 'read') [actor, cmd] = [f.readers[op.who], { type: 'read.submit', values: { pneumothorax: op.v } }];
  else if (op.kind === 'cannot') [actor, cmd] = [f.readers[op.who], { type: 'read.submit', values: null, cannotAssessReason: 'motion' }];
  else if (op.kind === 'adjudicate') [actor, cmd] = [f.adjudicators[op.who], { type: 'adjudication.decide', values: { pneumothorax: op.v }, rationale: 'seen' }];
  else if (op.kind === 'withdraw') [actor, cmd] = [f.lead, { type: 'case.withdraw', reason: 'consent withdrawn' }];
  else if (op.kind === 'reopen') [actor, cmd] = [f.lead, { type: 'case.reopen', reason: 'new information' }];
  else [actor, cmd] = [f.lead, { type: 'exclusion.resolve', exclude: op.kind === 'exclude', reason: 'reviewed' }];
  try {
    await sendCaseEvent({ caseId, actorId: actor, event: cmd, clientRequestId: rid(), at: at(step + 1) });
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
  }
}

describe('overview counts from counters', () => {
  it('equal a full recount after random imports, reads, adjudication, withdrawals and reopening', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.record({ cases: fc.integer({ min: 1, max: 4 }), readersPerCase: fc.integer({ min: 1, max: 2 }) }),
        fc.array(opArb, { minLength: 1, maxLength: 16 }),
        async ({ cases: n, readersPerCase }, ops) => {
          const f = await buildProject(t.db, {
            definition: pneumothoraxDefinition({ readersPerCase, cannotAssessLimit: 1 }),
            cases: n,
            readers: 4,
            adjudicators: 2,
          });
          // A second project beside it must not move.
          const other = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 2 });
          const otherBefore = await fromCounters(other.projectId);
          for (const [step, op] of ops.entries()) await apply(f, op, step);
          const counted = await fromCounters(f.projectId);
          expect(counted).toEqual(await recount(f.projectId));
          for (const s of Object.keys(counted.byState)) seen.add(s);
          if (counted.withdrawn) seen.add('withdrawn');
          expect(await fromCounters(other.projectId)).toEqual(otherBefore);
          // The page's header and its table: one source.
          const ov = await getProjectOverview({ projectId: f.projectId, userId: f.lead, isLead: true });
          expect(ov.total).toBe(ov.byState.reduce((a, s) => a + s.n, 0));
          expect(ov.total).toBe(counted.total);
        },
      ),
      { numRuns: 25, seed: 19 },
    );
    // The runs went through the states that matter (not a vacuous pass).
    for (const s of ['awaitingReads', 'decided', 'adjudication', 'withdrawn']) expect(seen).toContain(s);
  }, 600_000);
});

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Actual Rows'?: number; 'Actual Loops'?: number; 'Rows Removed by Filter'?: number; Plans?: PlanNode[] };

/** Rows read by the scans of a plan (rows returned plus rows a filter dropped, per loop). */
function rowsRead(node: PlanNode, scans: { type: string; relation: string }[]): number {
  let n = 0;
  if (/Scan$/.test(node['Node Type']) && node['Relation Name']) {
    scans.push({ type: node['Node Type'], relation: node['Relation Name'] });
    n += ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0)) * (node['Actual Loops'] ?? 1);
  }
  for (const p of node.Plans ?? []) n += rowsRead(p, scans);
  return n;
}

type Explained = { Plan: PlanNode }[];
/** The driver under drizzle: PGlite's `query` or postgres.js's `unsafe`, wrapped to record what is sent. */
type Pglite = { query: (q: string, params?: unknown[], opts?: unknown) => Promise<{ rows: Record<string, unknown>[] }> };
type PgJs = {
  unsafe: (q: string, params?: unknown[], opts?: unknown) => Promise<Record<string, unknown>[]>;
  begin: <T>(fn: (tx: PgJs) => Promise<T>) => Promise<T>;
};

describe('overview queries are bounded', () => {
  it('read the same rows at 10 and 510 cases; the old group-by read every case', async () => {
    const raw = (t.db as unknown as { $client: Pglite & PgJs }).$client;
    const pglite = t.kind === 'pglite';
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition({ readersPerCase: 1 }), cases: 10, readers: 2 });
    for (const [i, c] of f.caseIds.slice(0, 4).entries())
      await sendCaseEvent({ caseId: c, actorId: f.readers[0], event: { type: 'read.submit', values: { pneumothorax: i % 2 === 0 } }, clientRequestId: rid(), at: at(i + 1) });

    /** EXPLAIN ANALYZE of each statement, the planner kept off sequential scans where an index serves (one session). */
    async function explainAll(sent: { q: string; params: unknown[] }[]): Promise<Explained[]> {
      const out: Explained[] = [];
      if (pglite) {
        await raw.query('set enable_seqscan = off');
        try {
          for (const s of sent) out.push((await raw.query(`explain (analyze, format json) ${s.q}`, s.params)).rows[0]['QUERY PLAN'] as Explained);
        } finally {
          await raw.query('reset enable_seqscan');
        }
        return out;
      }
      await raw.begin(async (tx) => {
        await tx.unsafe('set local enable_seqscan = off');
        for (const s of sent) out.push((await tx.unsafe(`explain (analyze, format json) ${s.q}`, s.params))[0]['QUERY PLAN'] as Explained);
      });
      return out;
    }

    /** The statements `fn` sends, explained. */
    async function explainOf<T>(fn: () => Promise<T>) {
      const sent: { q: string; params: unknown[] }[] = [];
      const method = pglite ? 'query' : 'unsafe';
      const target = raw as unknown as Record<string, (q: string, params?: unknown[], opts?: unknown) => Promise<unknown>>;
      const original = target[method];
      target[method] = (q, params, opts) => {
        sent.push({ q, params: params ?? [] });
        return original.call(raw, q, params, opts);
      };
      let value: T;
      try {
        value = await fn();
      } finally {
        target[method] = original;
      }
      const scans: { type: string; relation: string }[] = [];
      let rows = 0;
      for (const plan of await explainAll(sent)) rows += rowsRead(plan[0].Plan, scans);
      return { value, rows, scans, statements: sent.length };
    }
    const measure = async () => {
      const r = await explainOf(() => getProjectOverview({ projectId: f.projectId, userId: f.readers[0], isLead: true }));
      return { ...r, ov: r.value };
    };

    const small = await measure();
    expect(small.ov.total).toBe(10);
    expect(small.ov.mine).toBe(4);
    await importCases(f.projectId, f.lead, 500);
    // Fresh statistics, as autovacuum would leave them: without them the plan depended on whether
    // autovacuum had run (CI's PostgreSQL phase once sorted the whole table: 1,531 rows read).
    if (pglite) await raw.query('analyze');
    else await raw.unsafe('analyze');
    const large = await measure();
    expect(large.ov.total).toBe(510);
    expect(large.ov.mine).toBe(4);
    // Counters, the reader's own reads, the members: three statements whatever the size.
    expect(small.statements).toBe(3);
    expect(large.statements).toBe(small.statements);
    // No statement walks the project's cases, workflows or reads.
    for (const s of large.scans) expect(s.type === 'Seq Scan' && ['cases', 'case_workflows', 'reads'].includes(s.relation), `${s.type} on ${s.relation}`).toBe(false);
    // Counter rows are at most states × 16 shards; the rest (members, the reader's own reads) did not grow.
    expect(large.rows).toBeLessThanOrEqual(small.rows + 9 * 16);
    expect(large.rows).toBeLessThan(300);

    // The metric notices a query that reads the project: the group-by the overview used before.
    const [before] = await explainAll([
      {
        q: 'select w.state, count(*) from case_workflows w join cases c on c.id = w.case_id where c.project_id = $1 and c.withdrawn_at is null group by w.state',
        params: [f.projectId],
      },
    ]);
    expect(rowsRead(before[0].Plan, [])).toBeGreaterThanOrEqual(510);

    // A page of the cases list and of the API's case list: an index walk, not a sort of the project.
    const list = await explainOf(() => listCases({ projectId: f.projectId, filters: filtersFromUrl(new URL('http://x/?')), pageSize: 20 }));
    expect(list.value.rows).toHaveLength(20);
    expect(list.statements).toBeGreaterThanOrEqual(1);
    expect(list.rows).toBeGreaterThanOrEqual(20);
    expect(list.rows).toBeLessThan(100);
    const first = await casesAfter({ projectId: f.projectId, after: null, limit: 300, withdrawn: 'include' });
    const api = await explainOf(() => casesAfter({ projectId: f.projectId, after: first.next, limit: 20, withdrawn: 'include' }));
    expect(api.value.rows).toHaveLength(20);
    expect(api.statements).toBe(1);
    expect(api.rows).toBeGreaterThanOrEqual(20);
    expect(api.rows).toBeLessThan(100);
  }, 300_000);
});

describe('API case pages', () => {
  it('hand out every case once, in creation order, across cases created within one millisecond', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 9 });
    await importCases(f.projectId, f.lead, 40);
    for (let i = 0; i < 6; i++) await f.addCase();
    const all = rowsOf<{ id: string }>(await t.db.execute(sql`select id from cases where project_id = ${f.projectId} order by created_at, id`)).map((r) => r.id);
    expect(all).toHaveLength(55);
    for (const limit of [1, 4, 7]) {
      const seen: string[] = [];
      let after: { t: string; id: string } | null = null;
      for (;;) {
        const page = await casesAfter({ projectId: f.projectId, after, limit, withdrawn: 'include' });
        seen.push(...page.rows.map((r) => r.c.id));
        if (!page.next) break;
        after = page.next;
      }
      expect(seen).toEqual(all);
    }
  });
});
