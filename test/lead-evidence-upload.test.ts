/**
 * Evidence upload page: a file posted to /projects/:slug/evidence is checked
 * by a background job, previewed with line-and-field errors, then recorded all or nothing by a
 * second job from the same stored upload — CSV and FHIR, as the CLI takes them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, inArray } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { buildProject, type Fixture } from './fixtures/workflow.ts';
import { testPasswordHash } from './fixtures/base.ts';
import { BASE, invoke, sessionCookie } from './fixtures/app.ts';
import { mammographyDefinition } from '../seed/demo-projects.ts';
import { auditLog, cases, evidence, jobs, projects, users } from '../db/schema.ts';
import { runNextJob } from '../jobs/runner.ts';
import type { EvidenceJobResult } from '../app/models/evidence-import.server.ts';
import * as page from '../app/routes/projects.$slug.evidence.tsx';

let t: TestDb;
let f: Fixture;
let slug: string;
let cookie: string;
let refs: string[];
beforeAll(async () => {
  t = await createTestDb();
  f = await buildProject(t.db, { definition: mammographyDefinition, cases: 3 });
  [{ slug }] = await t.db.select({ slug: projects.slug }).from(projects).where(eq(projects.id, f.projectId));
  await t.db
    .update(users)
    .set({ passwordHash: await testPasswordHash() })
    .where(eq(users.id, f.lead));
  const [lead] = await t.db.select().from(users).where(eq(users.id, f.lead));
  cookie = await sessionCookie(lead.email);
  const byId = new Map((await t.db.select({ id: cases.id, e: cases.externalId }).from(cases).where(inArray(cases.id, f.caseIds))).map((r) => [r.id, r.e!]));
  refs = f.caseIds.map((id) => byId.get(id)!);
}, 120_000);
afterAll(async () => t?.dispose());

const count = async () => (await t.db.select().from(evidence).where(inArray(evidence.caseId, f.caseIds))).length;

/** Posts the page's form as a browser does (multipart with a file). */
async function post(fields: Record<string, string>, file?: { name: string; text: string }) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.set(k, v);
  if (file) fd.set('file', new File([file.text], file.name, { type: 'text/plain' }));
  const req = new Request(`${BASE}/projects/${slug}/evidence`, { method: 'POST', body: fd, headers: { Cookie: cookie, 'x-truthline-client-ip': '127.0.0.1' } });
  return invoke(page.action as never, req, { slug });
}

/** Follows the redirect to ?job=…, runs the queued job, and returns the page's loader data. */
async function runAndLoad(res: Response) {
  expect(res.status).toBe(302);
  const loc = res.headers.get('Location')!;
  expect(loc).toMatch(new RegExp(`^/projects/${slug}/evidence\\?job=[0-9a-f-]{36}$`));
  await runNextJob({ db: t.db });
  const r = await invoke(page.loader as never, new Request(`${BASE}${loc}`, { headers: { Cookie: cookie } }), { slug });
  expect(r.status).toBe(200);
  const data = (await r.json()) as { job: { id: string; kind: string; status: string; result: EvidenceJobResult } };
  return data.job;
}

