import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { at, biradsDefinition, buildProject, multiLabelDefinition, pneumothoraxDefinition, rid, type Fixture } from './fixtures/workflow.ts';
import { auditLog, caseWorkflows, reads, reviews, truthLabels, workflowEvents } from '../db/schema.ts';
import { sendCaseEvent, getCaseWorkflow } from '../workflows/runtime.ts';
import { EventRefused, AppError } from '../domain/errors.ts';
import { verifyAllCases, verifyCase } from '../workflows/verify.ts';
import type { CaseCommand } from '../workflows/commands.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.dispose());

const send = (caseId: string, actorId: string, event: CaseCommand, minute = 1, clientRequestId = rid()) =>
  sendCaseEvent({ caseId, actorId, event, clientRequestId, at: at(minute) });

async function truthOf(caseId: string) {
  return t.db.select().from(truthLabels).where(eq(truthLabels.caseId, caseId)).orderBy(truthLabels.findingId, truthLabels.version);
}
async function counts(caseId: string) {
  const q = async (table: typeof reads | typeof workflowEvents | typeof truthLabels | typeof reviews | typeof auditLog) =>
    (await t.db.select({ n: sql<number>`count(*)::int` }).from(table).where(eq(table.caseId, caseId)))[0].n;
  const [wf] = await t.db.select().from(caseWorkflows).where(eq(caseWorkflows.caseId, caseId));
  return { reads: await q(reads), events: await q(workflowEvents), truth: await q(truthLabels), reviews: await q(reviews), audit: await q(auditLog), wf };
}

describe('pneumothorax: 2 readers, adjudication on disagreement', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 2 });
  });

  it('agreement decides with a verified truth, in one transaction per event', async () => {
    const [c] = f.caseIds;
    const r1 = await send(c, f.readers[0], { type: 'read.submit', values: { pneumothorax: true }, comment: 'apical', confidence: 80 }, 1);
    expect(r1).toMatchObject({ status: 'applied', seq: 2, state: 'awaitingReads' });
    const r2 = await send(c, f.readers[1], { type: 'read.submit', values: { pneumothorax: true } }, 2);
    expect(r2.state).toBe('decided');
    const [truth] = await truthOf(c);
    expect(truth).toMatchObject({ version: 1, state: 'verified', value: { pneumothorax: true }, method: 'consensus', policyVersion: 1, eventSeq: 3 });
    expect(truth.derivedFromReads).toEqual([r1.readId, r2.readId]);
    const [row] = await t.db.select().from(reads).where(eq(reads.id, r1.readId!));
    expect(row).toMatchObject({ comment: 'apical', confidence: 80, source: 'reader', authorId: f.readers[0] });
    // The comment stays out of the chain.
    const evs = await t.db.select().from(workflowEvents).where(eq(workflowEvents.caseId, c));
    expect(JSON.stringify(evs.map((e) => e.payload))).not.toContain('apical');
    expect(await verifyCase({ db: t.db, caseId: c })).toEqual([]);
  });

  it('disagreement → adjudication → decided with the rationale', async () => {
    const c = f.caseIds[1];
    await send(c, f.readers[0], { type: 'read.submit', values: { pneumothorax: true } }, 1);
    const r2 = await send(c, f.readers[1], { type: 'read.submit', values: { pneumothorax: false } }, 2);
    expect(r2.state).toBe('adjudication');
    await expect(send(c, f.readers[0], { type: 'adjudication.decide', pickReadId: r2.readId, rationale: 'x' }, 3)).rejects.toMatchObject({ code: 'forbidden' });
    const done = await send(c, f.adjudicators[0], { type: 'adjudication.decide', pickReadId: r2.readId, rationale: 'skin fold, no pleural line' }, 4);
    expect(done.state).toBe('decided');
    const [truth] = await truthOf(c);
    expect(truth).toMatchObject({ method: 'adjudication', deciderId: f.adjudicators[0], rationale: 'skin fold, no pleural line', value: { pneumothorax: false } });
    const [adjRead] = await t.db
      .select()
      .from(reads)
      .where(and(eq(reads.caseId, c), eq(reads.source, 'adjudicator')));
    expect(adjRead.values).toEqual({ pneumothorax: false });
    expect(truth.derivedFromReads).toContain(adjRead.id);
    expect(await verifyCase({ db: t.db, caseId: c })).toEqual([]);
  });
});

