/**
 * Evidence import as chunked recording: a bad line records nothing; a restart after chunk k
 * resumes at the committed checkpoint and records every row once; a cancel states how many
 * were recorded; other requests are answered between chunks on the one embedded connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, inArray } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { buildProject, type Fixture } from './fixtures/workflow.ts';
import { mammographyDefinition } from '../seed/demo-projects.ts';
import { cases, evidence, jobs, users } from '../db/schema.ts';
import { checkEvidence, evidenceEvents } from '../app/models/evidence.server.ts';
import { recordEvidenceEvents, type RecordState } from '../app/models/evidence-record.server.ts';
import { startEvidenceJob, type EvidenceJobResult } from '../app/models/evidence-import.server.ts';
import { getJob, recoverOrphanedJobs, requestCancel, runJobNow, runNextJob } from '../jobs/runner.ts';
import { verifyAllCases } from '../workflows/verify.ts';

let t: TestDb;
let f: Fixture;
let refs: string[];
beforeAll(async () => {
  t = await createTestDb();
  f = await buildProject(t.db, { definition: mammographyDefinition, cases: 3 });
  refs = (await t.db.select({ e: cases.externalId }).from(cases).where(inArray(cases.id, f.caseIds))).map((r) => r.e!).sort();
}, 120_000);
afterAll(async () => t?.dispose());

const count = async () => (await t.db.select().from(evidence).where(inArray(evidence.caseId, f.caseIds))).length;
/** n distinct report rows spread over the cases (distinct text: distinct request ids). */
const csv = (n: number, tag: string) =>
  ['case_id,finding,kind,date,result_code,text', ...Array.from({ length: n }, (_, i) => `${refs[i % refs.length]},,report,2024-03-01,,${tag} note ${i}`)].join('\n');

describe('chunked evidence recording', () => {
  it('a bad line anywhere records nothing and names line and field', async () => {
    const text = `${csv(30, 'bad')}\n${refs[0]},,report,2024-13-01,,late`;
    const job = await startEvidenceJob({ projectId: f.projectId, source: [text], actorId: f.lead, dryRun: false, db: t.db });
    const { job: done } = await runJobNow({ jobId: job.id, db: t.db });
    expect(done.status).toBe('failed');
    expect((done.result as EvidenceJobResult).problems.map((p) => p.text)).toEqual([expect.stringMatching(/^line 32, date: /)]);
    expect(await count()).toBe(0);
  });

  it('a restart after chunk k resumes at the checkpoint: every row recorded once, verify passes', async () => {
    const n = 40;
    const text = csv(n, 'restart');
    const job = await startEvidenceJob({ projectId: f.projectId, source: [text], actorId: f.lead, dryRun: false, db: t.db });
    // The first attempt, as the job runs it, stopped dead (server killed) after its second chunk of 7.
    await t.db
      .update(jobs)
      .set({ status: 'running', attempts: 1, heartbeatAt: new Date(0) })
      .where(eq(jobs.id, job.id));
    const events = evidenceEvents(f.projectId, await checkEvidence({ projectId: f.projectId, text, db: t.db }));
    let chunks = 0;
    const killed = await recordEvidenceEvents({
      events,
      actorId: f.lead,
      db: t.db,
      chunkMax: 7,
      chunkMs: 60_000,
      checkpoint: (tx, s) =>
        tx
          .update(jobs)
          .set({ result: { checkpoint: s } })
          .where(eq(jobs.id, job.id))
          .then(() => undefined),
      between: async () => {
        if (++chunks === 2) throw new Error('killed');
      },
    }).catch((e: Error) => e.message);
    expect(killed).toBe('killed');
    expect(await count()).toBe(14);

    expect((await recoverOrphanedJobs({ db: t.db, staleMs: 0 })).requeued).toBe(1);
    const done = await runNextJob({ db: t.db });
    expect(done?.status).toBe('succeeded');
    const r = done!.result as EvidenceJobResult;
    expect({ recorded: r.recorded, duplicates: r.duplicates, processed: r.processed }).toEqual({ recorded: n, duplicates: 0, processed: n });
    expect(await count()).toBe(14 + 26);
    expect((await verifyAllCases({ db: t.db, caseIds: f.caseIds })).failures).toEqual([]);

    // The same file again: every row is already there.
    const again = await startEvidenceJob({ projectId: f.projectId, source: [text], actorId: f.lead, dryRun: false, db: t.db });
    const r2 = (await runJobNow({ jobId: again.id, db: t.db })).job.result as EvidenceJobResult;
    expect({ recorded: r2.recorded, duplicates: r2.duplicates }).toEqual({ recorded: 0, duplicates: n });
    expect(await count()).toBe(n);
  });

  it('other requests are answered between chunks; a cancel stops there and says how many were recorded', async () => {
    const before = await count();
    const n = 600;
    const job = await startEvidenceJob({ projectId: f.projectId, source: [csv(n, 'cancel')], actorId: f.lead, dryRun: false, db: t.db });
    const run = runJobNow({ jobId: job.id, db: t.db });
    // Wait until recording has committed a chunk.
    for (let i = 0; i < 2000; i++) {
      const j = await getJob({ jobId: job.id, db: t.db });
      if ((j?.result as { checkpoint?: RecordState } | null)?.checkpoint?.next) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // A request issued during the job completes while the job still runs.
    const [me] = await t.db.select({ id: users.id }).from(users).where(eq(users.id, f.lead));
    expect(me.id).toBe(f.lead);
    expect((await getJob({ jobId: job.id, db: t.db }))?.status).toBe('running');

    await requestCancel({ jobId: job.id, db: t.db });
    const { job: done } = await run;
    expect(done.status).toBe('cancelled');
    const r = done.result as EvidenceJobResult;
    const recorded = (await count()) - before;
    expect(recorded).toBeGreaterThan(0);
    expect(recorded).toBeLessThan(n);
    expect(r).toMatchObject({ cancelled: true, recorded, processed: recorded });
    expect(done.phase).toBe(
      `cancelled after ${recorded.toLocaleString('en')} of ${n} result(s) recorded; ${(n - recorded).toLocaleString('en')} not recorded — importing the same file again records only the rest`,
    );
    expect((await verifyAllCases({ db: t.db, caseIds: f.caseIds })).failures).toEqual([]);
  });
});
