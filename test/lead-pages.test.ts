/**
 * The lead's pages on one scenario: case filters and pagination, the case page's provenance,
 * exclusions through the reviews page, dashboard numbers equal to stats/ on the same ratings
 * (and cached until stale), exports in three formats without withdrawn cases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { at, buildProject, pneumothoraxDefinition, rid, type Fixture } from './fixtures/workflow.ts';
import { testPasswordHash } from './fixtures/base.ts';
import { invoke, request, sessionCookie } from './fixtures/app.ts';
import { cases, patients, statsCache, users, auditLog } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import type { CaseCommand } from '../workflows/commands.ts';
import { listCases, caseFilterSchema } from '../app/models/cases.server.ts';
import { computeAgreement, getAgreementDashboard, projectAgreement } from '../app/models/agreement.server.ts';
import { exportTruth, truthRecords, CSV_COLUMNS } from '../app/models/export.server.ts';
import { createRelease } from '../app/models/releases.server.ts';
import { categoricalAgreement, extendReport, fromColumns } from '../stats/index.ts';
import { parseCsv } from '../formats/csv.ts';
import * as casesRoute from '../app/routes/projects.$slug.cases._index.tsx';
import * as caseRoute from '../app/routes/projects.$slug.cases.$caseId.tsx';
import * as reviewsRoute from '../app/routes/projects.$slug.reviews.tsx';
import * as agreementRoute from '../app/routes/projects.$slug.agreement.tsx';
import * as exportRoute from '../app/routes/projects.$slug.export.tsx';
import * as exportFile from '../app/routes/projects.$slug.export_.$format.tsx';

let t: TestDb;
let f: Fixture;
let slug: string;
let cookie: string;
const send = (caseId: string, actorId: string, event: CaseCommand, minute = 1) => sendCaseEvent({ caseId, actorId, event, clientRequestId: rid(), at: at(minute) });
const yes = { pneumothorax: true };
const no = { pneumothorax: false };

beforeAll(async () => {
  t = await createTestDb();
  f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 30, readers: 4 });
  const [c0] = await t.db.select({ projectId: cases.projectId }).from(cases).where(eq(cases.id, f.caseIds[0]));
  const { projects } = await import('../db/schema.ts');
  const [p] = await t.db.select().from(projects).where(eq(projects.id, c0.projectId));
  slug = p.slug;
  await t.db
    .update(users)
    .set({ passwordHash: await testPasswordHash() })
    .where(eq(users.id, f.lead));
  const [lead] = await t.db.select().from(users).where(eq(users.id, f.lead));
  cookie = await sessionCookie(lead.email);
  // Cases 0–9 into a second patient in the test split.
  const [pt] = await t.db.insert(patients).values({ projectId: f.projectId, pseudonym: 'PT-TEST', split: 'test' }).returning();
  for (const id of f.caseIds.slice(0, 10)) await t.db.update(cases).set({ patientId: pt.id }).where(eq(cases.id, id));
  const R = f.readers;
  // 0–19: two readers each, rotating pairs, agreeing mostly; 3, 7, 11 disagree.
  for (let i = 0; i < 20; i++) {
    const a = R[i % 4];
    const b = R[(i + 1) % 4];
    const truth = i % 3 === 0;
    await send(f.caseIds[i], a, { type: 'read.submit', values: truth ? yes : no }, 1);
    await send(f.caseIds[i], b, { type: 'read.submit', values: [3, 7, 11].includes(i) ? (truth ? no : yes) : truth ? yes : no }, 2);
  }
  // 3 adjudicated; 7 and 11 stay in adjudication.
  await send(f.caseIds[3], f.adjudicators[0], { type: 'adjudication.decide', values: yes, rationale: 'visible pleural line' }, 3);
  // 20: two cannot-assess → exclusion review; 21: one read.
  await send(f.caseIds[20], R[0], { type: 'read.submit', values: null, cannotAssessReason: 'motion' }, 1);
  await send(f.caseIds[20], R[1], { type: 'read.submit', values: null, cannotAssessReason: 'cropped' }, 2);
  await send(f.caseIds[21], R[2], { type: 'read.submit', values: yes }, 1);
  // 5 is withdrawn through the workflow (which purges its identifiers).
  await send(f.caseIds[5], f.lead, { type: 'case.withdraw', reason: 'consent withdrawn' }, 10);
}, 300_000);
afterAll(async () => t?.dispose());

const filters = (q: Record<string, string>) => caseFilterSchema.parse(q);

describe('case list', () => {
  it('filters by workflow state, truth state, split, disputed, excluded, withdrawn and paginates', async () => {
    const all = await listCases({ projectId: f.projectId, filters: filters({}) });
    expect(all.total).toBe(29); // the withdrawn case is not listed
    expect(all.rows).toHaveLength(25);
    expect(all.pages).toBe(2);
    const p2 = await listCases({ projectId: f.projectId, filters: filters({ page: '2' }) });
    expect(p2.rows).toHaveLength(4);
    expect(new Set([...all.rows, ...p2.rows].map((r) => r.id)).size).toBe(29);
    const adj = await listCases({ projectId: f.projectId, filters: filters({ state: 'adjudication' }) });
    expect(adj.rows.map((r) => r.id).sort()).toEqual([f.caseIds[7], f.caseIds[11]].sort());
    const disputed = await listCases({ projectId: f.projectId, filters: filters({ disputed: 'yes' }) });
    expect(disputed.rows.map((r) => r.id).sort()).toEqual([f.caseIds[3], f.caseIds[7], f.caseIds[11]].sort());
    const verified = await listCases({ projectId: f.projectId, filters: filters({ truth: 'verified' }) });
    expect(verified.total).toBe(20 - 1 - 2); // 0–19 without the withdrawn and the two in adjudication
    const split = await listCases({ projectId: f.projectId, filters: filters({ split: 'test' }) });
    expect(split.total).toBe(9);
    const excl = await listCases({ projectId: f.projectId, filters: filters({ state: 'exclusionReview' }) });
    expect(excl.rows.map((r) => r.id)).toEqual([f.caseIds[20]]);
    const withdrawn = await listCases({ projectId: f.projectId, filters: filters({ withdrawn: 'yes' }) });
    expect(withdrawn.rows.map((r) => r.id)).toEqual([f.caseIds[5]]);
    // Bad filter values are ignored rather than failing.
    expect(filters({ state: 'nonsense', page: '-3' })).toMatchObject({ state: '', page: 1 });
  });

  it('the list and case page loaders answer the lead with the provenance timeline', async () => {
    const res = await invoke(casesRoute.loader as never, request(`/projects/${slug}/cases?state=adjudication`, { cookie }), { slug });
    const body = await res.json();
    expect(body.list.total).toBe(2);
    const page = await invoke(caseRoute.loader as never, request(`/projects/${slug}/cases/${f.caseIds[3]}`, { cookie }), { slug, caseId: f.caseIds[3] });
    const c = await page.json();
    const types = c.prov.timeline.filter((i: { kind: string }) => i.kind === 'event').map((i: { type: string }) => i.type);
    expect(types).toEqual(['case.start', 'read.submit', 'read.submit', 'adjudication.decide']);
    const decide = c.prov.timeline.find((i: { type?: string }) => i.type === 'adjudication.decide');
    expect(decide.why).toBe('visible pleural line');
    expect(decide.truth[0]).toMatchObject({ state: 'verified', method: 'adjudication', value: yes });
    expect(c.prov.currentTruth).toHaveLength(1);
    const missing = await invoke(caseRoute.loader as never, request(`/projects/${slug}/cases/00000000-0000-0000-0000-000000000000`, { cookie }), {
      slug,
      caseId: '00000000-0000-0000-0000-000000000000',
    });
    expect(missing.status).toBe(404);
  });
});

describe('reviews', () => {
  it('an exclusion is confirmed through exclusion.resolve, with a message; a missing reason is a 400 naming the field', async () => {
    const bad = await invoke(
      reviewsRoute.action as never,
      request(`/projects/${slug}/reviews`, { cookie, form: { clientRequestId: crypto.randomUUID(), intent: 'exclusion', caseId: f.caseIds[20], decision: 'exclude', reason: '' } }),
      { slug },
    );
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors.reason[0]).toMatch(/Say why/);
    const list = await (await invoke(reviewsRoute.loader as never, request(`/projects/${slug}/reviews`, { cookie }), { slug })).json();
    expect(list.exclusions.rows.map((r: { caseId: string }) => r.caseId)).toEqual([f.caseIds[20]]);
    const ok = await invoke(
      reviewsRoute.action as never,
      request(`/projects/${slug}/reviews`, {
        cookie,
        form: { clientRequestId: crypto.randomUUID(), intent: 'exclusion', caseId: f.caseIds[20], decision: 'exclude', reason: 'image unreadable' },
      }),
      { slug },
    );
    expect(ok.status).toBe(302);
    expect(ok.headers.get('Set-Cookie')).toContain('truthline_flash');
    const after = await listCases({ projectId: f.projectId, filters: filters({ excluded: 'yes' }) });
    expect(after.rows.map((r) => r.id)).toEqual([f.caseIds[20]]);
    const again = await invoke(
      reviewsRoute.action as never,
      request(`/projects/${slug}/reviews`, {
        cookie,
        form: { clientRequestId: crypto.randomUUID(), intent: 'exclusion', caseId: f.caseIds[20], decision: 'exclude', reason: 'twice' },
      }),
      { slug },
    );
    // Already decided: a refusal by the case's state, not bad input.
    expect(again.status).toBe(409);
  });
});

describe('agreement dashboard', () => {
  it('shows the same numbers as stats/ on the same ratings', async () => {
    const dash = (await computeAgreement({ projectId: f.projectId }))!;
    const field = dash.fields[0];
    // The same ratings, built by hand from the scenario: cases 0–19 without the withdrawn 5,
    // latest reads only; case 20's cannot-assess reads are missing; case 21 has one read.
    const c: string[] = [];
    const r: string[] = [];
    const v: (string | null)[] = [];
    const R = f.readers;
    for (let i = 0; i < 20; i++) {
      if (i === 5) continue;
      const truth = i % 3 === 0;
      const second = [3, 7, 11].includes(i) ? !truth : truth;
      c.push(f.caseIds[i], f.caseIds[i]);
      r.push(R[i % 4], R[(i + 1) % 4]);
      v.push(truth ? 'Yes' : 'No', second ? 'Yes' : 'No');
    }
    c.push(f.caseIds[20], f.caseIds[20], f.caseIds[21]);
    r.push(R[0], R[1], R[2]);
    v.push(null, null, 'Yes');
    const ratings = fromColumns(c, r, v, { level: 'nominal', categories: ['No', 'Yes'] });
    const report = categoricalAgreement(ratings);
    const fleiss = report.statistics.find((s) => s.id === 'fleiss_kappa' && s.parameters.variant === 'all_available')!;
    const alpha = report.statistics.find((s) => s.id === 'krippendorff_alpha' && s.parameters.metric === 'nominal')!;
    const h = (id: string) => field.headline.find((x) => x.id === id)!;
    expect(h('fleiss_kappa').value).toBeCloseTo(fleiss.value!, 12);
    expect(h('fleiss_kappa').lower).toBeCloseTo(fleiss.ci!.lower!, 12);
    expect(h('fleiss_kappa').upper).toBeCloseTo(fleiss.ci!.upper!, 12);
    expect(h('krippendorff_alpha').value).toBeCloseTo(alpha.value!, 12);
    expect(field.readers).toBe(4);
    expect(field.missing).toBe(2);
    // Per-reader accuracy against the other readers (leave-one-reader-out), clustered by patient.
    const ext = extendReport(ratings, (x) => categoricalAgreement(x), { truthFrom: 'majority', positive: 'Yes' });
    const acc = ext.statistics.find((s) => s.id === 'accuracy' && s.parameters.reader === R[0] && s.parameters.variant === 'overall')!;
    expect(field.accuracy.find((a) => a.readerId === R[0])!.accuracy.value).toBeCloseTo(acc.value!, 12);
    expect(dash.byState.find((s) => s.state === 'adjudication')!.n).toBe(2);
    // The API's document for the item is stats/ too.
    const api = await projectAgreement({ projectId: f.projectId, item: 'pneumothorax' });
    expect(api.report.statistics.find((s) => s.id === 'fleiss_kappa' && s.parameters.variant === 'all_available')!.value).toBeCloseTo(fleiss.value!, 12);
  });

  it('is cached in stats_cache and recomputed when new events make it stale', async () => {
    const first = (await getAgreementDashboard({ projectId: f.projectId }))!;
    const second = (await getAgreementDashboard({ projectId: f.projectId }))!;
    expect(second.cached).toBe(true);
    expect(second.stamp).toBe(first.stamp);
    const rows = await t.db
      .select()
      .from(statsCache)
      .where(and(eq(statsCache.projectId, f.projectId), eq(statsCache.projectVersion, 1)));
    expect(rows).toHaveLength(1);
    await send(f.caseIds[22], f.readers[0], { type: 'read.submit', values: yes }, 5);
    const third = (await getAgreementDashboard({ projectId: f.projectId }))!;
    expect(third.cached).toBe(false);
    expect(third.stamp).not.toBe(first.stamp);
    expect(third.readers.find((r) => r.id === f.readers[0])!.reads).toBe(first.readers.find((r) => r.id === f.readers[0])!.reads + 1);
    const page = await (await invoke(agreementRoute.loader as never, request(`/projects/${slug}/agreement`, { cookie }), { slug })).json();
    expect(page.dash.fields[0].headline.length).toBeGreaterThan(3);
  });
});

describe('export', () => {
  it('csv, jsonl and PROV-JSON carry truth with provenance and never a withdrawn case', async () => {
    const records = await truthRecords({ projectId: f.projectId });
    expect(records).toHaveLength(29);
    expect(records.some((r) => r.case_uuid === f.caseIds[5])).toBe(false);
    const adjudicated = records.find((r) => r.case_uuid === f.caseIds[3])!;
    expect(adjudicated).toMatchObject({ truth_state: 'verified', method: 'adjudication', decider_id: f.adjudicators[0], rationale: 'visible pleural line', truth_value: yes });
    expect(adjudicated.event_hash).toMatch(/^[0-9a-f]{64}$/);
    const csv = await exportTruth({ projectId: f.projectId, format: 'csv' });
    const rows = parseCsv(csv.body);
    expect(rows[0].fields).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(30);
    const col = (name: string) => CSV_COLUMNS.indexOf(name as never);
    const row3 = rows.find((x) => x.fields[col('case_uuid')] === f.caseIds[3])!;
    expect(JSON.parse(row3.fields[col('truth_value')])).toEqual(yes);
    expect(row3.fields[col('derived_from_reads')].split(';')).toHaveLength(adjudicated.derived_from_reads.length);
    expect(csv.body).not.toContain(f.caseIds[5]);
    const jsonl = await exportTruth({ projectId: f.projectId, format: 'jsonl' });
    const lines = jsonl.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(29);
    expect(lines.find((l) => l.case_uuid === f.caseIds[0]).derived_from_reads[0]).toHaveProperty('values');
    const prov = JSON.parse((await exportTruth({ projectId: f.projectId, format: 'prov' })).body);
    expect(prov.prefix.tl).toBe('urn:truthline:');
    const truthEntities = Object.entries(prov.entity).filter(([, e]) => (e as Record<string, unknown>)['prov:type'] === 'tl:TruthLabel');
    expect(truthEntities.length).toBe(records.filter((r) => r.truth_id).length);
    expect(Object.values(prov.wasDerivedFrom).some((d) => (d as Record<string, string>)['prov:generatedEntity'] === `tl:truth-${adjudicated.truth_id}`)).toBe(true);
    expect(JSON.stringify(prov)).not.toContain(f.caseIds[5]);
  });

  it('the export route downloads a file and audits it', async () => {
    // Downloads come from the resource route /projects/:slug/export/:format; the page redirects older links there.
    const old = await invoke(exportRoute.loader as never, request(`/projects/${slug}/export?format=jsonl`, { cookie }), { slug });
    expect(old.status).toBe(302);
    expect(old.headers.get('Location')).toBe(`/projects/${slug}/export/jsonl`);
    const res = await invoke(exportFile.loader as never, request(`/projects/${slug}/export/jsonl`, { cookie }), { slug, format: 'jsonl' });
    expect(res.headers.get('Content-Disposition')).toMatch(/attachment; filename=".*\.jsonl"/);
    expect((await res.text()).trim().split('\n')).toHaveLength(29);
    const bad = await invoke(exportFile.loader as never, request(`/projects/${slug}/export/xml`, { cookie }), { slug, format: 'xml' });
    expect(bad.status).toBe(404);
    const audits = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.projectId, f.projectId), eq(auditLog.action, 'truth.export')));
    expect(audits).toHaveLength(1);
  });

  it('a release is numbered and content-hashed, with chain heads and the frozen split', async () => {
    const r1 = await createRelease({ projectId: f.projectId, actorId: f.lead, confirmPending: true });
    // Nothing changed in between: the same content is refused, naming the release it equals.
    await expect(createRelease({ projectId: f.projectId, actorId: f.lead, confirmPending: true })).rejects.toThrow('nothing changed since release 1');
    expect(r1.number).toBe(1);
    expect(Object.keys(r1.chainHeads as object)).toHaveLength(29);
    expect(r1.split).toMatchObject({ 'PT-TEST': 'test' });
  });
});
