/**
 * Historical cases (case@5): cases imported after their follow-up window closed are not made lost
 * to follow-up by the scheduler's at-once window.close; they wait for their evidence (decided by
 * their readers: awaitingEvidence) until the lead marks the evidence complete — a job sending one
 * recorded event per case — or the definition's grace period ends. The import preview counts them;
 * a release counts them as not settled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, inArray } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { buildProject, rid, type Fixture } from './fixtures/workflow.ts';
import { mammographyDefinition } from '../seed/demo-projects.ts';
import { auditLog, caseWorkflows, cases, scheduledEvents, truthLabels, workflowEvents } from '../db/schema.ts';
import { importManifest, previewManifest } from '../app/models/import.server.ts';
import { historicalWaiting, startEvidenceComplete } from '../app/models/evidence-complete.server.ts';
import { releaseReadiness } from '../app/models/releases.server.ts';
import { runJobNow } from '../jobs/runner.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { fireDueScheduledEvents } from '../workflows/scheduler.ts';
import { verifyAllCases } from '../workflows/verify.ts';
import { hasTag } from '../domain/workflow-states.ts';
import type { ProjectDefinition } from '../workflows/definition.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
}, 120_000);
afterAll(async () => t?.dispose());

const HEADER = 'case_id,patient_id,study_date,modality,body_part,split,images';
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
const withGrace = (graceDays: number): ProjectDefinition => ({
  ...mammographyDefinition,
  truthPolicy: { ...mammographyDefinition.truthPolicy, followUpWindow: { startDays: 0, endDays: 365, onClose: 'unverified', graceDays } },
});

async function importThree(f: Fixture, tag: string) {
  // Two studies from 2020 (their 365-day window closed long ago) and one from ten days ago.
  const csv = [HEADER, `${tag}1,${tag}P1,2020-03-01,MG,BREAST,test,`, `${tag}2,${tag}P2,2020-04-01,MG,BREAST,test,`, `${tag}3,${tag}P3,${daysAgo(10)},MG,BREAST,test,`].join('\n');
  const pv = await previewManifest({ projectId: f.projectId, text: csv });
  expect(pv.errors).toEqual([]);
  const r = await importManifest({ projectId: f.projectId, text: csv, actorId: f.lead });
  const rows = await t.db.select({ id: cases.id, externalId: cases.externalId }).from(cases).where(inArray(cases.id, r.caseIds));
  const byRef = new Map(rows.map((x) => [x.externalId!, x.id]));
  return { pv, r, old: [byRef.get(`${tag}1`)!, byRef.get(`${tag}2`)!], recent: byRef.get(`${tag}3`)! };
}
const stateOf = async (caseId: string) => (await t.db.select().from(caseWorkflows).where(eq(caseWorkflows.caseId, caseId)))[0];
const read = (caseId: string, reader: string) =>
  sendCaseEvent({ db: t.db, caseId, actorId: reader, clientRequestId: rid(), event: { type: 'read.submit', values: { 'left/birads': '1', 'right/birads': '2' } } });

describe('historical cases', () => {
  it('the preview counts them; the at-once window.close holds them; decided, they wait for evidence until the lead marks it complete', async () => {
    const f = await buildProject(t.db, { definition: mammographyDefinition, cases: 0 });
    const { pv, r, old, recent } = await importThree(f, 'H');
    expect(pv.historical).toBe(2);
    expect(r.historical).toBe(2);

    // The scheduler fires the past-due window.close of both old cases within its first poll.
    const fired = await fireDueScheduledEvents({ db: t.db, limit: 100 });
    expect(fired.fired).toBeGreaterThanOrEqual(2);
    for (const c of old) {
      const wf = await stateOf(c);
      expect(wf.machineVersion).toBe('case@5');
      expect(wf.state).toBe('awaitingReads');
      const ctx = (wf.snapshot as { context: { evidenceHold: unknown; windowClosedAt: unknown } }).context;
      expect(ctx.windowClosedAt).toBeNull();
      expect(ctx.evidenceHold).toMatchObject({ released: null });
    }
    // The recent case's window is still open: nothing fired for it.
    const [recentRow] = await t.db.select().from(scheduledEvents).where(eq(scheduledEvents.caseId, recent));
    expect(recentRow.status).toBe('pending');
    expect(await historicalWaiting({ projectId: f.projectId, db: t.db })).toBe(2);

    // Read: the old cases are decided by their readers but their truth is pending — they wait.
    for (const c of [...old, recent]) for (const u of f.readers.slice(0, 2)) await read(c, u);
    for (const c of old) {
      const wf = await stateOf(c);
      expect(wf.state).toBe('awaitingEvidence');
      expect(hasTag(wf.state, 'awaiting_evidence')).toBe(true);
      expect(hasTag(wf.state, 'decided')).toBe(true);
    }
    expect((await stateOf(recent)).state).toBe('decided');
    const lost = await t.db
      .select()
      .from(truthLabels)
      .where(and(inArray(truthLabels.caseId, old), eq(truthLabels.method, 'follow_up_window')));
    expect(lost).toEqual([]);
    const ready = await releaseReadiness({ projectId: f.projectId, db: t.db });
    expect(ready.awaitingEvidence).toBe(2);
    expect(ready.pending).toBe(2);

    // Evidence for one breast of the first case verifies it; it keeps waiting for the other.
    await sendCaseEvent({
      db: t.db,
      caseId: old[0],
      actorId: f.lead,
      clientRequestId: rid(),
      event: { type: 'evidence.record', finding: 'right', kind: 'pathology', date: '2020-03-20', resultCode: 'benign' },
    });
    expect((await stateOf(old[0])).state).toBe('awaitingEvidence');

    // A refusal: a reason is required.
    await expect(startEvidenceComplete({ projectId: f.projectId, actorId: f.lead, reason: ' ' })).rejects.toThrow(/why/);
    const job = await startEvidenceComplete({ projectId: f.projectId, actorId: f.lead, reason: 'all pathology up to 2024 is loaded', db: t.db });
    const { job: done, error } = await runJobNow({ jobId: job.id, db: t.db });
    expect(error).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(done.result).toEqual({ closed: 2, refused: 0 });
    for (const c of old) expect((await stateOf(c)).state).toBe('decided');
    expect(await historicalWaiting({ projectId: f.projectId, db: t.db })).toBe(0);

    // Recorded as an event per case, by the lead, with the reason; the truth says why.
    const evs = await t.db
      .select()
      .from(workflowEvents)
      .where(and(inArray(workflowEvents.caseId, old), eq(workflowEvents.type, 'evidence.complete')));
    expect(evs).toHaveLength(2);
    expect(evs.every((e) => e.actorId === f.lead && (e.payload as { reason: string }).reason === 'all pathology up to 2024 is loaded')).toBe(true);
    const closed = await t.db
      .select()
      .from(truthLabels)
      .where(and(inArray(truthLabels.caseId, old), eq(truthLabels.method, 'follow_up_window')));
    // Case 1: the left breast (the right was verified by pathology); case 2: both.
    expect(closed.map((x) => x.state).sort()).toEqual(['unverified', 'unverified', 'unverified']);
    expect(closed.every((x) => /marked the historical evidence complete/.test(x.rationale ?? ''))).toBe(true);
    const audit = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.projectId, f.projectId), eq(auditLog.action, 'evidence.complete')));
    expect(audit).toHaveLength(1);
    expect((await releaseReadiness({ projectId: f.projectId, db: t.db })).pending).toBe(0);

    // Marking again is refused by the machine.
    await expect(sendCaseEvent({ db: t.db, caseId: old[1], actorId: f.lead, clientRequestId: rid(), event: { type: 'evidence.complete', reason: 'again' } })).rejects.toThrow(
      /already marked complete/,
    );
    expect((await verifyAllCases({ db: t.db, caseIds: [...old, recent] })).failures).toEqual([]);
  });

  it("the definition's grace period ends the wait on its own", async () => {
    const f = await buildProject(t.db, { definition: withGrace(3), cases: 0 });
    const { old } = await importThree(f, 'G');
    await fireDueScheduledEvents({ db: t.db, limit: 100 });
    const grace = await t.db
      .select()
      .from(scheduledEvents)
      .where(and(inArray(scheduledEvents.caseId, old), eq(scheduledEvents.eventType, 'evidence.grace')));
    expect(grace).toHaveLength(2);
    // Due three days after the import day (00:00 UTC).
    const importDay = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
    for (const g of grace) expect(g.dueAt.getTime()).toBe(importDay + 3 * 86_400_000);
    expect(await historicalWaiting({ projectId: f.projectId, db: t.db })).toBe(2);
    // Nothing happens before it is due; four days on, it fires and the window closes.
    await fireDueScheduledEvents({ db: t.db, limit: 100 });
    expect(await historicalWaiting({ projectId: f.projectId, db: t.db })).toBe(2);
    await fireDueScheduledEvents({ db: t.db, limit: 100, at: new Date(Date.now() + 4 * 86_400_000) });
    expect(await historicalWaiting({ projectId: f.projectId, db: t.db })).toBe(0);
    for (const c of old) for (const u of f.readers.slice(0, 2)) await read(c, u);
    for (const c of old) expect((await stateOf(c)).state).toBe('decided');
    const closed = await t.db
      .select()
      .from(truthLabels)
      .where(and(inArray(truthLabels.caseId, old), eq(truthLabels.method, 'follow_up_window')));
    expect(closed.map((x) => x.state)).toEqual(['unverified', 'unverified', 'unverified', 'unverified']);
    expect((await verifyAllCases({ db: t.db, caseIds: old })).failures).toEqual([]);
  });
});
