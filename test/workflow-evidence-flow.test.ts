/**
 * Truth from evidence through the runtime and the database: the mammography flow,
 * follow-up windows and the scheduler, discordance reviews with every outcome, withdrawal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, asc, eq, isNull } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { at, buildProject, rid, type Fixture } from './fixtures/workflow.ts';
import { mammographyDefinition } from '../seed/demo-projects.ts';
import { projectDefinitionSchema } from '../workflows/definition.ts';
import { cases, evidence, findings, reads, reviews, scheduledEvents, truthLabels, workflowEvents } from '../db/schema.ts';
import { sendCaseEvent, getCaseWorkflow } from '../workflows/runtime.ts';
import { fireDueScheduledEvents } from '../workflows/scheduler.ts';
import { verifyCase } from '../workflows/verify.ts';
import type { CaseCommand } from '../workflows/commands.ts';

let t: TestDb;
let f: Fixture;
let lost: Fixture;
const def = projectDefinitionSchema.parse({
  ...mammographyDefinition,
  mapping: { ...mammographyDefinition.mapping, expectation: { field: 'birads', positive: ['5'], negative: ['1'] } },
});

beforeAll(async () => {
  t = await createTestDb();
  f = await buildProject(t.db, { definition: def, cases: 0 });
  lost = await buildProject(t.db, {
    definition: projectDefinitionSchema.parse({ ...def, truthPolicy: { ...def.truthPolicy, followUpWindow: { startDays: 0, endDays: 365, onClose: 'lost_to_follow_up' } } }),
    cases: 0,
  });
}, 120_000);
afterAll(async () => t?.dispose());

let minute = 0;
const send = (caseId: string, actorId: string, event: CaseCommand, when?: string) =>
  sendCaseEvent({ db: t.db, caseId, actorId, event, clientRequestId: rid(), at: when ?? at(++minute) });

async function decided(fx: Fixture, left: string, right: string): Promise<string> {
  const c = await fx.addCase();
  await send(c, fx.readers[0], { type: 'read.submit', values: { 'left/birads': left, 'right/birads': right } });
  const r = await send(c, fx.readers[1], { type: 'read.submit', values: { 'left/birads': left, 'right/birads': right } });
  expect(r.state).toBe('decided');
  return c;
}

async function truth(caseId: string) {
  const rows = await t.db
    .select({
      key: findings.key,
      version: truthLabels.version,
      state: truthLabels.state,
      value: truthLabels.value,
      method: truthLabels.method,
      ev: truthLabels.derivedFromEvidence,
      rationale: truthLabels.rationale,
      decider: truthLabels.deciderId,
    })
    .from(truthLabels)
    .leftJoin(findings, eq(findings.id, truthLabels.findingId))
    .where(eq(truthLabels.caseId, caseId))
    .orderBy(asc(truthLabels.version));
  const cur: Record<string, (typeof rows)[number]> = {};
  for (const r of rows) cur[r.key ?? 'case'] = r;
  return { rows, cur };
}

const ok = async (caseId: string) => expect(await verifyCase({ db: t.db, caseId })).toEqual([]);

describe('mammography: truth from pathology and follow-up', () => {
  it('readers → pending consensus → pathology malignant left → verified positive left; right still pending', async () => {
    const c = await decided(f, '4', '1');
    let tr = await truth(c);
    expect(tr.cur.left).toMatchObject({ state: 'pending', method: 'reader_consensus' });
    const r = await send(c, f.lead, {
      type: 'evidence.record',
      finding: 'left',
      kind: 'pathology',
      date: '2024-02-10',
      resultCode: 'malignant',
      text: 'Invasive ductal carcinoma, grade 2. Patient Jane Doe.',
    });
    expect(r.evidenceId).toBeTruthy();
    expect(r.state).toBe('decided');
    tr = await truth(c);
    expect(tr.cur.left).toMatchObject({ state: 'verified', value: { malignant_12m: true }, method: 'evidence:pathology', ev: [r.evidenceId], decider: f.lead });
    expect(tr.cur.right).toMatchObject({ state: 'pending' });
    // the text and the date stay out of the chain; the row has them
    const [e] = await t.db
      .select()
      .from(workflowEvents)
      .where(and(eq(workflowEvents.caseId, c), eq(workflowEvents.type, 'evidence.record')));
    expect(JSON.stringify(e.payload)).not.toMatch(/Jane|carcinoma|2024-02-10/);
    expect(e.payload).toMatchObject({ kind: 'pathology', resultCode: 'malignant', dayOffset: 26 });
    const [row] = await t.db.select().from(evidence).where(eq(evidence.id, r.evidenceId!));
    expect(row).toMatchObject({ text: expect.stringContaining('carcinoma'), evidenceDate: '2024-02-10', enteredBy: f.lead });

    // negative follow-up inside the window: right becomes negative; left keeps pathology (higher precedence)
    await send(c, f.lead, { type: 'evidence.record', kind: 'follow_up', date: '2024-12-01', resultCode: 'negative' });
    tr = await truth(c);
    expect(tr.cur.right).toMatchObject({ state: 'verified', value: { malignant_12m: false }, method: 'evidence:follow_up' });
    expect(tr.cur.left).toMatchObject({ state: 'verified', value: { malignant_12m: true } });
    await ok(c);
  });

  it('follow-up outside the window is recorded with no effect; the window then closes → unverified (never negative)', async () => {
    const c = await decided(f, '2', '2');
    const [sched] = await t.db.select().from(scheduledEvents).where(eq(scheduledEvents.caseId, c));
    expect(sched).toMatchObject({ eventType: 'window.close', status: 'pending' });
    expect(sched.dueAt.toISOString()).toBe('2025-01-15T00:00:00.000Z'); // study 2024-01-15 + 366 days (2024 is a leap year)
    const r = await send(c, f.lead, { type: 'evidence.record', kind: 'follow_up', date: '2025-01-15', resultCode: 'negative' }); // day 366
    expect(r.state).toBe('decided');
    expect((await truth(c)).cur.left.state).toBe('pending');
    expect(await t.db.select().from(evidence).where(eq(evidence.caseId, c))).toHaveLength(1);

    // not yet due
    expect((await fireDueScheduledEvents({ db: t.db, at: '2025-01-14T23:59:59Z' })).ids).not.toContain(sched.id);
    const fired = await fireDueScheduledEvents({ db: t.db, at: '2025-01-15T00:00:00Z' });
    expect(fired.ids).toContain(sched.id);
    const tr = await truth(c);
    expect(tr.cur.left).toMatchObject({ state: 'unverified', value: null, method: 'follow_up_window' });
    expect(tr.cur.right).toMatchObject({ state: 'unverified', value: null });
    const [after] = await t.db.select().from(scheduledEvents).where(eq(scheduledEvents.id, sched.id));
    expect(after).toMatchObject({ status: 'fired', attempts: 1 });
    // the machine got the time inside the event; no actor
    const [ev] = await t.db
      .select()
      .from(workflowEvents)
      .where(and(eq(workflowEvents.caseId, c), eq(workflowEvents.type, 'window.close')));
    expect(ev).toMatchObject({ actorId: null, occurredAt: '2025-01-15T00:00:00.000Z' });
    // pathology dated inside the window arriving late still verifies
    await send(c, f.lead, { type: 'evidence.record', finding: 'right', kind: 'pathology', date: '2024-11-30', resultCode: 'malignant' });
    expect((await truth(c)).cur.right).toMatchObject({ state: 'verified', value: { malignant_12m: true } });
    await ok(c);
  });

  it('lost to follow-up per policy; a window that closed before the decision applies at the decision', async () => {
    const c = await lost.addCase();
    await fireDueScheduledEvents({ db: t.db, at: '2025-02-01T00:00:00Z' });
    expect((await getCaseWorkflow({ caseId: c, db: t.db }))!.context.windowClosedAt).toBe('2025-02-01T00:00:00.000Z');
    await send(c, lost.readers[0], { type: 'read.submit', values: { 'left/birads': '1', 'right/birads': '1' } });
    await send(c, lost.readers[1], { type: 'read.submit', values: { 'left/birads': '1', 'right/birads': '1' } });
    const tr = await truth(c);
    expect(tr.cur.left).toMatchObject({ state: 'lost_to_follow_up', method: 'follow_up_window' });
    await ok(c);
  });

  it('evidence before the decision is folded in at the decision; users cannot close windows', async () => {
    const c = await f.addCase();
    await send(c, f.lead, { type: 'evidence.record', finding: 'right', kind: 'pathology', date: '2024-02-01', resultCode: 'malignant' });
    await expect(send(c, f.readers[0], { type: 'evidence.record', kind: 'pathology', date: '2024-02-01', resultCode: 'benign' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(send(c, f.lead, { type: 'window.close' } as never)).rejects.toMatchObject({ code: 'invalid' });
    await send(c, f.readers[0], { type: 'read.submit', values: { 'left/birads': '2', 'right/birads': '4' } });
    await send(c, f.readers[1], { type: 'read.submit', values: { 'left/birads': '2', 'right/birads': '4' } });
    const tr = await truth(c);
    expect(tr.cur.right).toMatchObject({ state: 'verified', value: { malignant_12m: true } });
    expect(tr.cur.left).toMatchObject({ state: 'pending' });
    await ok(c);
  });
});

describe('discordance', () => {
  async function discordant(): Promise<{ c: string; leftId: string; evId: string }> {
    // BI-RADS 5 with a benign core biopsy: radiologic–pathologic discordance
    const c = await decided(f, '5', '1');
    const r = await send(c, f.lead, { type: 'evidence.record', finding: 'left', kind: 'pathology', date: '2024-02-01', resultCode: 'benign' });
    expect(r.state).toBe('discordant');
    const tr = await truth(c);
    expect(tr.cur.left).toMatchObject({ state: 'discordant', method: 'discordance' });
    const [leftRow] = await t.db
      .select()
      .from(findings)
      .where(and(eq(findings.caseId, c), eq(findings.key, 'left')));
    const [rev] = await t.db
      .select()
      .from(reviews)
      .where(and(eq(reviews.caseId, c), isNull(reviews.closedAt)));
    expect(rev).toMatchObject({ kind: 'discordance', findingId: leftRow.id, evidenceId: r.evidenceId });
    return { c, leftId: leftRow.id, evId: r.evidenceId! };
  }

  it('never changes truth before its review closes: further evidence is held', async () => {
    const { c } = await discordant();
    const before = (await truth(c)).rows.length;
    await send(c, f.lead, { type: 'evidence.record', finding: 'left', kind: 'surgery', date: '2024-03-01', resultCode: 'malignant' });
    expect((await truth(c)).rows.length).toBe(before);
    expect((await getCaseWorkflow({ caseId: c, db: t.db }))!.state).toBe('discordant');
    await expect(send(c, f.lead, { type: 'case.reopen', reason: 'x' })).rejects.toMatchObject({ code: 'refused' });
    await ok(c);
  });

  const expected: Record<string, { state: string; value: unknown }> = {
    concordant: { state: 'verified', value: { malignant_12m: false } },
    truth_changed: { state: 'verified', value: { malignant_12m: false } },
    upgraded: { state: 'verified', value: { malignant_12m: true } },
    resample: { state: 'pending', value: null },
    excision_pending: { state: 'pending', value: null },
  };
  for (const [outcome, want] of Object.entries(expected)) {
    it(`closes with ${outcome}: outcome, reason and who are provenance`, async () => {
      const { c, leftId } = await discordant();
      await expect(send(c, f.readers[0], { type: 'discordance.close', outcome: outcome as 'concordant', reason: 'x' })).rejects.toMatchObject({ code: 'forbidden' });
      const r = await send(c, f.lead, { type: 'discordance.close', findingId: leftId, outcome: outcome as 'concordant', reason: `rad-path conference: ${outcome}` });
      expect(r.state).toBe('decided');
      const tr = await truth(c);
      expect(tr.cur.left).toMatchObject({ ...want, method: `discordance_review:${outcome}`, rationale: `rad-path conference: ${outcome}`, decider: f.lead });
      const [rev] = await t.db.select().from(reviews).where(eq(reviews.caseId, c));
      expect(rev).toMatchObject({ outcome, outcomeReason: `rad-path conference: ${outcome}`, closedBy: f.lead });
      const [ev] = await t.db
        .select()
        .from(workflowEvents)
        .where(and(eq(workflowEvents.caseId, c), eq(workflowEvents.type, 'discordance.close')));
      expect(ev).toMatchObject({ actorId: f.lead, payload: { outcome, reason: `rad-path conference: ${outcome}`, findingId: leftId } });
      await ok(c);
    });
  }

  it('evidence contradicting verified truth opens a review; truth_changed with an explicit value', async () => {
    const c = await decided(f, '2', '2');
    await send(c, f.lead, { type: 'evidence.record', kind: 'follow_up', date: '2024-06-01', resultCode: 'negative' });
    expect((await truth(c)).cur.left).toMatchObject({ state: 'verified', value: { malignant_12m: false } });
    const r = await send(c, f.lead, { type: 'evidence.record', finding: 'left', kind: 'pathology', date: '2024-09-01', resultCode: 'malignant' });
    expect(r.state).toBe('discordant');
    expect((await truth(c)).cur.right).toMatchObject({ state: 'verified', value: { malignant_12m: false } });
    await expect(send(c, f.lead, { type: 'discordance.close', outcome: 'concordant', value: true, reason: 'x' })).rejects.toMatchObject({ code: 'refused' });
    await send(c, f.lead, { type: 'discordance.close', outcome: 'truth_changed', value: true, reason: 'interval cancer confirmed' });
    expect((await truth(c)).cur.left).toMatchObject({ state: 'verified', value: { malignant_12m: true } });
    await ok(c);
  });
});

describe('withdrawal', () => {
  it('purges identifying data in the same transaction; the chain keeps its hashes and verify passes; nothing more is accepted', async () => {
    const c = await decided(f, '4', '2');
    await t.db
      .update(cases)
      .set({ studyInstanceUid: '1.2.3.4', images: ['https://img/1.png'], metadata: { site: 'A' } })
      .where(eq(cases.id, c));
    await send(c, f.lead, { type: 'evidence.record', finding: 'left', kind: 'pathology', date: '2024-02-01', resultCode: 'malignant', text: 'Name: Jane Doe' });
    await send(c, f.lead, { type: 'evidence.record', kind: 'report', date: '2024-02-02', text: 'free text only' });
    const chainBefore = await t.db.select({ hash: workflowEvents.hash }).from(workflowEvents).where(eq(workflowEvents.caseId, c)).orderBy(asc(workflowEvents.seq));
    await expect(send(c, f.readers[0], { type: 'case.withdraw', reason: 'consent withdrawn' })).rejects.toMatchObject({ code: 'forbidden' });
    const r = await send(c, f.lead, { type: 'case.withdraw', reason: 'consent withdrawn' });
    expect(r.state).toBe('withdrawn');
    const [row] = await t.db.select().from(cases).where(eq(cases.id, c));
    expect(row).toMatchObject({ externalId: null, studyInstanceUid: null, images: [], metadata: {} });
    expect(row.withdrawnAt).toBeInstanceOf(Date);
    const evs = await t.db.select().from(evidence).where(eq(evidence.caseId, c));
    expect(evs.map((e) => e.text).sort()).toEqual(['(purged: case withdrawn)', null].sort());
    expect((await t.db.select().from(reads).where(eq(reads.caseId, c))).every((x) => x.comment === null)).toBe(true);
    const [s] = await t.db.select().from(scheduledEvents).where(eq(scheduledEvents.caseId, c));
    expect(s.status).toBe('cancelled');
    const chainAfter = await t.db.select({ hash: workflowEvents.hash }).from(workflowEvents).where(eq(workflowEvents.caseId, c)).orderBy(asc(workflowEvents.seq));
    expect(chainAfter.slice(0, chainBefore.length)).toEqual(chainBefore);
    await ok(c);
    await expect(send(c, f.lead, { type: 'evidence.record', kind: 'pathology', date: '2024-02-01', resultCode: 'benign' })).rejects.toMatchObject({ code: 'refused' });
    // tampering with a non-withdrawn case's evidence text is caught by the digest
    const c2 = await decided(f, '2', '2');
    const e2 = await send(c2, f.lead, { type: 'evidence.record', kind: 'report', date: '2024-02-02', resultCode: 'birads-2', text: 'original' });
    await t.db.update(evidence).set({ text: 'edited' }).where(eq(evidence.id, e2.evidenceId!));
    expect((await verifyCase({ db: t.db, caseId: c2 })).join('\n')).toMatch(/does not match the chained digest/);
  });
});
