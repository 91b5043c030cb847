/**
 * Idempotency in one place: every page form that writes carries a request id minted by its loader,
 * and the same form submitted twice (a double click, a resubmitted POST) records once. The
 * second submit is recognised by the workflow runtime, not by a check of the route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, count, eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { at, buildProject, rid, type Fixture } from './fixtures/workflow.ts';
import { testPasswordHash } from './fixtures/base.ts';
import { invoke, request, sessionCookie } from './fixtures/app.ts';
import { mammographyDefinition } from '../seed/demo-projects.ts';
import { projectDefinitionSchema } from '../workflows/definition.ts';
import { evidence, projects, reviews, users, workflowEvents } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import type { CaseCommand } from '../workflows/commands.ts';
import { claimCase } from '../app/models/adjudication.server.ts';
import * as evidenceRoute from '../app/routes/projects.$slug.cases.$caseId.evidence.tsx';
import * as withdrawRoute from '../app/routes/projects.$slug.cases.$caseId.withdraw.tsx';
import * as caseRoute from '../app/routes/projects.$slug.cases.$caseId.tsx';
import * as reviewsRoute from '../app/routes/projects.$slug.reviews.tsx';
import * as adjudicateRoute from '../app/routes/projects.$slug.adjudicate.$caseId.tsx';

let t: TestDb;
let f: Fixture;
let slug: string;
let lead: string;
let adjudicator: string;
const def = projectDefinitionSchema.parse({
  ...mammographyDefinition,
  mapping: { ...mammographyDefinition.mapping, expectation: { field: 'birads', positive: ['5'], negative: ['1'] } },
});
let minute = 0;
const send = (caseId: string, actorId: string, event: CaseCommand) => sendCaseEvent({ caseId, actorId, event, clientRequestId: rid(), at: at(++minute) });
const both = (left: string, right: string) => ({ 'left/birads': left, 'right/birads': right });

beforeAll(async () => {
  t = await createTestDb();
  f = await buildProject(t.db, { definition: def, cases: 0 });
  const [p] = await t.db.select().from(projects).where(eq(projects.id, f.projectId));
  slug = p.slug;
  await t.db.update(users).set({ passwordHash: await testPasswordHash() });
  const email = async (id: string) => (await t.db.select({ e: users.email }).from(users).where(eq(users.id, id)))[0].e;
  lead = await sessionCookie(await email(f.lead));
  adjudicator = await sessionCookie(await email(f.adjudicators[0]));
}, 120_000);
afterAll(async () => t?.dispose());

async function events(caseId: string, type: string): Promise<number> {
  const [{ n }] = await t.db
    .select({ n: count() })
    .from(workflowEvents)
    .where(and(eq(workflowEvents.caseId, caseId), eq(workflowEvents.type, type)));
  return n;
}

/** Loads the page as the browser would, then posts its form twice with the loader's request id. */
async function twice(
  route: { loader: unknown; action: unknown },
  path: string,
  params: Record<string, string>,
  cookie: string,
  form: (data: Record<string, unknown>) => Record<string, string>,
) {
  const page = await (await invoke(route.loader as never, request(path, { cookie }), params)).json();
  const body = form(page);
  const first = await invoke(route.action as never, request(path, { cookie, form: body }), params);
  const second = await invoke(route.action as never, request(path, { cookie, form: body }), params);
  return { first, second };
}

