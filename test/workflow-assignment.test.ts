import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, inArray } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { at, buildProject, pneumothoraxDefinition, rid } from './fixtures/workflow.ts';
import { assignments } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { adjudicationQueueForUser, claimAdjudication, nextCaseForReader, RequestAborted } from '../workflows/assignment.ts';
import { caseOrderKey, readerStartKey } from '../workflows/queue-columns.ts';
import { readerOrder } from './fixtures/reader-order.ts';

/** The reader's order through the fixture's cases (the reference, computed without the database). */
const orderFor = (f: { projectId: string; caseIds: string[] }, userId: string) =>
  readerOrder(
    f.caseIds.map((id) => ({ id, key: caseOrderKey(f.projectId, id) })),
    readerStartKey(f.projectId, userId),
  );

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.dispose());

describe('nextCaseForReader', () => {
  it("walks the reader's seeded order: one current and one reserved next, never a case read, never beyond readersPerCase", async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition({ assignmentExpiryHours: 2 }), cases: 3, readers: 4 });
    const [r1, r2, r3, r4] = f.readers;
    const a1 = await nextCaseForReader({ projectId: f.projectId, userId: r1, at: at(1) });
    expect(a1).toMatchObject({ caseId: orderFor(f, r1)[0], reused: false, next: { caseId: orderFor(f, r1)[1] } });
    expect(a1!.expiresAt!.toISOString()).toBe(at(121));
    // Asking again returns the same current and next.
    expect(await nextCaseForReader({ projectId: f.projectId, userId: r1, at: at(2) })).toMatchObject({
      assignmentId: a1!.assignmentId,
      reused: true,
      next: { assignmentId: a1!.next!.assignmentId },
    });
    const a2 = await nextCaseForReader({ projectId: f.projectId, userId: r2, at: at(2) });
    expect(a2!.caseId).toBe(orderFor(f, r2)[0]);
    await sendCaseEvent({ caseId: a1!.caseId, actorId: r1, event: { type: 'read.submit', values: { pneumothorax: true } }, clientRequestId: rid(), at: at(3) });
    const [done] = await t.db.select().from(assignments).where(eq(assignments.id, a1!.assignmentId));
    expect(done.status).toBe('completed');
    // The reserved next becomes current; the one after it is reserved.
    const a3 = await nextCaseForReader({ projectId: f.projectId, userId: r1, at: at(4) });
    expect(a3).toMatchObject({ assignmentId: a1!.next!.assignmentId, caseId: orderFor(f, r1)[1], next: { caseId: orderFor(f, r1)[2] } });
    // Every case holds readersPerCase (2) reads or claims at most.
    for (const r of [r3, r4]) await nextCaseForReader({ projectId: f.projectId, userId: r, at: at(5) });
    const open = await t.db
      .select()
      .from(assignments)
      .where(and(inArray(assignments.caseId, f.caseIds), eq(assignments.status, 'open')));
    for (const c of f.caseIds) expect(open.filter((a) => a.caseId === c).length + (c === a1!.caseId ? 1 : 0)).toBeLessThanOrEqual(2);
    const perReader = new Map<string, string[]>();
    for (const a of open) perReader.set(a.userId, [...(perReader.get(a.userId) ?? []), a.slot!]);
    for (const slots of perReader.values()) expect(slots.sort()).toEqual(slots.length === 2 ? ['current', 'next'] : ['current']);
    expect(open.some((a) => a.userId === r1 && a.caseId === a1!.caseId)).toBe(false);
  });

  it('fixed order: every reader meets the cases in import order', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition({ caseOrder: 'fixed', readersPerCase: 3 }), cases: 3, readers: 2 });
    for (const r of f.readers)
      expect(await nextCaseForReader({ projectId: f.projectId, userId: r, at: at(1) })).toMatchObject({ caseId: f.caseIds[0], next: { caseId: f.caseIds[1] } });
  });

  it('a request whose client went away assigns nothing (rolled back before commit)', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 2 });
    const [r1] = f.readers;
    // Still connected when the request starts, gone by the time the choice would be committed.
    let checks = 0;
    const leaving = {
      get aborted() {
        return ++checks > 1;
      },
    } as AbortSignal;
    await expect(nextCaseForReader({ projectId: f.projectId, userId: r1, at: at(1), signal: leaving })).rejects.toBeInstanceOf(RequestAborted);
    expect(checks).toBeGreaterThan(1);
    expect(await t.db.select().from(assignments).where(inArray(assignments.caseId, f.caseIds))).toEqual([]);
    const gone = new AbortController();
    gone.abort();
    await expect(nextCaseForReader({ projectId: f.projectId, userId: r1, at: at(1), signal: gone.signal })).rejects.toBeInstanceOf(RequestAborted);
    expect(await t.db.select().from(assignments).where(inArray(assignments.caseId, f.caseIds))).toEqual([]);
  });

  it('expired assignments are released and their slots return to the pool', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition({ readersPerCase: 1, assignmentExpiryHours: 1 }), cases: 1 });
    const [r1, r2] = f.readers;
    const a = await nextCaseForReader({ projectId: f.projectId, userId: r1, at: at(0) });
    expect(a).not.toBeNull();
    expect(await nextCaseForReader({ projectId: f.projectId, userId: r2, at: at(30) })).toBeNull();
    const b = await nextCaseForReader({ projectId: f.projectId, userId: r2, at: at(61) });
    expect(b!.caseId).toBe(a!.caseId);
    const [old] = await t.db.select().from(assignments).where(eq(assignments.id, a!.assignmentId));
    expect(old.status).toBe('expired');
  });

  it('a cannot-assess read brings another reader; leaving awaitingReads cancels surplus claims', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition({ readersPerCase: 1 }), cases: 1 });
    const [c] = f.caseIds;
    const [r1, r2, r3] = f.readers;
    await nextCaseForReader({ projectId: f.projectId, userId: r1, at: at(0) });
    await sendCaseEvent({ caseId: c, actorId: r1, event: { type: 'read.submit', values: null, cannotAssessReason: 'blurred' }, clientRequestId: rid(), at: at(1) });
    expect((await nextCaseForReader({ projectId: f.projectId, userId: r2, at: at(2) }))!.caseId).toBe(c);
    // r3 submits without an assignment and completes the case: r2's claim is cancelled.
    await sendCaseEvent({ caseId: c, actorId: r3, event: { type: 'read.submit', values: { pneumothorax: false } }, clientRequestId: rid(), at: at(3) });
    const [r2a] = await t.db
      .select()
      .from(assignments)
      .where(and(eq(assignments.caseId, c), eq(assignments.userId, r2)));
    expect(r2a.status).toBe('cancelled');
  });

  it('refuses users who are not readers of the project', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 1 });
    await expect(nextCaseForReader({ projectId: f.projectId, userId: f.adjudicators[0] })).rejects.toMatchObject({ code: 'forbidden' });
  });
});

