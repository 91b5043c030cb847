/** The lead's evidence and withdrawal pages, called as Remix would (real sessions, loaders, actions). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { invoke, request } from './fixtures/app.ts';
import { makeCase, makeProject, makeUser, addMember } from './fixtures/base.ts';
import { sessionCookie } from './fixtures/app.ts';
import { mammographyDefinition } from '../seed/demo-projects.ts';
import { cases, evidence, workflowEvents } from '../db/schema.ts';
import { startCaseWorkflow } from '../workflows/runtime.ts';
import * as evidenceRoute from '../app/routes/projects.$slug.cases.$caseId.evidence.tsx';
import * as withdrawRoute from '../app/routes/projects.$slug.cases.$caseId.withdraw.tsx';

let t: TestDb;
let slug: string;
let caseId: string;
let cookie: string;
beforeAll(async () => {
  t = await createTestDb();
  const lead = await makeUser(t.db, { email: `ev-lead-${Date.now()}@example.org` });
  const p = await makeProject(t.db, { owner: lead.id, definition: mammographyDefinition });
  await addMember(t.db, p.id, lead.id, 'lead');
  slug = p.slug;
  const c = await makeCase(t.db, p.id);
  await t.db.transaction(async (tx) => startCaseWorkflow({ tx, caseId: c.id, actorId: lead.id }));
  caseId = c.id;
  cookie = await sessionCookie(lead.email);
}, 120_000);
afterAll(async () => t?.dispose());

const path = (rest: string) => `/projects/${slug}/cases/${caseId}/${rest}`;

describe('evidence page', () => {
  it('shows the case, its findings and the mapping codes', async () => {
    const r = await invoke(evidenceRoute.loader as never, request(path('evidence'), { cookie }), { slug, caseId });
    const body = await r.json();
    expect(body.findings.map((f: { key: string }) => f.key)).toEqual(['left', 'right']);
    expect(body.codes).toEqual(expect.arrayContaining(['malignant', 'benign', 'negative']));
  });

  it('400 with field errors; then records one result through the workflow and redirects with a flash', async () => {
    const bad = await invoke(
      evidenceRoute.action as never,
      request(path('evidence'), { cookie, form: { clientRequestId: crypto.randomUUID(), intent: 'record', kind: 'pathology', date: '2024-02-30', finding: 'middle' } }),
      { slug, caseId },
    );
    expect(bad.status).toBe(400);
    const errs = (await bad.json()).errors;
    expect(errs.date[0]).toMatch(/does not exist/);
    expect(errs.resultCode[0]).toMatch(/result code or the text/);
    const ok = await invoke(
      evidenceRoute.action as never,
      request(path('evidence'), {
        cookie,
        form: { clientRequestId: crypto.randomUUID(), intent: 'record', kind: 'pathology', date: '2025-02-01', finding: 'left', resultCode: 'malignant', text: 'IDC' },
      }),
      { slug, caseId },
    );
    expect(ok.status).toBe(302);
    expect(ok.headers.get('Location')).toBe(path('evidence'));
    const rows = await t.db.select().from(evidence).where(eq(evidence.caseId, caseId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'pathology', resultCode: 'malignant', text: 'IDC', extraction: { method: 'manual' } });
    const evs = await t.db.select({ type: workflowEvents.type }).from(workflowEvents).where(eq(workflowEvents.caseId, caseId));
    expect(evs.map((e) => e.type)).toContain('evidence.record');
  });

  it('withdraw: needs confirmation and a reason; then purges and the case leaves', async () => {
    const bad = await invoke(withdrawRoute.action as never, request(path('withdraw'), { cookie, form: { clientRequestId: crypto.randomUUID(), reason: 'consent withdrawn' } }), {
      slug,
      caseId,
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors.confirm[0]).toMatch(/Tick the box/);
    const ok = await invoke(
      withdrawRoute.action as never,
      request(path('withdraw'), { cookie, form: { clientRequestId: crypto.randomUUID(), reason: 'consent withdrawn', confirm: 'yes' } }),
      { slug, caseId },
    );
    expect(ok.status).toBe(302);
    const [c] = await t.db.select().from(cases).where(eq(cases.id, caseId));
    expect(c.withdrawnAt).not.toBeNull();
    expect(c.externalId).toBeNull();
    const again = await invoke(
      evidenceRoute.action as never,
      request(path('evidence'), { cookie, form: { clientRequestId: crypto.randomUUID(), intent: 'record', kind: 'pathology', date: '2025-02-01', resultCode: 'benign' } }),
      { slug, caseId },
    );
    expect(again.status).toBe(409);
    expect((await again.json()).errors._form[0]).toMatch(/withdrawn/);
  });
});