describe('BI-RADS per breast, ordinal d = 1, threshold 3|4', () => {
  it('decides each breast; a 3|4 split goes to adjudication of that breast only', async () => {
    const f = await buildProject(t.db, { definition: biradsDefinition(), cases: 2 });
    const [a, b] = f.caseIds;
    await send(a, f.readers[0], { type: 'read.submit', values: { 'left/birads': '1', 'right/birads': '4' } });
    expect((await send(a, f.readers[1], { type: 'read.submit', values: { 'left/birads': '2', 'right/birads': '5' } })).state).toBe('decided');
    const ta = await truthOf(a);
    expect(ta).toHaveLength(2);
    // Evidence reference standard: the readers are the test, so their consensus is a pending truth.
    expect(ta.map((x) => [x.state, x.method, x.value])).toEqual(
      expect.arrayContaining([
        ['pending', 'reader_consensus', { birads: '2' }],
        ['pending', 'reader_consensus', { birads: '5' }],
      ]),
    );
    await send(b, f.readers[0], { type: 'read.submit', values: { 'left/birads': '2', 'right/birads': '3' } });
    expect((await send(b, f.readers[1], { type: 'read.submit', values: { 'left/birads': '2', 'right/birads': '4' } })).state).toBe('adjudication');
    const wf = await getCaseWorkflow({ caseId: b });
    expect(wf?.context.evaluation?.disputes).toEqual([expect.objectContaining({ item: 'right/birads', rule: 'ordinal_threshold' })]);
    await expect(send(b, f.adjudicators[0], { type: 'adjudication.decide', values: { 'right/birads': '9' }, rationale: 'r' })).rejects.toMatchObject({ code: 'invalid' });
    await send(b, f.adjudicators[0], { type: 'adjudication.decide', values: { 'right/birads': '4' }, rationale: 'irregular margin' });
    expect((await verifyAllCases({ db: t.db, caseIds: f.caseIds })).failures).toEqual([]);
  });
});

describe('2+1 and multi-label', () => {
  it('2+1: a third reader only on disagreement, then majority', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition({ onDisagreement: 'extra_reader' }) });
    const [c] = f.caseIds;
    await send(c, f.readers[0], { type: 'read.submit', values: { pneumothorax: true } });
    expect((await send(c, f.readers[1], { type: 'read.submit', values: { pneumothorax: false } })).state).toBe('awaitingReads');
    expect((await send(c, f.readers[2], { type: 'read.submit', values: { pneumothorax: false } })).state).toBe('decided');
    expect((await truthOf(c))[0]).toMatchObject({ method: 'majority', value: { pneumothorax: false } });
    expect(await verifyCase({ db: t.db, caseId: c })).toEqual([]);
  });

  it('multi-label: only the labels in dispute are adjudicated', async () => {
    const f = await buildProject(t.db, { definition: multiLabelDefinition() });
    const [c] = f.caseIds;
    await send(c, f.readers[0], { type: 'read.submit', values: { findings: ['effusion', 'nodule'], size_mm: 8 } });
    const r = await send(c, f.readers[1], { type: 'read.submit', values: { findings: ['effusion'], size_mm: 9 } });
    expect(r.state).toBe('adjudication');
    const wf = await getCaseWorkflow({ caseId: c });
    expect(wf?.context.evaluation?.disputes.map((d) => `${d.item}#${d.label}`)).toEqual(['findings#nodule']);
    await send(c, f.adjudicators[0], { type: 'adjudication.decide', values: { findings: ['nodule'] }, rationale: 'nodule in RUL' });
    expect((await truthOf(c))[0].value).toEqual({ findings: ['effusion', 'nodule'], size_mm: 8.5 });
  });
});

describe('cannot assess', () => {
  it('two cannot-assess reads open an exclusion review; the lead confirms', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition() });
    const [c] = f.caseIds;
    await expect(send(c, f.readers[0], { type: 'read.submit', values: null })).rejects.toMatchObject({ code: 'invalid' });
    await send(c, f.readers[0], { type: 'read.submit', values: null, cannotAssessReason: 'cropped' });
    await send(c, f.readers[1], { type: 'read.submit', values: { pneumothorax: true } });
    expect((await send(c, f.readers[2], { type: 'read.submit', values: null, cannotAssessReason: 'motion' })).state).toBe('exclusionReview');
    const [review] = await t.db.select().from(reviews).where(eq(reviews.caseId, c));
    expect(review).toMatchObject({ kind: 'exclusion', outcome: null });
    await expect(send(c, f.readers[3], { type: 'exclusion.resolve', exclude: true, reason: 'x' })).rejects.toMatchObject({ code: 'forbidden' });
    expect((await send(c, f.lead, { type: 'exclusion.resolve', exclude: true, reason: 'non-diagnostic' })).state).toBe('excluded');
    const [closed] = await t.db.select().from(reviews).where(eq(reviews.caseId, c));
    expect(closed).toMatchObject({ outcome: 'excluded', outcomeReason: 'non-diagnostic', closedBy: f.lead });
    expect((await truthOf(c))[0]).toMatchObject({ state: 'excluded', value: null });
    const [ca] = await t.db
      .select()
      .from(reads)
      .where(and(eq(reads.caseId, c), eq(reads.authorId, f.readers[0])));
    expect(ca).toMatchObject({ values: null, cannotAssessReason: 'cropped' });
    expect(await verifyCase({ db: t.db, caseId: c })).toEqual([]);
  });
});

