import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { createTestDb, onPostgres, type TestDb } from './db.ts';
import { installDb } from '../db/index.ts';
import { at, biradsDefinition, buildProject, pneumothoraxDefinition, rid, type Fixture } from './fixtures/workflow.ts';
import { caseWorkflows, reads, truthLabels, workflowEvents } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { caseMachine, MACHINE_VERSION, whyNot } from '../workflows/machine.ts';
import { defaultRegistry, MIGRATE_EVENT, type MachineRegistry } from '../workflows/engine.ts';
import { verifyAllCases, verifyCase } from '../workflows/verify.ts';
import type { CaseCommand } from '../workflows/commands.ts';

let t: TestDb;
let f: Fixture;
let m = 0;
const send = (caseId: string, actorId: string, event: CaseCommand, registry?: MachineRegistry) =>
  sendCaseEvent({ caseId, actorId, event, clientRequestId: rid(), at: at(++m), registry });

beforeAll(async () => {
  t = await createTestDb();
  f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 6 });
  const [a, b, c] = f.caseIds;
  const [r1, r2, r3] = f.readers;
  // a: decided by consensus; b: adjudicated; c: amended then decided. The rest: unread or partly read.
  await send(a, r1, { type: 'read.submit', values: { pneumothorax: true } });
  await send(a, r2, { type: 'read.submit', values: { pneumothorax: true } });
  await send(b, r1, { type: 'read.submit', values: { pneumothorax: true } });
  await send(b, r2, { type: 'read.submit', values: { pneumothorax: false } });
  await send(b, f.adjudicators[0], { type: 'adjudication.decide', values: { pneumothorax: true }, rationale: 'rim' });
  const first = await send(c, r1, { type: 'read.submit', values: { pneumothorax: true } });
  await send(c, r1, { type: 'read.amend', supersedesReadId: first.readId!, values: { pneumothorax: false }, reason: 'fold' });
  await send(c, r3, { type: 'read.submit', values: { pneumothorax: false } });
  await send(f.caseIds[3], r1, { type: 'read.submit', values: { pneumothorax: false } });
});
afterAll(async () => t?.dispose());

const problemsOf = async (caseId: string) => (await verifyCase({ db: t.db, caseId })).join('\n');

describe('verify', () => {
  it('replays every case to its stored snapshot with an intact chain', async () => {
    const report = await verifyAllCases({ db: t.db });
    expect(report.failures).toEqual([]);
    expect(report.checked).toBeGreaterThanOrEqual(6);
  });

  it('detects a changed event payload', async () => {
    const [a] = f.caseIds;
    await t.db.execute(sql`update workflow_events set payload = jsonb_set(payload, '{values,pneumothorax}', 'false') where case_id = ${a} and seq = 2`);
    expect(await problemsOf(a)).toMatch(/event 2: hash does not match/);
    const report = await verifyAllCases({ db: t.db });
    expect(report.failures.map((x) => x.caseId)).toEqual([a]);
  });

  it('detects a removed last event (count and head hash)', async () => {
    const b = f.caseIds[1];
    const [{ max }] = await t.db.select({ max: sql<number>`max(seq)::int` }).from(workflowEvents).where(eq(workflowEvents.caseId, b));
    await t.db.delete(workflowEvents).where(and(eq(workflowEvents.caseId, b), eq(workflowEvents.seq, max)));
    const p = await problemsOf(b);
    expect(p).toMatch(/counts 4 events but 3 are stored/);
    expect(p).toMatch(/head hash/);
    expect(p).toMatch(/replaying the events does not reproduce the stored snapshot/);
  });

  it('detects a removed middle event, an edited snapshot, a missing read and a broken truth history', async () => {
    const c = f.caseIds[2];
    await t.db.delete(workflowEvents).where(and(eq(workflowEvents.caseId, c), eq(workflowEvents.seq, 2)));
    expect(await problemsOf(c)).toMatch(/expected seq 2, found 3/);

    const d = f.caseIds[3];
    const [row] = await t.db.select().from(caseWorkflows).where(eq(caseWorkflows.caseId, d));
    const snap = row.snapshot as { context: { extraReads: number } };
    snap.context.extraReads = 5;
    await t.db.update(caseWorkflows).set({ snapshot: snap }).where(eq(caseWorkflows.caseId, d));
    expect(await problemsOf(d)).toMatch(/first difference at context.extraReads/);

    // A read row removed behind the workflow's back; a truth version removed.
    const e = f.caseIds[0];
    const [someRead] = await t.db.select().from(reads).where(eq(reads.caseId, e));
    await t.db.update(truthLabels).set({ derivedFromReads: [] }).where(eq(truthLabels.caseId, e));
    await t.db.delete(reads).where(eq(reads.id, someRead.id));
    expect(await problemsOf(e)).toMatch(/missing from reads/);
    const b = f.caseIds[1];
    await t.db.delete(truthLabels).where(eq(truthLabels.caseId, b));
    expect(await problemsOf(b)).toMatch(/decided but the case has no truth label|has no truth label/);
  });

  it.skipIf(!onPostgres())('`truthline verify` exits 1 naming each failing case (needs PostgreSQL: the CLI opens the database from DATABASE_URL)', async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = `/${t.where.split('/').pop()}`;
    const old = process.env.DATABASE_URL;
    process.env.DATABASE_URL = url.toString();
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    try {
      const { run } = await import('../cli/commands/verify.ts');
      const code = await run([]);
      expect(code).toBe(1);
      const text = out.join('');
      for (const id of f.caseIds.slice(0, 4)) expect(text).toContain(`case ${id}:`);
      expect(text).not.toContain(`case ${f.caseIds[5]}:`);
      expect(text).toMatch(/4 of \d+ cases FAILED/);
    } finally {
      spy.mockRestore();
      installDb(t); // the command closes its own handle and uninstalls the global one
      if (old === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = old;
    }
  });
});