describe('a double submit of each form records once', () => {
  it('evidence', async () => {
    const c = await f.addCase();
    const path = `/projects/${slug}/cases/${c}/evidence`;
    const { first, second } = await twice(evidenceRoute, path, { slug, caseId: c }, lead, (d) => ({
      intent: 'record',
      clientRequestId: d.clientRequestId as string,
      kind: 'pathology',
      date: '2024-02-01',
      finding: 'left',
      resultCode: 'benign',
    }));
    expect([first.status, second.status]).toEqual([302, 302]);
    expect(await t.db.select({ n: count() }).from(evidence).where(eq(evidence.caseId, c))).toEqual([{ n: 1 }]);
    expect(await events(c, 'evidence.record')).toBe(1);
  });

  it('withdrawal', async () => {
    const c = await f.addCase();
    const path = `/projects/${slug}/cases/${c}/withdraw`;
    const { first, second } = await twice(withdrawRoute, path, { slug, caseId: c }, lead, (d) => ({
      clientRequestId: d.clientRequestId as string,
      reason: 'consent withdrawn',
      confirm: 'yes',
    }));
    expect([first.status, second.status]).toEqual([302, 302]);
    expect(await events(c, 'case.withdraw')).toBe(1);
  });

  it('exclusion, on the reviews page and on the case page', async () => {
    const onReviews = await f.addCase();
    const onCase = await f.addCase();
    for (const c of [onReviews, onCase]) {
      await send(c, f.readers[0], { type: 'read.submit', values: null, cannotAssessReason: 'motion' });
      await send(c, f.readers[1], { type: 'read.submit', values: null, cannotAssessReason: 'cropped' });
    }
    const r = await twice(reviewsRoute, `/projects/${slug}/reviews`, { slug }, lead, (d) => {
      const row = (d.exclusions as { rows: { caseId: string; requestId: string }[] }).rows.find((x) => x.caseId === onReviews)!;
      return { intent: 'exclusion', clientRequestId: row.requestId, caseId: onReviews, decision: 'exclude', reason: 'unreadable' };
    });
    expect([r.first.status, r.second.status]).toEqual([302, 302]);
    expect(await events(onReviews, 'exclusion.resolve')).toBe(1);
    const path = `/projects/${slug}/cases/${onCase}`;
    const c = await twice(caseRoute, path, { slug, caseId: onCase }, lead, (d) => ({
      intent: 'exclusion',
      clientRequestId: (d.requestIds as { exclusion: string }).exclusion,
      caseId: onCase,
      decision: 'keep',
      reason: 'readable after all',
    }));
    expect([c.first.status, c.second.status]).toEqual([302, 302]);
    expect(await events(onCase, 'exclusion.resolve')).toBe(1);
    // A new load of the page is a new request: refused by the case's state, not recorded again.
    const again = await twice(caseRoute, path, { slug, caseId: onCase }, lead, (d) => ({
      intent: 'exclusion',
      clientRequestId: (d.requestIds as { exclusion: string }).exclusion,
      caseId: onCase,
      decision: 'keep',
      reason: 'once more',
    }));
    expect(again.first.status).toBe(409);
    expect(await events(onCase, 'exclusion.resolve')).toBe(1);
  });

  it('reopen', async () => {
    const c = await f.addCase();
    await send(c, f.readers[0], { type: 'read.submit', values: both('1', '1') });
    await send(c, f.readers[1], { type: 'read.submit', values: both('1', '1') });
    const { first, second } = await twice(caseRoute, `/projects/${slug}/cases/${c}`, { slug, caseId: c }, lead, (d) => ({
      intent: 'reopen',
      clientRequestId: (d.requestIds as { reopen: string }).reopen,
      reason: 'new prior images',
    }));
    expect([first.status, second.status]).toEqual([302, 302]);
    expect(await events(c, 'case.reopen')).toBe(1);
  });

  it('discordance review', async () => {
    const c = await f.addCase();
    await send(c, f.readers[0], { type: 'read.submit', values: both('5', '1') });
    await send(c, f.readers[1], { type: 'read.submit', values: both('5', '1') });
    const r = await send(c, f.lead, { type: 'evidence.record', finding: 'left', kind: 'pathology', date: '2024-02-01', resultCode: 'benign' });
    expect(r.state).toBe('discordant');
    const [rev] = await t.db.select().from(reviews).where(eq(reviews.caseId, c));
    const { first, second } = await twice(reviewsRoute, `/projects/${slug}/reviews`, { slug }, lead, (d) => {
      const row = (d.discordances as { rows: { id: string; requestId: string }[] }).rows.find((x) => x.id === rev.id)!;
      return { intent: 'discordance', clientRequestId: row.requestId, reviewId: rev.id, outcome: 'concordant', value: '', reason: 'rad-path conference' };
    });
    expect([first.status, second.status]).toEqual([302, 302]);
    expect(await events(c, 'discordance.close')).toBe(1);
  });

  it('adjudication', async () => {
    const c = await f.addCase();
    await send(c, f.readers[0], { type: 'read.submit', values: both('5', '1') });
    await send(c, f.readers[1], { type: 'read.submit', values: both('1', '1') });
    await claimCase({ caseId: c, userId: f.adjudicators[0] });
    const { first, second } = await twice(adjudicateRoute, `/projects/${slug}/adjudicate/${c}`, { slug, caseId: c }, adjudicator, (d) => {
      const view = d.view as { reads: { id: string }[] };
      return { intent: 'decide', clientRequestId: d.clientRequestId as string, mode: 'pick', pickReadId: view.reads[0].id, rationale: 'mass visible' };
    });
    expect([first.status, second.status]).toEqual([302, 302]);
    expect(await events(c, 'adjudication.decide')).toBe(1);
  });
});

describe('the runtime decides what a repeat is', () => {
  it('the same id is a repeat only for the same case, person and command; a conflict otherwise', async () => {
    const c = await f.addCase();
    const other = await f.addCase();
    const id = rid();
    const ev: CaseCommand = { type: 'evidence.record', finding: 'left', kind: 'pathology', date: '2024-02-01', resultCode: 'benign' };
    const first = await sendCaseEvent({ caseId: c, actorId: f.lead, event: ev, clientRequestId: id });
    expect(first.status).toBe('applied');
    expect((await sendCaseEvent({ caseId: c, actorId: f.lead, event: ev, clientRequestId: id })).status).toBe('duplicate');
    await expect(sendCaseEvent({ caseId: other, actorId: f.lead, event: ev, clientRequestId: id })).rejects.toMatchObject({ code: 'conflict' });
    await expect(sendCaseEvent({ caseId: c, actorId: f.readers[0], event: { type: 'read.submit', values: both('1', '1') }, clientRequestId: id })).rejects.toMatchObject({
      code: 'conflict',
    });
    await expect(sendCaseEvent({ caseId: c, actorId: f.lead, event: { type: 'case.withdraw', reason: 'consent withdrawn' }, clientRequestId: id })).rejects.toMatchObject({
      code: 'conflict',
    });
    expect(await events(c, 'evidence.record')).toBe(1);
    expect(await events(c, 'case.withdraw')).toBe(0);
  });
});
