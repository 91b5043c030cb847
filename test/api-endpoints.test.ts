/**
 * Contract tests of every /api/v1 endpoint (each answer checked against the generated OpenAPI
 * document), bulk create all-or-nothing, size limits, the reader's flow with idempotent
 * submission, and blinding through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { apiToken, makeWorld } from './fixtures/app.ts';
import { addMember, makeProject, makeUser } from './fixtures/base.ts';
import { caseWorkflows, cases, patients, reads } from '../db/schema.ts';
import { pneumothoraxDefinition } from '../db/seed/demo-projects.ts';
import { validate as validateStatsReport } from '../stats/schema.ts';
import { apiRequest, call, expectContract } from './api-support.ts';
import * as openapiRoute from '../app/routes/api.v1.openapi[.]json.tsx';
import * as projectsRoute from '../app/routes/api.v1.projects.tsx';
import * as casesRoute from '../app/routes/api.v1.projects.$slug.cases.tsx';
import * as caseRoute from '../app/routes/api.v1.projects.$slug.cases.$caseId.tsx';
import * as readsRoute from '../app/routes/api.v1.projects.$slug.cases.$caseId.reads.tsx';
import * as nextRoute from '../app/routes/api.v1.projects.$slug.next-case.tsx';
import * as evidenceRoute from '../app/routes/api.v1.projects.$slug.evidence.tsx';
import * as truthRoute from '../app/routes/api.v1.projects.$slug.truth.tsx';
import * as agreementRoute from '../app/routes/api.v1.projects.$slug.agreement.tsx';
import * as exportRoute from '../app/routes/api.v1.projects.$slug.export.tsx';

let t: TestDb;
let w: Awaited<ReturnType<typeof makeWorld>>;
let lead: string;
let r1: string;
let r2: string;
let r2Id: string;
/** A project whose policy reveals other reads and truth to a reader after finishing. */
let open: { slug: string; id: string };
let openTokens: { lead: string; r1: string; r2: string };
/** The default policy (no reveal), with two readers per case. */
let closed: { slug: string; id: string };
let closedTokens: { lead: string; r1: string; r2: string };

beforeAll(async () => {
  t = await createTestDb();
  w = await makeWorld(t.db);
  lead = w.tokens.lead!;
  r1 = w.tokens.reader!;
  const second = await makeUser(t.db, { email: `r2-${w.project.slug}@example.org` });
  r2Id = second.id;
  await addMember(t.db, w.project.id, second.id, 'reader');
  r2 = await apiToken(t.db, second.id, [w.project.id]);
  const p = await makeProject(t.db, {
    owner: w.users.lead.id,
    definition: { ...pneumothoraxDefinition, truthPolicy: { ...pneumothoraxDefinition.truthPolicy, blinding: { revealAfterFinish: true, maskReaderIdentities: true } } },
  });
  open = { slug: p.slug, id: p.id };
  await addMember(t.db, p.id, w.users.lead.id, 'lead');
  await addMember(t.db, p.id, w.users.reader.id, 'reader');
  await addMember(t.db, p.id, second.id, 'reader');
  openTokens = { lead: await apiToken(t.db, w.users.lead.id, [p.id]), r1: await apiToken(t.db, w.users.reader.id, [p.id]), r2: await apiToken(t.db, second.id, [p.id]) };
  const q = await makeProject(t.db, { owner: w.users.lead.id });
  closed = { slug: q.slug, id: q.id };
  await addMember(t.db, q.id, w.users.lead.id, 'lead');
  await addMember(t.db, q.id, w.users.reader.id, 'reader');
  await addMember(t.db, q.id, second.id, 'reader');
  closedTokens = { lead: await apiToken(t.db, w.users.lead.id, [q.id]), r1: await apiToken(t.db, w.users.reader.id, [q.id]), r2: await apiToken(t.db, second.id, [q.id]) };
}, 120_000);
afterAll(async () => t?.dispose());

const row = (i: number, over: Record<string, unknown> = {}) => ({ case_id: `API-${i}`, patient_id: `PT-${i}`, study_date: '2025-02-01', modality: 'CR', body_part: 'CHEST', images: [`/img/${i}.png`], ...over });
const post = (fn: any, path: string, params: Record<string, string>, token: string | null, json: unknown) => call(fn, apiRequest(path, { token, json }), params);
const get = (fn: any, path: string, params: Record<string, string>, token: string | null) => call(fn, apiRequest(path, { token }), params);

