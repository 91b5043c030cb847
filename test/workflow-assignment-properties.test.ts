/**
 * The SQL reader queue chooses what a reference computed from the snapshots chooses: on random
 * small projects (cases, readers, readers per case, report authors) under random sequences of
 * next-case requests, reads (some cannot-assess) and time passing (assignments expire).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { and, eq, inArray } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { at, buildProject, pneumothoraxDefinition, rid } from './fixtures/workflow.ts';
import { compareKeyed, type Keyed } from './fixtures/reader-order.ts';
import { assignments, caseWorkflows, cases, readerQueues, users } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { nextCaseForReader, openReaderSlots, readerIneligibility, reportAuthorIneligibility } from '../workflows/assignment.ts';
import { caseOrderKey, readerStartKey } from '../workflows/queue-columns.ts';
import type { PersistedSnapshot } from '../workflows/engine.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.dispose());

type Op = { kind: 'next'; reader: number } | { kind: 'read'; reader: number; assess: boolean; value: boolean } | { kind: 'wait'; minutes: number };

const NIL = '00000000-0000-0000-0000-000000000000';

/** The reference: the first case after `from` in order (wrapping once) this reader may take, from snapshots. */
async function referenceChoice(a: { projectId: string; userId: string; now: Date; from: Keyed; exclude: Set<string> }): Promise<Keyed | null> {
  const rows = await t.db
    .select({ id: caseWorkflows.caseId, state: caseWorkflows.state, snapshot: caseWorkflows.snapshot, metadata: cases.metadata })
    .from(caseWorkflows)
    .innerJoin(cases, eq(cases.id, caseWorkflows.caseId))
    .where(eq(cases.projectId, a.projectId));
  const [me] = await t.db.select({ email: users.email }).from(users).where(eq(users.id, a.userId));
  const open = await t.db
    .select()
    .from(assignments)
    .where(
      and(
        inArray(
          assignments.caseId,
          rows.map((r) => r.id),
        ),
        eq(assignments.status, 'open'),
        eq(assignments.role, 'reader'),
      ),
    );
  const eligible: Keyed[] = [];
  for (const r of rows) {
    const ctx = (r.snapshot as PersistedSnapshot).context;
    // The reader's own live assignments are excluded by the caller; their expired ones are released.
    if (a.exclude.has(r.id)) continue;
    if (readerIneligibility(r.state, ctx, a.userId) !== null) continue;
    if (reportAuthorIneligibility((r.metadata as Record<string, unknown>).report_author, me.email) !== null) continue;
    const others = open.filter((o) => o.caseId === r.id && o.userId !== a.userId && (!o.expiresAt || o.expiresAt > a.now)).length;
    if (openReaderSlots(ctx, others) <= 0) continue;
    eligible.push({ id: r.id, key: caseOrderKey(a.projectId, r.id) });
  }
  eligible.sort(compareKeyed);
  return eligible.find((x) => compareKeyed(x, a.from) > 0) ?? eligible[0] ?? null;
}

