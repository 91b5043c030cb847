/**
 * The scheduler: rows in the database survive a restart (a new poller fires what the old one
 * never did), failures are recorded and retried, refusals cancel; on PostgreSQL two pollers with
 * FOR UPDATE SKIP LOCKED fire each row exactly once. Also the case's PROV-JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, inArray } from 'drizzle-orm';
import { createTestDb, onPostgres, type TestDb } from './db.ts';
import { at, buildProject, rid, type Fixture } from './fixtures/workflow.ts';
import { openDatabase, type DbHandle } from '../db/client.ts';
import { mammographyDefinition } from '../seed/demo-projects.ts';
import { scheduledEvents, truthLabels, workflowEvents } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { fireDueScheduledEvents, startScheduler } from '../workflows/scheduler.ts';
import { verifyAllCases } from '../workflows/verify.ts';
import { provenanceOfCase } from '../app/models/provenance.server.ts';
import type { ProvDocument } from '../workflows/prov.ts';

let t: TestDb;
let f: Fixture;
beforeAll(async () => {
  t = await createTestDb();
  f = await buildProject(t.db, { definition: mammographyDefinition, cases: 0 });
}, 120_000);
afterAll(async () => t?.dispose());

let m = 0;
async function decidedCase(): Promise<string> {
  const c = await f.addCase();
  for (const r of f.readers.slice(0, 2))
    await sendCaseEvent({
      db: t.db,
      caseId: c,
      actorId: r,
      event: { type: 'read.submit', values: { 'left/birads': '2', 'right/birads': '1' } },
      clientRequestId: rid(),
      at: at(++m),
    });
  return c;
}
const rowsOf = (ids: string[]) => t.db.select().from(scheduledEvents).where(inArray(scheduledEvents.caseId, ids));

describe('scheduler', () => {
  it('a window that closed while the server was down fires when a new poller starts; stop() waits', async () => {
    const ids = [await decidedCase(), await decidedCase()];
    // "first server": a poller that is stopped before anything is due (the clock here is real time, 2026+; due 2025-01-15)
    const pending = (await rowsOf(ids)).filter((r) => r.status === 'pending');
    expect(pending).toHaveLength(2);
    // the poller's first tick runs at start: it fires everything due (the due time passed "while down")
    const s = startScheduler({
      db: t.db,
      intervalMs: 60_000,
      onError: (e) => {
        throw e;
      },
    });
    await s.tick();
    await s.stop();
    const after = await rowsOf(ids);
    expect(after.every((r) => r.status === 'fired' && r.attempts === 1)).toBe(true);
    const states = await t.db
      .select({ state: truthLabels.state })
      .from(truthLabels)
      .where(and(inArray(truthLabels.caseId, ids), eq(truthLabels.method, 'follow_up_window')));
    expect(states.map((x) => x.state)).toEqual(['unverified', 'unverified', 'unverified', 'unverified']);
    // a second "restart" finds nothing more to do
    expect((await fireDueScheduledEvents({ db: t.db })).fired).toBe(0);
    expect((await verifyAllCases({ db: t.db, caseIds: ids })).failures).toEqual([]);
  });

  it('refusals cancel the row with the reason; other failures are recorded and retried, then failed', async () => {
    const c = await decidedCase();
    const [row] = await rowsOf([c]);
    // a duplicate row for an already closed window is refused by the machine
    await fireDueScheduledEvents({ db: t.db, at: '2025-06-01T00:00:00Z' });
    const [dup] = await t.db
      .insert(scheduledEvents)
      .values({ caseId: c, dueAt: new Date('2025-01-01'), eventType: 'window.close' })
      .returning();
    const r = await fireDueScheduledEvents({ db: t.db, at: '2025-06-02T00:00:00Z' });
    expect(r.cancelled).toBe(1);
    const [d] = await t.db.select().from(scheduledEvents).where(eq(scheduledEvents.id, dup.id));
    expect(d).toMatchObject({ status: 'cancelled', lastError: 'refused: the follow-up window has already closed' });
    expect((await t.db.select().from(scheduledEvents).where(eq(scheduledEvents.id, row.id)))[0].status).toBe('fired');
    // an unknown case id (a failure that is not a refusal): retried until maxAttempts, then failed
    const other = await f.addCase();
    await t.db.update(scheduledEvents).set({ status: 'cancelled' }).where(eq(scheduledEvents.caseId, other));
    const [bad] = await t.db
      .insert(scheduledEvents)
      .values({ caseId: other, dueAt: new Date('2025-01-01'), eventType: 'window.close', payload: {} })
      .returning();
    // make the case's workflow unreadable for the runtime by pointing the row at a case without a workflow
    const { cases: casesT, patients } = await import('../db/schema.ts');
    const [p] = await t.db.select({ id: patients.id }).from(patients).limit(1);
    const [orphan] = await t.db
      .insert(casesT)
      .values({ projectId: f.projectId, patientId: p.id, projectVersion: 1, studyDate: '2024-01-01', externalId: `orphan-${rid()}` })
      .returning();
    await t.db.update(scheduledEvents).set({ caseId: orphan.id }).where(eq(scheduledEvents.id, bad.id));
    for (let i = 1; i <= 3; i++) {
      const x = await fireDueScheduledEvents({ db: t.db, at: '2025-06-03T00:00:00Z', maxAttempts: 3 });
      expect(i < 3 ? x.retrying : x.failed).toBe(1);
    }
    const [b] = await t.db.select().from(scheduledEvents).where(eq(scheduledEvents.id, bad.id));
    expect(b).toMatchObject({ status: 'failed', attempts: 3, lastError: expect.stringMatching(/has no workflow/) });
  });
});

describe('PROV-JSON of a case', () => {
  const KEYS = ['prefix', 'entity', 'activity', 'agent', 'wasGeneratedBy', 'used', 'wasDerivedFrom', 'wasAttributedTo', 'wasAssociatedWith'];
  function check(doc: ProvDocument) {
    expect(Object.keys(doc).every((k) => KEYS.includes(k))).toBe(true);
    const ids = new Set([...Object.keys(doc.entity), ...Object.keys(doc.activity), ...Object.keys(doc.agent)]);
    const prefixes = new Set([...Object.keys(doc.prefix), 'prov', 'xsd']);
    for (const id of ids) expect(prefixes.has(id.split(':')[0]), id).toBe(true);
    const refs: [string, string][] = [
      ['wasGeneratedBy', 'prov:entity'],
      ['wasGeneratedBy', 'prov:activity'],
      ['used', 'prov:activity'],
      ['used', 'prov:entity'],
      ['wasDerivedFrom', 'prov:generatedEntity'],
      ['wasDerivedFrom', 'prov:usedEntity'],
      ['wasAttributedTo', 'prov:entity'],
      ['wasAttributedTo', 'prov:agent'],
      ['wasAssociatedWith', 'prov:activity'],
      ['wasAssociatedWith', 'prov:agent'],
    ];
    for (const [rel, key] of refs)
      for (const r of Object.values(doc[rel as keyof ProvDocument] as Record<string, Record<string, string>>)) expect(ids.has(r[key]), `${rel}.${key} → ${r[key]}`).toBe(true);
  }

  it('reads, evidence, truth versions, reviews; events as activities; pseudonymised people; rules as agents', async () => {
    const c = await f.addCase();
    for (const r of f.readers.slice(0, 2))
      await sendCaseEvent({
        db: t.db,
        caseId: c,
        actorId: r,
        event: { type: 'read.submit', values: { 'left/birads': '2', 'right/birads': '2' } },
        clientRequestId: rid(),
        at: at(++m),
      });
    await sendCaseEvent({
      db: t.db,
      caseId: c,
      actorId: f.lead,
      event: { type: 'evidence.record', kind: 'follow_up', date: '2024-06-01', resultCode: 'negative' },
      clientRequestId: rid(),
      at: at(++m),
    });
    await sendCaseEvent({
      db: t.db,
      caseId: c,
      actorId: f.lead,
      event: { type: 'evidence.record', finding: 'left', kind: 'pathology', date: '2024-07-01', resultCode: 'malignant', text: 'IDC' },
      clientRequestId: rid(),
      at: at(++m),
    });
    await sendCaseEvent({
      db: t.db,
      caseId: c,
      actorId: f.lead,
      event: { type: 'discordance.close', outcome: 'truth_changed', reason: 'interval cancer' },
      clientRequestId: rid(),
      at: at(++m),
    });
    const doc = (await provenanceOfCase({ caseId: c, db: t.db }))!;
    check(doc);
    const text = JSON.stringify(doc);
    for (const u of [...f.readers, f.lead]) expect(text).not.toContain(u);
    const types = (o: Record<string, Record<string, unknown>>) => Object.values(o).map((x) => (x['prov:type'] as { $: string }).$);
    expect(types(doc.activity)).toEqual(expect.arrayContaining(['tl:CaseStart', 'tl:Reading', 'tl:EvidenceEntry', 'tl:Review']));
    expect(types(doc.entity).filter((x) => x === 'tl:TruthLabel').length).toBeGreaterThanOrEqual(5);
    expect(types(doc.entity)).toEqual(expect.arrayContaining(['tl:Read', 'tl:Evidence', 'tl:Review']));
    const agents = Object.values(doc.agent);
    expect(agents.filter((a) => a['tl:role'] === 'reader')).toHaveLength(2);
    expect(agents.map((a) => a['tl:ruleVersion']).filter(Boolean)).toEqual(expect.arrayContaining(['evidence-rules@1']));
    const events = await t.db.select().from(workflowEvents).where(eq(workflowEvents.caseId, c));
    expect(Object.keys(doc.activity)).toHaveLength(events.length);
  });
});

describe.skipIf(!onPostgres())('two pollers on PostgreSQL (FOR UPDATE SKIP LOCKED)', () => {
  let second: DbHandle;
  beforeAll(async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = `/${t.where.split('/').pop()}`;
    second = await openDatabase({ url: url.toString(), max: 5 });
  });
  afterAll(async () => second?.close());

  it('fire each due row exactly once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await decidedCase());
    const when = '2025-03-01T00:00:00Z';
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => fireDueScheduledEvents({ db: i % 2 ? second.db : t.db, at: when, limit: 3 })));
    // keep polling until drained (as the server's loop does)
    let more = 1;
    while (more)
      more = (await Promise.all([fireDueScheduledEvents({ db: t.db, at: when, limit: 3 }), fireDueScheduledEvents({ db: second.db, at: when, limit: 3 })])).reduce(
        (a, r) => a + r.fired,
        0,
      );
    const firedIds = runs.flatMap((r) => r.ids);
    expect(new Set(firedIds).size).toBe(firedIds.length);
    const rows = await rowsOf(ids);
    expect(rows.every((r) => r.status === 'fired' && r.attempts === 1)).toBe(true);
    const closes = await t.db
      .select()
      .from(workflowEvents)
      .where(and(inArray(workflowEvents.caseId, ids), eq(workflowEvents.type, 'window.close')));
    expect(closes).toHaveLength(12);
    expect((await verifyAllCases({ db: t.db, caseIds: ids })).failures).toEqual([]);
  });
});