describe('machine versions', () => {
  // A toy v2: the same logic, whose context gains a field that the migration fills in.
  const V2 = 'case@toy-2';
  const registry: MachineRegistry = {
    current: V2,
    machines: { [MACHINE_VERSION]: { machine: caseMachine, whyNot }, [V2]: { machine: caseMachine, whyNot } },
    migrations: { [MACHINE_VERSION]: { to: V2, migrate: (s) => ({ ...s, context: { ...s.context, toyFlag: 'migrated' } as never }) } },
  };

  it('an old case is migrated by an explicit chained event; replay applies the same migration', async () => {
    const g = await buildProject(t.db, { definition: biradsDefinition(), cases: 2 });
    const [c, other] = g.caseIds;
    await send(c, g.readers[0], { type: 'read.submit', values: { 'left/birads': '2', 'right/birads': '2' } });
    const r = await send(c, g.readers[1], { type: 'read.submit', values: { 'left/birads': '2', 'right/birads': '1' } }, registry);
    expect(r).toMatchObject({ seq: 4, state: 'decided' });
    const evs = await t.db.select().from(workflowEvents).where(eq(workflowEvents.caseId, c)).orderBy(workflowEvents.seq);
    expect(evs.map((e) => [e.type, e.machineVersion])).toEqual([
      ['case.start', MACHINE_VERSION],
      ['read.submit', MACHINE_VERSION],
      [MIGRATE_EVENT, V2],
      ['read.submit', V2],
    ]);
    const [row] = await t.db.select().from(caseWorkflows).where(eq(caseWorkflows.caseId, c));
    expect(row.machineVersion).toBe(V2);
    expect((row.snapshot as { context: { toyFlag?: string } }).context.toyFlag).toBe('migrated');
    expect(await verifyCase({ db: t.db, caseId: c, registry })).toEqual([]);
    // Without the new version in the registry, replay says why it cannot go on.
    expect((await verifyCase({ db: t.db, caseId: c, registry: defaultRegistry })).join('\n')).toMatch(
      new RegExp(`no migration from machine version ${MACHINE_VERSION}|unknown machine version`),
    );
    // Old (un-migrated) cases keep working with the old registry.
    expect((await send(other, g.readers[0], { type: 'read.submit', values: { 'left/birads': '1', 'right/birads': '1' } })).status).toBe('applied');
    expect(await verifyCase({ db: t.db, caseId: other })).toEqual([]);
  });

  it('a case started under case@2 replays with case@2, migrates to case@3, case@4 and case@5 at its next event, and then an amendment to agree leaves it in adjudication', async () => {
    const v2 = { ...defaultRegistry, current: 'case@2' };
    const g = await buildProject(t.db, { definition: biradsDefinition(), cases: 1 });
    const [c] = g.caseIds;
    // buildProject started it on the current version: restart the story on case@2 with a fresh case row.
    const { cases } = await import('../db/schema.ts');
    const { startCaseWorkflow } = await import('../workflows/runtime.ts');
    const [orig] = await t.db.select().from(cases).where(eq(cases.id, c));
    const old = await t.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(cases)
        .values({ projectId: orig.projectId, patientId: orig.patientId, projectVersion: orig.projectVersion, externalId: 'started-on-case@2', studyDate: orig.studyDate })
        .returning({ id: cases.id });
      await startCaseWorkflow({ tx, caseId: row.id, registry: v2 });
      return row.id;
    });
    const r1 = await send(old, g.readers[0], { type: 'read.submit', values: { 'left/birads': '3', 'right/birads': '1' } }, v2);
    expect((await send(old, g.readers[1], { type: 'read.submit', values: { 'left/birads': '4', 'right/birads': '1' } }, v2)).state).toBe('adjudication');
    expect(await verifyCase({ db: t.db, caseId: old, registry: v2 })).toEqual([]);
    const amended = await send(old, g.readers[0], { type: 'read.amend', supersedesReadId: r1.readId!, reason: 'agree', values: { 'left/birads': '4', 'right/birads': '1' } });
    expect(amended.state).toBe('adjudication');
    const evs = await t.db.select().from(workflowEvents).where(eq(workflowEvents.caseId, old)).orderBy(workflowEvents.seq);
    expect(evs.map((e) => [e.type, e.machineVersion])).toEqual([
      ['case.start', 'case@2'],
      ['read.submit', 'case@2'],
      ['read.submit', 'case@2'],
      [MIGRATE_EVENT, 'case@3'],
      [MIGRATE_EVENT, 'case@4'],
      [MIGRATE_EVENT, 'case@5'],
      ['read.amend', 'case@5'],
    ]);
    expect(await verifyCase({ db: t.db, caseId: old })).toEqual([]);
  });
});
