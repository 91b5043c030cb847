/**
 * Contract tests of every /api/v1 endpoint (each answer checked against the generated OpenAPI
 * document), bulk create all-or-nothing, size limits, the reader's flow with idempotent
 * submission, blinding through the API, evidence (idempotent, all checks before any write) and
 * the export (csv, jsonl, PROV-JSON; withdrawn cases left out).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, count, eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { apiToken, makeWorld } from './fixtures/app.ts';
import { addMember, makeProject, makeUser } from './fixtures/base.ts';
import { auditLog, caseWorkflows, cases, evidence, patients, reads, workflowEvents } from '../db/schema.ts';
import { mammographyDefinition, pneumothoraxDefinition } from '../seed/demo-projects.ts';
import { CSV_COLUMNS } from '../app/models/export.server.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
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
/** A finding-level project with an evidence reference standard (evidence and export tests). */
let mammo: { slug: string; id: string };
let mammoLead: string;

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
  const m = await makeProject(t.db, { owner: w.users.lead.id, definition: mammographyDefinition });
  mammo = { slug: m.slug, id: m.id };
  await addMember(t.db, m.id, w.users.lead.id, 'lead');
  mammoLead = await apiToken(t.db, w.users.lead.id, [m.id]);
}, 120_000);
afterAll(async () => t?.dispose());