describe('idempotency, refusals, atomicity', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 3 });
  });

  it('a repeated client request id is acknowledged and records one read', async () => {
    const [c] = f.caseIds;
    const id = rid();
    const a = await send(c, f.readers[0], { type: 'read.submit', values: { pneumothorax: true } }, 1, id);
    const before = await counts(c);
    const b = await send(c, f.readers[0], { type: 'read.submit', values: { pneumothorax: true } }, 2, id);
    expect(a.status).toBe('applied');
    expect(b).toMatchObject({ status: 'duplicate', seq: a.seq, readId: a.readId });
    expect(await counts(c)).toEqual(before);
    expect(before.reads).toBe(1);
    await expect(send(f.caseIds[1], f.readers[0], { type: 'read.submit', values: { pneumothorax: true } }, 3, id)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('a refused event changes nothing and says why', async () => {
    const [c] = f.caseIds;
    const before = await counts(c);
    const err = await send(c, f.readers[0], { type: 'read.submit', values: { pneumothorax: false } }).catch((e) => e);
    expect(err).toBeInstanceOf(EventRefused);
    expect(err.message).toMatch(/already read/);
    await expect(send(c, f.lead, { type: 'case.reopen', reason: 'x' })).rejects.toThrow(/does not accept case.reopen/);
    await expect(send(c, f.readers[1], { type: 'read.submit', values: { pneumothorax: 'yes' } as never })).rejects.toBeInstanceOf(AppError);
    await expect(send(c, f.readers[1], { type: 'read.submit', values: { pneumothorax: true, extra: 1 } as never })).rejects.toMatchObject({ code: 'invalid' });
    expect(await counts(c)).toEqual(before);
  });

  it('a failure inside an effect rolls the whole event back', async () => {
    const c = f.caseIds[2];
    await send(c, f.readers[0], { type: 'read.submit', values: { pneumothorax: true } });
    const before = await counts(c);
    const boom = sendCaseEvent({
      caseId: c,
      actorId: f.readers[1],
      event: { type: 'read.submit', values: { pneumothorax: true } },
      clientRequestId: rid(),
      at: at(5),
      effectHandler: async (tx, effect, ctx) => {
        const { applyEffect } = await import('../workflows/effects.ts');
        await applyEffect(tx, effect, ctx);
        if (effect.type === 'truth.write') throw new Error('disk on fire');
      },
    });
    await expect(boom).rejects.toThrow('disk on fire');
    expect(await counts(c)).toEqual(before);
    expect((await send(c, f.readers[1], { type: 'read.submit', values: { pneumothorax: true } }, 6)).state).toBe('decided');
    expect(await verifyCase({ db: t.db, caseId: c })).toEqual([]);
  });
});

describe('amendments and reopening', () => {
  it('a reader replaces their own read while reads come in; after the decision an amendment is recorded but counts for nothing', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition() });
    const [c] = f.caseIds;
    const r1 = await send(c, f.readers[0], { type: 'read.submit', values: { pneumothorax: true } });
    await expect(send(c, f.readers[1], { type: 'read.amend', supersedesReadId: r1.readId!, values: { pneumothorax: false }, reason: 'mine' })).rejects.toThrow(/only the reader/);
    const a1 = await send(c, f.readers[0], { type: 'read.amend', supersedesReadId: r1.readId!, values: { pneumothorax: false }, reason: 'skin fold' });
    const rows = await t.db.select().from(reads).where(eq(reads.caseId, c));
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.id === a1.readId)).toMatchObject({ supersedesId: r1.readId, amendmentReason: 'skin fold', values: { pneumothorax: false } });
    await send(c, f.readers[1], { type: 'read.submit', values: { pneumothorax: false } });
    const late = await send(c, f.readers[0], { type: 'read.amend', supersedesReadId: a1.readId!, values: { pneumothorax: true }, reason: 'late' });
    expect(late.state).toBe('decided');
    expect((await truthOf(c)).map((x) => x.version)).toEqual([1]);
    // The lead reopens: truth v2 pending, then a new round decides v3.
    await expect(send(c, f.readers[0], { type: 'case.reopen', reason: 'x' })).rejects.toMatchObject({ code: 'forbidden' });
    expect((await send(c, f.lead, { type: 'case.reopen', reason: 'prior exam found' })).state).toBe('awaitingReads');
    await send(c, f.readers[2], { type: 'read.submit', values: { pneumothorax: true } });
    await send(c, f.readers[0], { type: 'read.submit', values: { pneumothorax: true } });
    const truth = await truthOf(c);
    expect(truth.map((x) => [x.version, x.state, x.method])).toEqual([
      [1, 'verified', 'consensus'],
      [2, 'pending', 'reopened'],
      [3, 'verified', 'consensus'],
    ]);
    expect(truth[2].supersedesId).toBe(truth[1].id);
    expect(await verifyCase({ db: t.db, caseId: c })).toEqual([]);
  });
});
