/** Background jobs: the import job (streamed, staged, published at once), cancellation, restart recovery, progress. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, inArray } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { buildProject, biradsDefinition, T0, type Fixture } from './fixtures/workflow.ts';
import { auditLog, caseWorkflows, cases, findings, jobs, jobStaging, scheduledEvents, workflowEvents } from '../db/schema.ts';
import { importManifest, ImportFailed, startManifestJob, type ManifestJobResult } from '../app/models/import.server.ts';
import { enqueueJob, recoverOrphanedJobs, registerJob, requestCancel, runNextJob, JobFailed } from '../jobs/runner.ts';
import { CHUNK } from '../jobs/inputs.ts';
import { verifyAllCases } from '../workflows/verify.ts';

let t: TestDb;
let f: Fixture;
beforeAll(async () => {
  t = await createTestDb();
  // Evidence-based truth: starting a case schedules its follow-up window (an effect the batch start writes).
  f = await buildProject(t.db, { definition: biradsDefinition({ followUpWindow: { startDays: 0, endDays: 365 } }), cases: 1 });
});
afterAll(async () => t?.dispose());

const manifest = (n: number, prefix: string) =>
  [
    'case_id,patient_id,study_date,modality,body_part,split,images,site',
    ...Array.from({ length: n }, (_, i) => `${prefix}${i},${prefix}P${i % 7},2024-01-${String((i % 28) + 1).padStart(2, '0')},MG,BREAST,,/img/${i}.png,S${i % 3}`),
  ].join('\n');

async function drain() {
  let last = null;
  for (let r = await runNextJob({ db: t.db }); r; r = await runNextJob({ db: t.db })) last = r;
  return last;
}

describe('case import as a job', () => {
  it('writes for each case exactly what starting its workflow one by one writes, and verify replays every case', async () => {
    const r = await importManifest({ projectId: f.projectId, text: manifest(30, 'B'), actorId: f.lead, at: new Date(T0) });
    expect(r.cases).toBe(30);
    // The fixture's case was started by startCaseWorkflow at T0: compare its rows to an imported one.
    const shape = async (caseId: string) => {
      const [wf] = await t.db.select().from(caseWorkflows).where(eq(caseWorkflows.caseId, caseId));
      const [ev] = await t.db.select().from(workflowEvents).where(eq(workflowEvents.caseId, caseId));
      const fs = await t.db.select({ key: findings.key, label: findings.label }).from(findings).where(eq(findings.caseId, caseId));
      const sch = await t.db.select({ eventType: scheduledEvents.eventType, status: scheduledEvents.status }).from(scheduledEvents).where(eq(scheduledEvents.caseId, caseId));
      const au = await t.db.select({ action: auditLog.action, details: auditLog.details }).from(auditLog).where(eq(auditLog.caseId, caseId));
      const input = (ev.payload as { input: Record<string, unknown> }).input;
      return {
        state: wf.state,
        machineVersion: wf.machineVersion,
        eventCount: wf.eventCount,
        eventType: ev.type,
        seq: ev.seq,
        inputKeys: Object.keys(input).sort(),
        readerForm: input.readerForm,
        findings: fs.sort((a, b) => a.key.localeCompare(b.key)),
        scheduled: sch,
        audit: au,
      };
    };
    const one = await shape(f.caseIds[0]);
    const batch = await shape(r.caseIds[0]);
    expect(batch).toEqual(one);
    expect(one.scheduled).toHaveLength(1);
    const report = await verifyAllCases({ db: t.db, caseIds: [...r.caseIds, f.caseIds[0]] });
    expect(report.failures).toEqual([]);
    expect(report.checked).toBe(31);
  });

  it('streams a file stored in several pieces, numbers bad lines across them, stages nothing visible and keeps going to report all', async () => {
    const good = manifest(4000, 'S');
    expect(good.length).toBeGreaterThan(CHUNK / 4);
    const lines = good.split('\n');
    lines[3500] = lines[3500].replace('2024-01-', '2024-13-');
    lines[3900] = lines[3900].replace(',MG,', ',"MG,');
    const text = lines.join('\n');
    const job = await startManifestJob({ projectId: f.projectId, source: chunks(text, 10_000), actorId: f.lead, dryRun: false, db: t.db });
    const done = await drain();
    expect(done?.id).toBe(job.id);
    expect(done?.status).toBe('failed');
    const res = done?.result as ManifestJobResult;
    expect(res.problems.map((p) => p.text)).toEqual(['line 3501, study_date: "2024-13-28" is not a date in the form YYYY-MM-DD', 'line 3901: unterminated quoted field']);
    expect(
      await t.db
        .select()
        .from(cases)
        .where(and(eq(cases.projectId, f.projectId), inArray(cases.externalId, ['S0', 'S1']))),
    ).toEqual([]);
    expect(await t.db.select().from(jobStaging).where(eq(jobStaging.jobId, job.id))).toEqual([]);
  });

  it('a check job previews without writing; the import of the same stored file then publishes all rows at once', async () => {
    const check = await startManifestJob({ projectId: f.projectId, source: chunks(manifest(2500, 'C'), 7000), actorId: f.lead, dryRun: true, db: t.db });
    const checked = await drain();
    expect(checked?.status).toBe('succeeded');
    const res = checked?.result as ManifestJobResult;
    expect(res.total).toBe(2500);
    expect(res.rows).toHaveLength(100);
    expect(res.patients).toEqual({ total: 7, new: 7 });
    expect((await t.db.select({ id: cases.id }).from(cases).where(eq(cases.externalId, 'C0'))).length).toBe(0);
    await startManifestJob({ projectId: f.projectId, inputId: res.inputId, actorId: f.lead, dryRun: false, db: t.db });
    const imported = await drain();
    expect(imported?.status).toBe('succeeded');
    expect(imported?.done).toBe(imported?.total);
    const n = await t.db
      .select({ id: cases.id })
      .from(cases)
      .where(
        and(
          eq(cases.projectId, f.projectId),
          inArray(
            cases.externalId,
            Array.from({ length: 2500 }, (_, i) => `C${i}`),
          ),
        ),
      );
    expect(n).toHaveLength(2500);
    expect(check.id).not.toBe(imported?.id);
  });

  it('a cancelled import writes nothing and says so', async () => {
    const job = await startManifestJob({ projectId: f.projectId, source: [manifest(5000, 'X')], actorId: f.lead, dryRun: false, db: t.db });
    // Cancel as soon as the first batch reports progress.
    let asked = false;
    const poll = setInterval(async () => {
      const [row] = await t.db.select().from(jobs).where(eq(jobs.id, job.id));
      if (!asked && row.status === 'running' && row.done > 0) {
        asked = true;
        await requestCancel({ jobId: job.id, db: t.db });
      }
    }, 5);
    const done = await drain();
    clearInterval(poll);
    expect(asked).toBe(true);
    expect(done?.status).toBe('cancelled');
    expect(await t.db.select().from(cases).where(eq(cases.externalId, 'X0'))).toEqual([]);
    expect(await t.db.select().from(jobStaging).where(eq(jobStaging.jobId, job.id))).toEqual([]);
    // A queued job is cancelled at once.
    const q = await enqueueJob({ kind: 'never.runs', projectId: f.projectId, db: t.db });
    expect((await requestCancel({ jobId: q.id, db: t.db }))?.status).toBe('cancelled');
  });

  it('a job orphaned by a stop is queued again (then runs), and failed with its reason after the last attempt', async () => {
    let runs = 0;
    registerJob('test.flaky', async (ctx) => {
      runs++;
      await ctx.progress({ done: 1, total: 2 });
      return { ok: true };
    });
    const j = await enqueueJob({ kind: 'test.flaky', projectId: f.projectId, db: t.db });
    // As if a server had taken it and died: running, stale heartbeat, staging left behind.
    await t.db
      .update(jobs)
      .set({ status: 'running', attempts: 1, heartbeatAt: new Date(Date.now() - 600_000) })
      .where(eq(jobs.id, j.id));
    await t.db.insert(jobStaging).values({ jobId: j.id, seq: 0, row: {} });
    expect(await recoverOrphanedJobs({ db: t.db })).toEqual({ requeued: 1, failed: 0 });
    expect(await t.db.select().from(jobStaging).where(eq(jobStaging.jobId, j.id))).toEqual([]);
    const done = await drain();
    expect(done?.status).toBe('succeeded');
    expect(runs).toBe(1);
    await t.db
      .update(jobs)
      .set({ status: 'running', attempts: 3, heartbeatAt: new Date(Date.now() - 600_000) })
      .where(eq(jobs.id, j.id));
    expect(await recoverOrphanedJobs({ db: t.db })).toEqual({ requeued: 0, failed: 1 });
    const [row] = await t.db.select().from(jobs).where(eq(jobs.id, j.id));
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/server stopped while this job ran, 3 times/);
  });

  it('importManifest throws ImportFailed with every error, not a job error', async () => {
    await expect(importManifest({ projectId: f.projectId, text: 'case_id,patient_id,study_date\nB0,P,2024-01-01\n', actorId: f.lead })).rejects.toBeInstanceOf(ImportFailed);
    expect(JobFailed).toBeDefined();
  });
});

function chunks(text: string, size: number): string[] {
  const out = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