const row = (i: number, over: Record<string, unknown> = {}) => ({
  case_id: `API-${i}`,
  patient_id: `PT-${i}`,
  study_date: '2025-02-01',
  modality: 'CR',
  body_part: 'CHEST',
  images: [`/img/${i}.png`],
  ...over,
});
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
    const declared = await call(
      casesRoute.action,
      apiRequest(path, { token: lead, body: '{}', headers: { 'Content-Type': 'application/json', 'Content-Length': String(5 * 1024 * 1024) } }),
      params,
    );
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
    const unknown = await post(
      readsRoute.action,
      `/api/v1/projects/${slug}/cases/00000000-0000-4000-8000-000000000000/reads`,
      { slug, caseId: '00000000-0000-4000-8000-000000000000' },
      r1,
      { client_request_id: 'x', values: null },
    );
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
    await post(readsRoute.action, `/api/v1/projects/${open.slug}/cases/${caseId}/reads`, { slug: open.slug, caseId }, openTokens.r2, {
      client_request_id: 'o-r2',
      values: { pneumothorax: false },
    });
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

  it('evidence: one result through the workflow, recorded once on a repeat; bad rows write nothing; readers and adjudicators 403', async () => {
    const slug = mammo.slug;
    const path = `/api/v1/projects/${slug}/evidence`;
    const send = (body: unknown, token = mammoLead) => post(evidenceRoute.action, path, { slug }, token, body);
    const created = await createCases(slug, mammoLead, [row(301), row(302), row(303)]);
    expectContract('createCases', created, 201);
    const [c301, c302] = created.body.cases.map((c: { id: string }) => c.id) as string[];
    const evidenceCount = async () => (await t.db.select({ n: count() }).from(evidence))[0].n;
    const eventCount = async () => (await t.db.select({ n: count() }).from(workflowEvents))[0].n;
    const before = [await evidenceCount(), await eventCount()];

    // Bad requests: nothing is written.
    const base = { client_request_id: 'ev-bad', case_id: 'API-301', kind: 'pathology', date: '2025-03-01', result_code: 'malignant' };
    const noResult = await send({ ...base, result_code: undefined });
    expectContract('submitEvidence', noResult, 422);
    expect(noResult.body.error).toMatchObject({ code: 'validation_failed', details: [{ path: ['result_code'], message: expect.stringMatching(/result_code or a text/) }] });
    const badDate = await send({ ...base, date: '2025-02-30' });
    expectContract('submitEvidence', badDate, 422);
    expect(badDate.body.error.details[0].path).toEqual(['date']);
    const badKind = await send({ ...base, kind: 'biopsy' });
    expectContract('submitEvidence', badKind, 422);
    const extra = await send({ ...base, note: 'x' });
    expectContract('submitEvidence', extra, 422);
    const badFinding = await send({ ...base, finding: 'middle' }); // the workflow refuses it
    expectContract('submitEvidence', badFinding, 422);
    expect(badFinding.body.error.message).toMatch(/middle/);
    const unknownCase = await send({ ...base, case_id: 'NOPE-1' });
    expectContract('submitEvidence', unknownCase, 404);
    const broken = await call(evidenceRoute.action, apiRequest(path, { token: mammoLead, body: '{"case_id": ', headers: { 'Content-Type': 'application/json' } }), { slug });
    expectContract('submitEvidence', broken, 400);
    const form = await call(evidenceRoute.action, apiRequest(path, { token: mammoLead, body: 'a=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), { slug });
    expectContract('submitEvidence', form, 415);
    expect([await evidenceCount(), await eventCount()]).toEqual(before);

    // Readers and adjudicators may not record evidence (access is checked before the body).
    for (const token of [r1, w.tokens.adjudicator!]) {
      const a = await post(evidenceRoute.action, `/api/v1/projects/${w.project.slug}/evidence`, { slug: w.project.slug }, token, { ...base, case_id: w.kase.id });
      expectContract('submitEvidence', a, 403);
      expect(a.body.error.code).toBe('forbidden');
    }

    // One result by the importer's case id; its repeat records nothing and says so.
    const ok = { client_request_id: 'ev-1', case_id: 'API-301', finding: 'left', kind: 'pathology', date: '2025-03-01', result_code: 'malignant', text: 'IDC, grade 2' };
    const first = await send(ok);
    expectContract('submitEvidence', first, 201);
    expect(first.body).toMatchObject({ case_id: c301, repeat: false, state: expect.any(String) });
    const repeat = await send(ok);
    expectContract('submitEvidence', repeat, 200);
    expect(repeat.body).toMatchObject({ evidence_id: first.body.evidence_id, case_id: c301, repeat: true });
    const rows = await t.db.select().from(evidence).where(eq(evidence.caseId, c301));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: first.body.evidence_id, kind: 'pathology', resultCode: 'malignant', text: 'IDC, grade 2', extraction: { method: 'manual' } });
    const evs = await t.db.select({ type: workflowEvents.type }).from(workflowEvents).where(eq(workflowEvents.clientRequestId, 'ev-1'));
    expect(evs).toEqual([{ type: 'evidence.record' }]);
    // The same id for another case, or an id a reader used for a read, is not a repeat.
    const reused = await send({ ...ok, case_id: 'API-302' });
    expectContract('submitEvidence', reused, 409);
    expect(reused.body.error.code).toBe('idempotency_conflict');
    // The opaque case id works too; a whole-case result with text only.
    const byId = await send({ client_request_id: 'ev-2', case_id: c302, kind: 'follow_up', date: '2025-06-01', text: 'No findings at 6 months.' });
    expectContract('submitEvidence', byId, 201);
    expect(byId.body.case_id).toBe(c302);
    expect(await evidenceCount()).toBe(before[0] + 2);
  });

  it('export: csv, jsonl and PROV-JSON for leads, withdrawn cases left out, each export audited; 400 for an unknown format; 403 for readers and adjudicators', async () => {
    const slug = mammo.slug;
    const path = `/api/v1/projects/${slug}/export`;
    const listed = await get(casesRoute.loader, `/api/v1/projects/${slug}/cases`, { slug }, mammoLead);
    const byExternal = new Map<string, string>(listed.body.cases.map((c: { id: string; case_id: string }) => [c.case_id, c.id]));
    const withdrawn = byExternal.get('API-303')!;
    expect(withdrawn).toEqual(expect.any(String));
    const w1 = await sendCaseEvent({
      caseId: withdrawn,
      actorId: w.users.lead.id,
      clientRequestId: 'api-withdraw-303',
      event: { type: 'case.withdraw', reason: 'consent withdrawn' },
    });
    expect(w1.status).toBe('applied');
    // Evidence for it now: by the opaque id the workflow refuses (409); its importer's id is gone (404).
    const late = await post(evidenceRoute.action, `/api/v1/projects/${slug}/evidence`, { slug }, mammoLead, {
      client_request_id: 'ev-late',
      case_id: withdrawn,
      kind: 'pathology',
      date: '2025-03-01',
      result_code: 'benign',
    });
    expectContract('submitEvidence', late, 409);
    expect(late.body.error.code).toBe('state_conflict');
    const lateByName = await post(evidenceRoute.action, `/api/v1/projects/${slug}/evidence`, { slug }, mammoLead, {
      client_request_id: 'ev-late',
      case_id: 'API-303',
      kind: 'pathology',
      date: '2025-03-01',
      result_code: 'benign',
    });
    expectContract('submitEvidence', lateByName, 404);

    const audits = async () =>
      (
        await t.db
          .select({ n: count() })
          .from(auditLog)
          .where(and(eq(auditLog.action, 'truth.export'), eq(auditLog.projectId, mammo.id)))
      )[0].n;
    const auditBefore = await audits();
    const stamp = new Date().toISOString().slice(0, 10);

    const csv = await get(exportRoute.loader, `${path}?format=csv`, { slug }, mammoLead);
    expectContract('exportTruth', csv, 200);
    expect(csv.headers.get('Content-Type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('Content-Disposition')).toBe(`attachment; filename="${slug}-truth-${stamp}.csv"`);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    const csvCases = new Set(lines.slice(1).map((l) => l.split(',')[0]));
    expect(csvCases).toEqual(new Set(['API-301', 'API-302']));
    expect(csv.text).not.toContain(withdrawn);

    const jsonl = await get(exportRoute.loader, path, { slug }, mammoLead); // jsonl is the default
    expectContract('exportTruth', jsonl, 200);
    expect(jsonl.headers.get('Content-Type')).toMatch(/^application\/x-ndjson/);
    expect(jsonl.headers.get('Content-Disposition')).toBe(`attachment; filename="${slug}-truth-${stamp}.jsonl"`);
    const records = jsonl.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(new Set(records.map((r) => r.case_id))).toEqual(new Set(['API-301', 'API-302']));
    expect(records.every((r) => r.case_uuid !== withdrawn && typeof r.chain_head === 'string' && typeof r.truth_state === 'string')).toBe(true);
    expect(records.length).toBe(lines.length - 1);

    const prov = await get(exportRoute.loader, `${path}?format=prov`, { slug }, mammoLead);
    expectContract('exportTruth', prov, 200);
    expect(prov.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(prov.headers.get('Content-Disposition')).toBe(`attachment; filename="${slug}-truth-${stamp}.prov.json"`);
    expect(prov.body.entity['project:export']).toMatchObject({ 'prov:type': 'tl:TruthExport', 'tl:project': slug, 'tl:records': records.length });
    expect(Object.keys(prov.body.entity)).toEqual(expect.arrayContaining([`tl:case-${byExternal.get('API-301')}`, `tl:case-${byExternal.get('API-302')}`]));
    expect(prov.text).not.toContain(withdrawn);

    expect(await audits()).toBe(auditBefore + 3);
    const bad = await get(exportRoute.loader, `${path}?format=xml`, { slug }, mammoLead);
    expectContract('exportTruth', bad, 400);
    expect(await audits()).toBe(auditBefore + 3);
    for (const token of [r1, w.tokens.adjudicator!]) {
      const a = await get(exportRoute.loader, `/api/v1/projects/${w.project.slug}/export?format=csv`, { slug: w.project.slug }, token);
      expectContract('exportTruth', a, 403);
      expect(a.body.error.code).toBe('forbidden');
    }
  });
});