async function createCases(slug: string, token: string, rows: unknown[]) {
  return post(casesRoute.action, `/api/v1/projects/${slug}/cases`, { slug }, token, { cases: rows });
}
async function readNext(slug: string, token: string, value: boolean, id: string) {
  const n = await post(nextRoute.action, `/api/v1/projects/${slug}/next-case`, { slug }, token, {});
  expectContract('nextCase', n, 200);
  const caseId = n.body.case.id as string;
  const r = await post(readsRoute.action, `/api/v1/projects/${slug}/cases/${caseId}/reads`, { slug, caseId }, token, { client_request_id: id, values: { pneumothorax: value } });
  expectContract('submitRead', r, 201);
  return caseId;
}

describe('/api/v1', () => {
  it('openapi.json is public and is OpenAPI 3.1', async () => {
    const a = await get(openapiRoute.loader, '/api/v1/openapi.json', {}, null);
    expectContract('getOpenApi', a, 200);
    expect(a.body.openapi).toBe('3.1.0');
  });

  it('lists projects', async () => {
    const a = await get(projectsRoute.loader, '/api/v1/projects', {}, lead);
    expectContract('listProjects', a, 200);
    expect(a.body.projects).toEqual([{ id: w.project.id, slug: w.project.slug, name: 'Test project', description: '', roles: ['lead'] }]);
  });

  it('bulk create: one bad row → 422 naming row index and field, and nothing is written', async () => {
    const before = await Promise.all([t.db.select({ n: count() }).from(cases), t.db.select({ n: count() }).from(patients), t.db.select({ n: count() }).from(caseWorkflows)]);
    const bad = await createCases(w.project.slug, lead, [row(1), row(2, { study_date: '2025-02-30' }), row(3, { split: 'holdout' })]);
    expectContract('createCases', bad, 422);
    expect(bad.body.error.code).toBe('invalid_rows');
    expect(bad.body.error.details).toEqual([
      { index: 1, field: 'study_date', message: expect.any(String) },
      { index: 2, field: 'split', message: expect.any(String) },
    ]);
    // Database-level problems (a patient's split across rows) are reported the same way.
    const split = await createCases(w.project.slug, lead, [row(1, { patient_id: 'PT-X', split: 'train' }), row(2, { patient_id: 'PT-X', split: 'test' })]);
    expectContract('createCases', split, 422);
    expect(split.body.error.details).toEqual([{ index: 1, field: 'split', message: expect.stringMatching(/per patient/) }]);
    const after = await Promise.all([t.db.select({ n: count() }).from(cases), t.db.select({ n: count() }).from(patients), t.db.select({ n: count() }).from(caseWorkflows)]);
    expect(after).toEqual(before);
  });

  it('bulk create: all rows, with workflows started; then a repeat of a case id is refused', async () => {
    const ok = await createCases(w.project.slug, lead, [row(1), row(2), row(3, { patient_id: 'PT-1', metadata: { site: 'A' } })]);
    expectContract('createCases', ok, 201);
    expect(ok.body.created).toBe(3);
    expect(ok.body.cases.map((c: { state: string }) => c.state)).toEqual(['awaitingReads', 'awaitingReads', 'awaitingReads']);
    const dup = await createCases(w.project.slug, lead, [row(4), row(1)]);
    expectContract('createCases', dup, 422);
    expect(dup.body.error.details).toEqual([{ index: 1, field: 'case_id', message: expect.stringMatching(/already/) }]);
  });

  it('bulk create: 413 for an oversized body (declared or streamed), 415 for non-JSON, 400 for bad JSON, 422 for a bad envelope', async () => {
    const path = `/api/v1/projects/${w.project.slug}/cases`;
    const params = { slug: w.project.slug };
    const declared = await call(casesRoute.action, apiRequest(path, { token: lead, body: '{}', headers: { 'Content-Type': 'application/json', 'Content-Length': String(5 * 1024 * 1024) } }), params);
    expectContract('createCases', declared, 413);
    expect(declared.body.error.code).toBe('payload_too_large');
    const big = JSON.stringify({ cases: Array.from({ length: 20000 }, (_, i) => row(i, { metadata: { note: 'x'.repeat(200) } })) });
    const streamed = await call(casesRoute.action, apiRequest(path, { token: lead, body: big, headers: { 'Content-Type': 'application/json' } }), params);
    expectContract('createCases', streamed, 413);
    const form = await call(casesRoute.action, apiRequest(path, { token: lead, body: 'a=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), params);
    expectContract('createCases', form, 415);
    const broken = await call(casesRoute.action, apiRequest(path, { token: lead, body: '{"cases": [', headers: { 'Content-Type': 'application/json' } }), params);
    expectContract('createCases', broken, 400);
    expect(broken.body.error.code).toBe('invalid_json');
    const envelope = await createCases(w.project.slug, lead, []);
    expectContract('createCases', envelope, 422);
    expect(envelope.body.error.code).toBe('validation_failed');
  });

  it('lists cases with an opaque cursor', async () => {
    const path = `/api/v1/projects/${w.project.slug}/cases`;
    const p1 = await get(casesRoute.loader, `${path}?limit=2`, { slug: w.project.slug }, lead);
    expectContract('listCases', p1, 200);
    expect(p1.body.cases).toHaveLength(2);
    expect(p1.body.next_cursor).toEqual(expect.any(String));
    const p2 = await get(casesRoute.loader, `${path}?limit=2&cursor=${encodeURIComponent(p1.body.next_cursor)}`, { slug: w.project.slug }, lead);
    expectContract('listCases', p2, 200);
    expect(p2.body.cases).toHaveLength(2); // the world's case + 3 created
    expect(p2.body.next_cursor).toBeNull();
    const ids = [...p1.body.cases, ...p2.body.cases].map((c: { id: string }) => c.id);
    expect(new Set(ids).size).toBe(4);
    const bad = await get(casesRoute.loader, `${path}?cursor=bm9wZQ`, { slug: w.project.slug }, lead);
    expectContract('listCases', bad, 400);
    expect(bad.body.error.code).toBe('invalid_cursor');
    const limit = await get(casesRoute.loader, `${path}?limit=0`, { slug: w.project.slug }, lead);
    expectContract('listCases', limit, 400);
  });

  it('reader: next case, read submission idempotent by client request id, assignment and form rules', async () => {
    const slug = w.project.slug;
    const n = await post(nextRoute.action, `/api/v1/projects/${slug}/next-case`, { slug }, r1, {});
    expectContract('nextCase', n, 200);
    expect(n.body.assignment.reused).toBe(false);
    expect(n.body.item_keys).toEqual(['pneumothorax']);
    expect(JSON.stringify(n.body)).not.toMatch(/API-\d|PT-\d/); // no accession or patient id for readers
    const again = await post(nextRoute.action, `/api/v1/projects/${slug}/next-case`, { slug }, r1, {});
    expect(again.body.assignment).toMatchObject({ id: n.body.assignment.id, reused: true });
    const caseId = n.body.case.id as string;
    const path = `/api/v1/projects/${slug}/cases/${caseId}/reads`;
    const invalid = await post(readsRoute.action, path, { slug, caseId }, r1, { client_request_id: 'r1-bad', values: { pneumothorax: 'maybe' } });
    expectContract('submitRead', invalid, 422);
    const first = await post(readsRoute.action, path, { slug, caseId }, r1, { client_request_id: 'r1-a', values: { pneumothorax: true }, confidence: 80 });
    expectContract('submitRead', first, 201);
    expect(first.body.repeat).toBe(false);
    const repeat = await post(readsRoute.action, path, { slug, caseId }, r1, { client_request_id: 'r1-a', values: { pneumothorax: true }, confidence: 80 });
    expectContract('submitRead', repeat, 200);
    expect(repeat.body).toEqual({ read_id: first.body.read_id, case_id: caseId, repeat: true });
    expect(await t.db.select({ n: count() }).from(reads).where(eq(reads.caseId, caseId))).toEqual([{ n: 1 }]);
    // A second, different read needs an assignment the reader no longer holds.
    const noAssign = await post(readsRoute.action, path, { slug, caseId }, r1, { client_request_id: 'r1-b', values: { pneumothorax: false } });
    expectContract('submitRead', noAssign, 409);
    expect(noAssign.body.error.code).toBe('no_assignment');
    // Another reader cannot replay someone else's request id.
    const stolen = await post(readsRoute.action, path, { slug, caseId }, r2, { client_request_id: 'r1-a', values: { pneumothorax: true } });
    expectContract('submitRead', stolen, 409);
    expect(stolen.body.error.code).toBe('idempotency_conflict');
    const unknown = await post(readsRoute.action, `/api/v1/projects/${slug}/cases/00000000-0000-4000-8000-000000000000/reads`, { slug, caseId: '00000000-0000-4000-8000-000000000000' }, r1, { client_request_id: 'x', values: null });
    expectContract('submitRead', unknown, 404);
  });

  it('blinding: a reader never sees truth, other reads, state or statistics of a case they have not finished', async () => {
    const slug = closed.slug;
    await createCases(slug, closedTokens.lead, [row(201)]);
    // Both readers read the one case (2 readers per case, unanimous → decided).
    const caseId = await readNext(slug, closedTokens.r1, true, 'c-r1-1');
    const before = await get(caseRoute.loader, `/api/v1/projects/${slug}/cases/${caseId}`, { slug, caseId }, closedTokens.r1);
    expectContract('getCase', before, 200);
    expect(before.body).toMatchObject({ state: null, revealed: false, truth: null });
    expect(await readNext(slug, closedTokens.r2, true, 'c-r2-1')).toBe(caseId);
    const detail = await get(caseRoute.loader, `/api/v1/projects/${slug}/cases/${caseId}`, { slug, caseId }, closedTokens.r2);
    expectContract('getCase', detail, 200);
    expect(detail.body).toMatchObject({ state: null, revealed: false, truth: null });
    expect(detail.body.reads).toHaveLength(1);
    expect(JSON.stringify(detail.body)).not.toContain(w.users.reader.id);
    const leadView = await get(caseRoute.loader, `/api/v1/projects/${slug}/cases/${caseId}`, { slug, caseId }, closedTokens.lead);
    expectContract('getCase', leadView, 200);
    expect(leadView.body.state).toBe('decided');
    expect(leadView.body.reads).toHaveLength(2);
    expect(leadView.body.truth[0]).toMatchObject({ state: 'verified', value: { pneumothorax: true } });
    // Decided and finished by r2 — but this project does not reveal: still blinded.
    const readsList = await get(readsRoute.loader, `/api/v1/projects/${slug}/cases/${caseId}/reads`, { slug, caseId }, closedTokens.r2);
    expectContract('listReads', readsList, 200);
    expect(readsList.body.reads).toHaveLength(1);
    expect(readsList.body.reads[0]).toMatchObject({ reader: 'you', mine: true });
    // A case the reader holds no assignment on and never read: invisible.
    const unseen = w.kase.id;
    const hidden = await get(caseRoute.loader, `/api/v1/projects/${w.project.slug}/cases/${unseen}`, { slug: w.project.slug, caseId: unseen }, r2);
    expectContract('getCase', hidden, 404);
    // Truth, statistics, case lists and export are for leads.
    for (const [op, fn, path] of [
      ['listTruth', truthRoute.loader, 'truth'],
      ['getAgreement', agreementRoute.loader, 'agreement'],
      ['listCases', casesRoute.loader, 'cases'],
      ['exportTruth', exportRoute.loader, 'export'],
    ] as const) {
      const a = await get(fn, `/api/v1/projects/${slug}/${path}`, { slug }, closedTokens.r2);
      expectContract(op, a, 403);
      expect(a.body.error.code).toBe('forbidden');
    }
  });

  it('blinding with revealAfterFinish: revealed only once the reader has read and the case is decided; identities masked', async () => {
    await createCases(open.slug, openTokens.lead, [row(101)]);
    const caseId = await readNext(open.slug, openTokens.r1, false, 'o-r1');
    const before = await get(caseRoute.loader, `/api/v1/projects/${open.slug}/cases/${caseId}`, { slug: open.slug, caseId }, openTokens.r1);
    expect(before.body).toMatchObject({ revealed: false, truth: null, state: null });
    const n = await post(nextRoute.action, `/api/v1/projects/${open.slug}/next-case`, { slug: open.slug }, openTokens.r2, {});
    expect(n.body.case.id).toBe(caseId); // the project's only case
    await post(readsRoute.action, `/api/v1/projects/${open.slug}/cases/${caseId}/reads`, { slug: open.slug, caseId }, openTokens.r2, { client_request_id: 'o-r2', values: { pneumothorax: false } });
    const after = await get(caseRoute.loader, `/api/v1/projects/${open.slug}/cases/${caseId}`, { slug: open.slug, caseId }, openTokens.r1);
    expectContract('getCase', after, 200);
    expect(after.body.revealed).toBe(true);
    expect(after.body.state).toBe('decided');
    expect(after.body.reads.map((r: { reader: string }) => r.reader).sort()).toEqual(['Reader 1', 'you']);
    expect(JSON.stringify(after.body)).not.toContain(r2Id);
    expect(after.body.truth[0].value).toEqual({ pneumothorax: false });
  });

  it('truth with provenance and agreement statistics (leads)', async () => {
    const slug = closed.slug;
    await createCases(slug, closedTokens.lead, [row(202), row(203)]);
    // Two more cases, each read by both readers (assignment spreads reads: r1, r2, r1, r2); r2 disagrees once.
    await readNext(slug, closedTokens.r1, true, 'c-r1-2');
    await readNext(slug, closedTokens.r2, false, 'c-r2-2');
    await readNext(slug, closedTokens.r1, false, 'c-r1-3');
    await readNext(slug, closedTokens.r2, false, 'c-r2-3');
    const truth = await get(truthRoute.loader, `/api/v1/projects/${slug}/truth?history=true&limit=2`, { slug }, closedTokens.lead);
    expectContract('listTruth', truth, 200);
    expect(truth.body.cases).toHaveLength(2);
    expect(truth.body.next_cursor).toEqual(expect.any(String));
    const verified = truth.body.cases.flatMap((c: { truth: { state: string }[] }) => c.truth).filter((l: { state: string }) => l.state === 'verified');
    expect(verified.length).toBeGreaterThanOrEqual(1);
    expect(verified[0].derived_from_reads).toHaveLength(2);
    expect(verified[0].method).toEqual(expect.any(String));
    expect(verified[0].policy_version).toBe(1);
    const page2 = await get(truthRoute.loader, `/api/v1/projects/${slug}/truth?limit=2&cursor=${truth.body.next_cursor}`, { slug }, closedTokens.lead);
    expectContract('listTruth', page2, 200);
    expect(page2.body.cases).toHaveLength(1);
    const bad = await get(truthRoute.loader, `/api/v1/projects/${slug}/truth?history=maybe`, { slug }, closedTokens.lead);
    expectContract('listTruth', bad, 400);

    const stats = await get(agreementRoute.loader, `/api/v1/projects/${slug}/agreement`, { slug }, closedTokens.lead);
    expectContract('getAgreement', stats, 200);
    expect(validateStatsReport(stats.body)).toEqual([]);
    expect(stats.body.statistics.map((e: { id: string }) => e.id)).toContain('cohen_kappa');
    const unknownItem = await get(agreementRoute.loader, `/api/v1/projects/${slug}/agreement?item=nope`, { slug }, closedTokens.lead);
    expectContract('getAgreement', unknownItem, 400);
  });

  it('evidence and export answer 501 for leads (their workflows are not built yet), after the access check', async () => {
    const slug = w.project.slug;
    const ev = await post(evidenceRoute.action, `/api/v1/projects/${slug}/evidence`, { slug }, lead, { client_request_id: 'e1', case_id: 'API-1', kind: 'pathology', date: '2025-03-01', result_code: 'malignant' });
    expectContract('submitEvidence', ev, 501);
    expect(ev.body.error.code).toBe('not_implemented');
    expectContract('submitEvidence', await post(evidenceRoute.action, `/api/v1/projects/${slug}/evidence`, { slug }, r1, {}), 403);
    const ex = await get(exportRoute.loader, `/api/v1/projects/${slug}/export?format=csv`, { slug }, lead);
    expectContract('exportTruth', ex, 501);
  });
});
