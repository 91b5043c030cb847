/**
 * Bench projects loaded straight into PostgreSQL, fast enough for 1,000,000 cases. Every case
 * is started through the same start template imports use (workflows/start-rows.ts
 * `caseStarter`): its serialised start payload and snapshot with the case id put in by SQL, the
 * start event's hash computed by PostgreSQL's sha256 over the same canonical text, the queue
 * columns and the start audit row — so `verify` passes on every loaded case. Batches of ids are
 * sorted before they are inserted, so the primary-key indexes grow at their right edge.
 */
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import type { DbHandle } from '../db/client.ts';
import { projectMembers, projects, projectVersions, users } from '../db/schema.ts';
import { canonicalJson } from '../workflows/canonical-json.ts';
import { projectDefinitionSchema, type ProjectDefinition } from '../workflows/definition.ts';
import { START_EVENT } from '../workflows/engine.ts';
import { GENESIS_HASH } from '../workflows/hash-chain.ts';
import { caseStarter } from '../workflows/start-rows.ts';

export const PG = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';

export const benchDefinition = (readersPerCase: number): ProjectDefinition =>
  projectDefinitionSchema.parse({
    readerForm: { fields: [{ key: 'pneumothorax', label: 'Pneumothorax present?', kind: 'binary' }] },
    referenceStandard: { level: 'case', outcome: { key: 'pneumothorax', label: 'Pneumothorax' }, source: 'panel', panelField: 'pneumothorax' },
    mapping: {},
    truthPolicy: { readersPerCase, assignmentExpiryHours: 1 },
  });

