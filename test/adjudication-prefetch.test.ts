/**
 * What the adjudication page prefetches: the images of the next case in this adjudicator's queue
 * (queue order, wrapping to the head), never a case outside their queue (one they read, or one
 * another adjudicator holds), nothing when the queue has no other case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { at, buildProject, pneumothoraxDefinition, rid } from './fixtures/workflow.ts';
import { cases, projectMembers } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { claimAdjudication } from '../workflows/assignment.ts';
import { nextAdjudicationImages, visibleCaseImages } from '../app/models/case-images.server.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
}, 120_000);
afterAll(async () => {
  await t?.dispose();
});

describe('next case for the adjudicator to prefetch', () => {
  it('is the next case of their queue, wraps to its head, and only ever one they may load', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 4, adjudicators: 2 });
    const [c1, c2, c3, c4] = f.caseIds;
    const [r1, r2] = f.readers;
    for (const [i, c] of f.caseIds.entries()) {
      await t.db
        .update(cases)
        .set({ images: [`demo/${i}.dcm`] })
        .where(eq(cases.id, c));
    }
    // c1..c3 disputed in that order; c4 agreed (never in the queue).
    for (const [c, m] of [
      [c1, 10],
      [c2, 20],
      [c3, 30],
    ] as const) {
      await sendCaseEvent({ caseId: c, actorId: r1, event: { type: 'read.submit', values: { pneumothorax: true } }, clientRequestId: rid(), at: at(m) });
      await sendCaseEvent({ caseId: c, actorId: r2, event: { type: 'read.submit', values: { pneumothorax: false } }, clientRequestId: rid(), at: at(m + 1) });
    }
    await sendCaseEvent({ caseId: c4, actorId: r1, event: { type: 'read.submit', values: { pneumothorax: true } }, clientRequestId: rid(), at: at(40) });
    await sendCaseEvent({ caseId: c4, actorId: r2, event: { type: 'read.submit', values: { pneumothorax: true } }, clientRequestId: rid(), at: at(41) });
    const [a1, a2] = f.adjudicators;
    const next = (userId: string, caseId: string) => nextAdjudicationImages({ projectId: f.projectId, userId, caseId });

    expect(await next(a1, c1)).toEqual({ caseId: c2, images: ['demo/1.dcm'] });
    expect((await next(a1, c2))?.caseId).toBe(c3);
    expect((await next(a1, c3))?.caseId).toBe(c1); // the last: the head of the queue
    // The prefetched case is one the adjudicator may load through the image routes.
    expect(await visibleCaseImages({ projectId: f.projectId, caseId: c2, userId: a1, roles: ['adjudicator'] })).toEqual(['demo/1.dcm']);

    // Another adjudicator claims c2 (one vote needed): it leaves a1's queue and is skipped.
    await claimAdjudication({ caseId: c2, userId: a2, at: at(50) });
    expect((await next(a1, c1))?.caseId).toBe(c3);
    expect((await next(a2, c2))?.caseId).toBe(c3); // a2 holds c2: their next is the one after it

    // A reader of these cases who is also an adjudicator has no queue here: nothing to prefetch.
    await t.db.insert(projectMembers).values({ projectId: f.projectId, userId: r1, role: 'adjudicator' });
    expect(await next(r1, c1)).toBeNull();
    // Not a case id, or a project with no other disputed case: nothing.
    expect(await next(a1, 'not-a-uuid')).toBeNull();
    const g = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 1, adjudicators: 1 });
    await sendCaseEvent({ caseId: g.caseIds[0], actorId: g.readers[0], event: { type: 'read.submit', values: { pneumothorax: true } }, clientRequestId: rid(), at: at(10) });
    await sendCaseEvent({ caseId: g.caseIds[0], actorId: g.readers[1], event: { type: 'read.submit', values: { pneumothorax: false } }, clientRequestId: rid(), at: at(11) });
    expect(await nextAdjudicationImages({ projectId: g.projectId, userId: g.adjudicators[0], caseId: g.caseIds[0] })).toBeNull();
  });
});