describe('evidence upload page', () => {
  it('a bad CSV: the check job fails listing every problem by line and field; nothing is recorded', async () => {
    const csv = [
      'case_id,finding,kind,date,result_code,text',
      `${refs[0]},left,pathology,2024-02-01,malignant,"IDC"`,
      `${refs[0]},middle,pathology,2024-02-01,malignant,`,
      `nope,,follow_up,2024-02-01,negative,`,
      `${refs[1]},,pathology,2024-02-01,purple,`,
    ].join('\n');
    const job = await runAndLoad(await post({ intent: 'preview', format: 'auto' }, { name: 'ev.csv', text: csv }));
    expect(job.kind).toBe('evidence.check');
    expect(job.status).toBe('failed');
    expect(job.result.problems.map((p) => p.text)).toEqual([
      'line 3, finding: "middle" is not a finding of this case (left, right)',
      'line 4, case_id: no case "nope" in this project',
      expect.stringMatching(/^line 5, result_code: "purple" is not a pathology result code in this project's mapping \(known: .*malignant/),
    ]);
    expect(await count()).toBe(0);
  });

  it('a good CSV: preview, then "Record" records every row in one step and audits it', async () => {
    const csv = `case_id,finding,kind,date,result_code,text\r\n${refs[0]},left,pathology,2024-02-01,malignant,"IDC"\r\n${refs[1]},,follow_up,2024-06-01,negative,\r\n`;
    const check = await runAndLoad(await post({ intent: 'preview', format: 'csv' }, { name: 'ev.csv', text: csv }));
    expect(check.status).toBe('succeeded');
    expect(check.result).toMatchObject({ format: 'csv', total: 2, cases: 2, problemCount: 0 });
    expect(check.result.rows.map((r) => [r.line, r.caseRef, r.finding, r.resultCode])).toEqual([
      [2, refs[0], 'left', 'malignant'],
      [3, refs[1], null, 'negative'],
    ]);
    expect(await count()).toBe(0);
    const imp = await runAndLoad(await post({ intent: 'import', check: check.id }));
    expect(imp.kind).toBe('evidence.import');
    expect(imp.status).toBe('succeeded');
    expect(imp.result).toMatchObject({ recorded: 2, duplicates: 0 });
    expect(await count()).toBe(2);
    const audit = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'evidence.import'), eq(auditLog.projectId, f.projectId)));
    expect(audit).toHaveLength(1);
    expect(audit[0].details).toMatchObject({ format: 'csv', recorded: 2, job: imp.id, file: 'ev.csv' });
  });

  it('import refuses a check job that found problems, and a job id of nothing', async () => {
    const [failed] = await t.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.kind, 'evidence.check'), eq(jobs.status, 'failed')));
    for (const check of [failed.id, 'not-a-uuid']) {
      const r = await post({ intent: 'import', check });
      expect(r.status).toBe(400);
      expect(JSON.stringify(await r.json())).toContain('Check the file first');
    }
  });

  it('a cancelled import records nothing', async () => {
    const csv = `case_id,finding,kind,date,result_code,text\n${refs[2]},right,pathology,2024-02-01,benign,\n`;
    const check = await runAndLoad(await post({ intent: 'preview' }, { name: 'ev2.csv', text: csv }));
    expect(check.status).toBe('succeeded');
    const res = await post({ intent: 'import', check: check.id });
    const id = res.headers.get('Location')!.split('job=')[1];
    await t.db.update(jobs).set({ cancelRequested: true }).where(eq(jobs.id, id));
    const done = await runNextJob({ db: t.db });
    expect(done?.status).toBe('cancelled');
    expect(await t.db.select().from(evidence).where(eq(evidence.caseId, f.caseIds[2]))).toHaveLength(0);
  });

  it('FHIR: an NDJSON report is matched by accession and previewed; an unmatched one is named by line, resource and path', async () => {
    const report = (acc: string, id: string) =>
      JSON.stringify({
        resourceType: 'DiagnosticReport',
        id,
        status: 'final',
        effectiveDateTime: '2024-02-10',
        identifier: [{ type: { coding: [{ code: 'ACSN' }] }, value: acc }],
        conclusion: 'No suspicious mass.',
      });
    const bad = await runAndLoad(await post({ intent: 'preview' }, { name: 'r.ndjson', text: `${report(refs[2], 'a')}\n${report('ACC-NONE', 'b')}\n` }));
    expect(bad.status).toBe('failed');
    expect(bad.result.format).toBe('fhir');
    expect(bad.result.problems.map((p) => p.text)).toEqual(['line 2: DiagnosticReport/b identifier: no case of this project matches (accession ACC-NONE)']);
    const good = await runAndLoad(await post({ intent: 'preview' }, { name: 'r.ndjson', text: `${report(refs[2], 'a')}\n` }));
    expect(good.status).toBe('succeeded');
    expect(good.result.rows).toEqual([expect.objectContaining({ resource: 'DiagnosticReport/a', caseRef: refs[2], matchedBy: 'accession', kind: 'report', date: '2024-02-10' })]);
    const imp = await runAndLoad(await post({ intent: 'import', check: good.id }));
    expect(imp.status).toBe('succeeded');
    expect(await t.db.select().from(evidence).where(eq(evidence.caseId, f.caseIds[2]))).toHaveLength(1);
  });

  it('a file that is not UTF-8 is refused naming the line, before any job', async () => {
    const fd = new FormData();
    fd.set('intent', 'preview');
    fd.set('file', new File([new Uint8Array([0x63, 0x61, 0x73, 0x65, 0x0a, 0xe9, 0x0a])], 'latin1.csv'));
    const req = new Request(`${BASE}/projects/${slug}/evidence`, { method: 'POST', body: fd, headers: { Cookie: cookie } });
    const r = await invoke(page.action as never, req, { slug });
    expect(r.status).toBe(400);
    expect(JSON.stringify(await r.json())).toMatch(/line 2/);
  });
});
