import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { at, buildProject, pneumothoraxDefinition, rid } from './fixtures/workflow.ts';
import { assignments } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { adjudicationQueueForUser, claimAdjudication, nextCaseForReader } from '../workflows/assignment.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.dispose());

describe('nextCaseForReader', () => {
  it('balances: the case with the fewest reads first, never one the reader read, never beyond readersPerCase', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition({ assignmentExpiryHours: 2 }), cases: 3, readers: 4 });
    const [r1, r2, r3, r4] = f.readers;
    const a1 = await nextCaseForReader({ projectId: f.projectId, userId: r1, at: at(1) });
    expect(a1).toMatchObject({ caseId: f.caseIds[0], reused: false });
    expect(a1!.expiresAt!.toISOString()).toBe(at(121));
    // Asking again returns the same open assignment.
    expect(await nextCaseForReader({ projectId: f.projectId, userId: r1, at: at(2) })).toMatchObject({ assignmentId: a1!.assignmentId, reused: true });
    const a2 = await nextCaseForReader({ projectId: f.projectId, userId: r2, at: at(2) });
    expect(a2!.caseId).toBe(f.caseIds[1]);
    await sendCaseEvent({ caseId: a1!.caseId, actorId: r1, event: { type: 'read.submit', values: { pneumothorax: true } }, clientRequestId: rid(), at: at(3) });
    const [done] = await t.db.select().from(assignments).where(eq(assignments.id, a1!.assignmentId));
    expect(done.status).toBe('completed');
    // r1 read case 0: gets case 2 (no reads, no claims), then nothing it already read.
    const a3 = await nextCaseForReader({ projectId: f.projectId, userId: r1, at: at(4) });
    expect(a3!.caseId).toBe(f.caseIds[2]);
    // Every case now holds one read or claim: ties go to the oldest case.
    const a4 = await nextCaseForReader({ projectId: f.projectId, userId: r3, at: at(5) });
    expect(a4!.caseId).toBe(f.caseIds[0]);
    const a5 = await nextCaseForReader({ projectId: f.projectId, userId: r4, at: at(5) });
    expect(a5!.caseId).toBe(f.caseIds[1]);
    // Case 0 has one read + r3's claim = 2 = readersPerCase: r2 cannot get it; r2 holds case 1 already.
    expect((await nextCaseForReader({ projectId: f.projectId, userId: r2, at: at(6) }))!.caseId).toBe(f.caseIds[1]);
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
    const [r2a] = await t.db.select().from(assignments).where(and(eq(assignments.caseId, c), eq(assignments.userId, r2)));
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
    for (const [c, m] of [[c2, 10], [c1, 20]] as const) {
      await sendCaseEvent({ caseId: c, actorId: r1, event: { type: 'read.submit', values: { pneumothorax: true } }, clientRequestId: rid(), at: at(m) });
      await sendCaseEvent({ caseId: c, actorId: r2, event: { type: 'read.submit', values: { pneumothorax: false } }, clientRequestId: rid(), at: at(m + 1) });
    }
    const q = await adjudicationQueueForUser({ projectId: f.projectId, userId: f.adjudicators[0] });
    expect(q.map((x) => x.caseId)).toEqual([c2, c1]);
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
    await sendCaseEvent({ caseId: c2, actorId: f.adjudicators[0], event: { type: 'adjudication.decide', values: { pneumothorax: true }, rationale: 'visible pleural line' }, clientRequestId: rid(), at: at(40) });
    const [a] = await t.db.select().from(assignments).where(eq(assignments.id, claim.assignmentId));
    expect(a.status).toBe('completed');
  });
});