export async function freshDatabase(name: string): Promise<void> {
  const admin = postgres(`${PG}/postgres`, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  await admin.end();
}

export type BenchProject = { projectId: string; slug: string; readerIds: string[]; tokens: string[]; sessionIds: string[]; loadMs: number };

const rowsOf = <T>(r: unknown): T[] => ((r as { rows?: T[] }).rows ?? (r as T[])) as T[];

/** A project of `cases` cases and `readers` readers (each with an API token and a session). */
export async function seedBenchProject(
  h: DbHandle,
  { cases: CASES, readers: READERS, readersPerCase = 2, log = () => {} }: { cases: number; readers: number; readersPerCase?: number; log?: (m: string) => void },
): Promise<BenchProject> {
  const t0 = performance.now();
  const db = h.db;
  const slug = 'bench-load';
  const definition = benchDefinition(readersPerCase);
  await db.insert(users).values({ id: 'bench-lead', email: 'lead@bench.test', name: 'Lead', passwordHash: 'x' });
  const [p] = await db.insert(projects).values({ slug, name: 'Load benchmark', ownerId: 'bench-lead' }).returning({ id: projects.id });
  await db.insert(projectVersions).values({ projectId: p.id, version: 1, ...definition, createdBy: 'bench-lead' });
  await db.insert(projectMembers).values({ projectId: p.id, userId: 'bench-lead', role: 'lead' });
  const tokens: string[] = [];
  const sessionIds: string[] = [];
  for (let i = 0; i < READERS; i++) {
    tokens.push(`tl_${randomBytes(32).toString('base64url')}`);
    sessionIds.push(randomBytes(20).toString('hex'));
  }
  const readerIds = tokens.map((_, i) => `bench-r${i}`);
  await db.execute(
    sql`insert into users (id, email, name, password_hash) select 'bench-r' || g, 'r' || g || '@bench.test', 'Reader ' || g, 'x' from generate_series(0, ${READERS - 1}) g`,
  );
  await db.execute(sql`insert into project_members (project_id, user_id, role) select ${p.id}::uuid, 'bench-r' || g, 'reader' from generate_series(0, ${READERS - 1}) g`);
  for (let i = 0; i < READERS; i += 200) {
    const part = readerIds.slice(i, i + 200);
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

  // The import's start template: one machine start on placeholder ids, filled per case in SQL.
  const at = '2026-01-01T00:00:00.000Z';
  const starter = caseStarter({ projectId: p.id, projectVersion: 1, definition, actorId: null, at });
  const t = starter.template;
  if (t.findingTokens.length) throw new Error('the bench form has case-level items only');
  const chained = canonicalJson({ case: t.caseToken, seq: 1, type: START_EVENT, payload: JSON.parse(t.payloadText), actor: null, time: at, prev: GENESIS_HASH });
  const probe = starter.lean({ caseId: t.caseToken, studyDate: '2025-12-01' });
  if (createHash('sha256').update(chained).digest('hex') !== probe.event.hash) throw new Error('the start template hash does not reproduce');
  if (probe.scheduled.length) throw new Error('the bench policy schedules nothing at start');
  const w = probe.workflow;
  const tok = t.caseToken;
  const batch = 100_000;
  for (let from = 0; from < CASES; from += batch) {
    const to = Math.min(CASES - 1, from + batch - 1);
    await db.transaction(async (tx) => {
      await tx.execute(sql`set local synchronous_commit = off`);
      // A batch of 100,000 may take longer than the pool's statement deadline on a loaded machine.
      await tx.execute(sql`set local statement_timeout = 0`);
      await tx.execute(
        sql`create temp table new_cases on commit drop as select gen_random_uuid() as id, g from generate_series(${sql.raw(String(from))}, ${sql.raw(String(to))}) g order by 1`,
      );
      await tx.execute(sql`insert into patients (id, project_id, pseudonym) select id, ${p.id}::uuid, 'bench-pt-' || g from new_cases order by id`);
      await tx.execute(
        sql`insert into cases (id, project_id, patient_id, project_version, external_id, study_date, created_at) select id, ${p.id}::uuid, id, 1, 'bench-' || g, '2025-12-01', ${at}::timestamptz from new_cases order by id`,
      );
      await tx.execute(sql`insert into workflow_events (case_id, seq, type, payload, actor_id, occurred_at, machine_version, hash, prev_hash, client_request_id)
        select n.id, 1, ${START_EVENT}, replace(${t.payloadText}, ${tok}, n.id::text)::jsonb, null, ${at}, ${probe.event.machineVersion},
          encode(sha256(convert_to(replace(${chained}, ${tok}, n.id::text), 'UTF8')), 'hex'), ${GENESIS_HASH}, 'start:' || n.id
        from new_cases n order by n.id`);
      await tx.execute(sql`insert into case_workflows (case_id, machine_version, snapshot, state, event_count, head_hash, updated_at, project_id, queue_key, open_read_slots, open_vote_slots, vote_batch, state_since)
        select n.id, ${w.machineVersion}, replace(${t.snapshotText}, ${tok}, n.id::text)::jsonb, ${w.state}, 1, e.hash, ${at}::timestamptz, ${p.id}::uuid,
          ${t.caseOrder === 'fixed' ? sql`nextval('case_queue_order')` : sql`('x' || substr(md5(${p.id}::text || ':' || n.id::text), 1, 16))::bit(64)::bigint`},
          ${w.openReadSlots}, ${w.openVoteSlots}, ${w.voteBatch}, ${w.stateSince}
        from new_cases n join workflow_events e on e.case_id = n.id and e.seq = 1 order by n.id`);
      await tx.execute(sql`insert into audit_log (actor_id, action, project_id, case_id, details, at)
        select null, ${probe.audit.action}, ${p.id}::uuid, n.id, ${JSON.stringify(probe.audit.details)}::jsonb, ${at}::timestamptz from new_cases n`);
    });
    log(`loaded ${to + 1} / ${CASES} cases (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  await db.execute(sql`analyze`);
  const [{ n }] = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from case_workflows where project_id = ${p.id}`));
  if (n !== CASES) throw new Error(`loaded ${n} cases, wanted ${CASES}`);
  return { projectId: p.id, slug, readerIds, tokens, sessionIds, loadMs: performance.now() - t0 };
}