describe('adjudication queue', () => {
  it('lists disputed cases oldest first with what is disputed; claims respect the panel and readers never adjudicate', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 2, adjudicators: 2 });
    const [c1, c2] = f.caseIds;
    const [r1, r2] = f.readers;
    for (const [c, m] of [
      [c2, 10],
      [c1, 20],
    ] as const) {
      await sendCaseEvent({ caseId: c, actorId: r1, event: { type: 'read.submit', values: { pneumothorax: true } }, clientRequestId: rid(), at: at(m) });
      await sendCaseEvent({ caseId: c, actorId: r2, event: { type: 'read.submit', values: { pneumothorax: false } }, clientRequestId: rid(), at: at(m + 1) });
    }
    const q = await adjudicationQueueForUser({ projectId: f.projectId, userId: f.adjudicators[0] });
    expect(q.map((x) => x.caseId)).toEqual([c2, c1]);
    // Keyset pages: one row at a time, in the same order.
    const page1 = await adjudicationQueueForUser({ projectId: f.projectId, userId: f.adjudicators[0], limit: 1 });
    const page2 = await adjudicationQueueForUser({ projectId: f.projectId, userId: f.adjudicators[0], limit: 1, after: { since: page1[0].since, caseId: page1[0].caseId } });
    expect([...page1, ...page2].map((x) => x.caseId)).toEqual([c2, c1]);
    expect(await adjudicationQueueForUser({ projectId: f.projectId, userId: f.adjudicators[0], caseId: c1 })).toMatchObject([{ caseId: c1 }]);
    expect(q[0]).toMatchObject({ since: at(11), votesNeeded: 1, openClaims: 0, disputes: [expect.objectContaining({ item: 'pneumothorax', rule: 'unanimous' })] });
    const claim = await claimAdjudication({ caseId: c2, userId: f.adjudicators[0], at: at(30) });
    expect(claim.reused).toBe(false);
    await expect(claimAdjudication({ caseId: c2, userId: f.adjudicators[1], at: at(31) })).rejects.toThrow(/already claimed/);
    expect((await adjudicationQueueForUser({ projectId: f.projectId, userId: f.adjudicators[1] })).map((x) => x.caseId)).toEqual([c1]);
    // A reader who is also an adjudicator never sees or claims a case they read.
    const { projectMembers } = await import('../db/schema.ts');
    await t.db.insert(projectMembers).values({ projectId: f.projectId, userId: r1, role: 'adjudicator' });
    expect(await adjudicationQueueForUser({ projectId: f.projectId, userId: r1 })).toEqual([]);
    await expect(claimAdjudication({ caseId: c1, userId: r1 })).rejects.toThrow(/you read this case/);
    await sendCaseEvent({
      caseId: c2,
      actorId: f.adjudicators[0],
      event: { type: 'adjudication.decide', values: { pneumothorax: true }, rationale: 'visible pleural line' },
      clientRequestId: rid(),
      at: at(40),
    });
    const [a] = await t.db.select().from(assignments).where(eq(assignments.id, claim.assignmentId));
    expect(a.status).toBe('completed');
  });
});