describe('reader queue (SQL) = reference choice from snapshots', () => {
  it('on random small projects and request sequences', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          cases: fc.integer({ min: 1, max: 5 }),
          readers: fc.integer({ min: 1, max: 4 }),
          readersPerCase: fc.integer({ min: 1, max: 3 }),
          authors: fc.array(fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }), { minLength: 5, maxLength: 5 }),
          ops: fc.array(
            fc.oneof(
              { weight: 5, arbitrary: fc.record({ kind: fc.constant('next' as const), reader: fc.integer({ min: 0, max: 3 }) }) },
              { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), reader: fc.integer({ min: 0, max: 3 }), assess: fc.boolean(), value: fc.boolean() }) },
              { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), minutes: fc.integer({ min: 10, max: 90 }) }) },
            ),
            { minLength: 1, maxLength: 14 },
          ),
        }),
        async ({ cases: nCases, readers: nReaders, readersPerCase, authors, ops }) => {
          const f = await buildProject(t.db, {
            definition: pneumothoraxDefinition({ readersPerCase, assignmentExpiryHours: 1, cannotAssessLimit: 3 }),
            cases: nCases,
            readers: nReaders,
          });
          // Some cases name a reader as the author of the original report (in mixed case, with spaces).
          for (const [i, c] of f.caseIds.entries()) {
            const who = authors[i];
            if (who === null || who >= nReaders) continue;
            const [u] = await t.db.select({ email: users.email }).from(users).where(eq(users.id, f.readers[who]));
            await t.db
              .update(cases)
              .set({ metadata: { report_author: ` ${u.email.toUpperCase()} ` } })
              .where(eq(cases.id, c));
          }
          let minute = 0;
          for (const op of ops) {
            minute += 1;
            if (op.kind === 'wait') {
              minute += op.minutes;
              continue;
            }
            const userId = f.readers[op.reader % nReaders];
            const now = new Date(at(minute));
            if (op.kind === 'read') {
              const [mine] = await t.db
                .select()
                .from(assignments)
                .where(and(eq(assignments.projectId, f.projectId), eq(assignments.userId, userId), eq(assignments.status, 'open'), eq(assignments.slot, 'current')));
              if (!mine) continue;
              await sendCaseEvent({
                caseId: mine.caseId,
                actorId: userId,
                event: op.assess ? { type: 'read.submit', values: { pneumothorax: op.value } } : { type: 'read.submit', values: null, cannotAssessReason: 'motion' },
                clientRequestId: rid(),
                at: now,
              }).catch(() => undefined);
              continue;
            }
            // The reference, computed before the request from the same state.
            const [q] = await t.db
              .select()
              .from(readerQueues)
              .where(and(eq(readerQueues.projectId, f.projectId), eq(readerQueues.userId, userId)));
            const before = await t.db
              .select({ a: assignments, state: caseWorkflows.state, snapshot: caseWorkflows.snapshot })
              .from(assignments)
              .innerJoin(caseWorkflows, eq(caseWorkflows.caseId, assignments.caseId))
              .where(and(eq(assignments.projectId, f.projectId), eq(assignments.userId, userId), eq(assignments.status, 'open'), eq(assignments.role, 'reader')));
            const live = before.filter((b) => (!b.a.expiresAt || b.a.expiresAt > now) && readerIneligibility(b.state, (b.snapshot as PersistedSnapshot).context, userId) === null);
            const keptCurrent = live.find((b) => b.a.slot === 'current') ?? live.find((b) => b.a.slot === 'next');
            const keptNext = live.find((b) => b.a.slot === 'next' && b !== keptCurrent);
            let from: Keyed = q?.cursorKey != null && q.cursorCase ? { id: q.cursorCase, key: q.cursorKey } : { id: NIL, key: readerStartKey(f.projectId, userId) };
            const keep = new Set(live.map((b) => b.a.caseId));
            let expectedCurrent = keptCurrent?.a.caseId ?? null;
            if (!expectedCurrent) {
              const c = await referenceChoice({ projectId: f.projectId, userId, now, from, exclude: keep });
              expectedCurrent = c?.id ?? null;
              if (c) from = c;
            }
            let expectedNext = keptNext?.a.caseId ?? null;
            if (expectedCurrent && !expectedNext)
              expectedNext = (await referenceChoice({ projectId: f.projectId, userId, now, from, exclude: new Set([...keep, expectedCurrent]) }))?.id ?? null;

            const got = await nextCaseForReader({ projectId: f.projectId, userId, at: now });
            expect(got?.caseId ?? null).toBe(expectedCurrent);
            if (got) expect(got.next?.caseId ?? null).toBe(expectedNext);
          }
        },
      ),
      { numRuns: 12, seed: 190019, endOnFailure: true },
    );
  }, 240_000);
});
