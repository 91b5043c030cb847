/**
 * Property test through the real runtime and database: random policies and event sequences
 * (valid and invalid, repeated request ids) keep the engine's invariants — verify passes
 * (replay = snapshot, chain and head intact, reads ↔ events exactly once, truth versions
 * 1..n, decided cases have truth), and every counted read respects the policy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { at, buildProject, pneumothoraxDefinition, rid } from './fixtures/workflow.ts';
import { reads, workflowEvents } from '../db/schema.ts';
import { getCaseWorkflow, sendCaseEvent } from '../workflows/runtime.ts';
import { AppError } from '../domain/errors.ts';
import { countedReads, neededReads } from '../workflows/machine.ts';
import { verifyCase } from '../workflows/verify.ts';
import type { CaseCommand } from '../workflows/commands.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.dispose());

type Step = { who: number; kind: 'read' | 'cannot' | 'amend' | 'adjudicate' | 'more' | 'exclude' | 'keep' | 'reopen'; v: boolean; repeat: boolean };
const stepArb: fc.Arbitrary<Step> = fc.record({
  who: fc.integer({ min: 0, max: 3 }),
  kind: fc.constantFrom('read', 'read', 'read', 'cannot', 'amend', 'adjudicate', 'adjudicate', 'more', 'exclude', 'keep', 'reopen'),
  v: fc.boolean(),
  repeat: fc.boolean(),
});

describe('engine invariants over random runs (database)', () => {
  it('hold for random policies and event sequences', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          readersPerCase: fc.integer({ min: 1, max: 3 }),
          onDisagreement: fc.constantFrom('adjudicate', 'extra_reader'),
          adjudication: fc.constantFrom({ mode: 'single', panelSize: 1 }, { mode: 'panel', panelSize: 2 }),
          cannotAssessLimit: fc.integer({ min: 1, max: 2 }),
        }),
        fc.array(stepArb, { minLength: 1, maxLength: 14 }),
        async (policy, steps) => {
          const f = await buildProject(t.db, { definition: pneumothoraxDefinition(policy), cases: 1, readers: 4, adjudicators: 2 });
          const [c] = f.caseIds;
          let last: string | null = null;
          let accepted = 0;
          for (const [i, s] of steps.entries()) {
            const wf = (await getCaseWorkflow({ caseId: c }))!;
            let actor = f.readers[s.who];
            let cmd: CaseCommand;
            if (s.kind === 'read') cmd = { type: 'read.submit', values: { pneumothorax: s.v } };
            else if (s.kind === 'cannot') cmd = { type: 'read.submit', values: null, cannotAssessReason: 'blurred' };
            else if (s.kind === 'amend') {
              const mine = wf.context.reads.find((r) => r.readerId === actor && !r.supersededBy && r.round === wf.context.round);
              cmd = { type: 'read.amend', supersedesReadId: mine?.id ?? '00000000-0000-0000-0000-000000000000', values: { pneumothorax: s.v }, reason: 'second look' };
            } else if (s.kind === 'adjudicate') {
              actor = f.adjudicators[s.who % 2];
              cmd = { type: 'adjudication.decide', values: { pneumothorax: s.v }, rationale: 'seen' };
            } else if (s.kind === 'more') {
              actor = f.adjudicators[s.who % 2];
              cmd = { type: 'adjudication.requestRead', rationale: 'unclear' };
            } else if (s.kind === 'reopen') {
              actor = f.lead;
              cmd = { type: 'case.reopen', reason: 'new information' };
            } else {
              actor = f.lead;
              cmd = { type: 'exclusion.resolve', exclude: s.kind === 'exclude', reason: 'reviewed' };
            }
            const id: string = s.repeat && last ? last : rid();
            try {
              const r = await sendCaseEvent({ caseId: c, actorId: actor, event: cmd, clientRequestId: id, at: at(i + 1) });
              if (r.status === 'applied') accepted++;
              last = id;
            } catch (e) {
              if (!(e instanceof AppError)) throw e;
            }
            const after = (await getCaseWorkflow({ caseId: c }))!;
            expect(countedReads(after.context).length).toBeLessThanOrEqual(neededReads(after.context));
          }
          const wf = (await getCaseWorkflow({ caseId: c }))!;
          expect(wf.eventCount).toBe(1 + accepted);
          const evs = await t.db.select().from(workflowEvents).where(eq(workflowEvents.caseId, c));
          const readRows = await t.db.select().from(reads).where(eq(reads.caseId, c));
          const readEvents = evs.filter((e) => typeof (e.payload as { readId?: string }).readId === 'string' && e.type !== 'adjudication.requestRead');
          expect(readRows.length).toBe(readEvents.length);
          expect(await verifyCase({ db: t.db, caseId: c })).toEqual([]);
        },
      ),
      { numRuns: 25 },
    );
  });
});
