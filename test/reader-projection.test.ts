/**
 * A reader's projection of a case holds only their own read, their assignment and what the
 * reveal policy allows once the case is decided: the read page's loader data (what `?_data=`
 * answers and `window.__remixContext` embeds), the "Cases you have read" list and the API are
 * the same whether the other reader agreed or not. And an amendment to agree, made once the
 * reads were compared, leaves the case with the adjudicator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from './db.ts';
import { addMember, makeCase, makeUser } from './fixtures/base.ts';
import { invoke, makeWorld, request, sessionCookie } from './fixtures/app.ts';
import { apiRequest, call } from './api-support.ts';
import { getCaseWorkflow, startCaseWorkflow } from '../workflows/runtime.ts';
import { verifyCase } from '../workflows/verify.ts';
import { WORKFLOW_STATES } from '../domain/workflow-states.ts';
import * as queue from '../app/routes/projects.$slug.read._index.tsx';
import * as readCase from '../app/routes/projects.$slug.read.$caseId.tsx';
import * as adjCase from '../app/routes/projects.$slug.adjudicate.$caseId.tsx';
import * as adjQueue from '../app/routes/projects.$slug.adjudicate._index.tsx';
import * as apiCase from '../app/routes/api.v1.projects.$slug.cases.$caseId.tsx';

let t: TestDb;
let w: Awaited<ReturnType<typeof makeWorld>>;
let second: { id: string; cookie: string };
let caseId: string;

beforeAll(async () => {
  t = await createTestDb();
  w = await makeWorld(t.db);
  const r2 = await makeUser(t.db, { email: `proj2-${w.project.slug}@example.org` });
  await addMember(t.db, w.project.id, r2.id, 'reader');
  second = { id: r2.id, cookie: await sessionCookie(r2.email) };
  const c = await makeCase(t.db, w.project.id);
  await t.db.transaction(async (tx) => startCaseWorkflow({ tx, caseId: c.id }));
  caseId = c.id;
}, 120_000);
afterAll(async () => t?.dispose());

const slug = () => w.project.slug;
const load = async (cookie: string) => {
  const r = await invoke(readCase.loader, request(`/projects/${slug()}/read/${caseId}`, { cookie }), { slug: slug(), caseId });
  expect(r.status).toBe(200);
  return r.json();
};
/** Loader data without what is minted per page view. */
const stable = <T extends object>(d: T) => ({ ...d, clientRequestId: null, openedAt: null });
const myList = async (cookie: string) => (await invoke(queue.loader, request(`/projects/${slug()}/read`, { cookie }), { slug: slug() })).json();

async function readAs(cookie: string, value: 'true' | 'false') {
  const n = await invoke(queue.action, request(`/projects/${slug()}/read`, { cookie, form: {} }), { slug: slug() });
  expect(n.headers.get('Location')).toContain(caseId);
  const d = await load(cookie);
  const r = await invoke(
    readCase.action,
    request(`/projects/${slug()}/read/${caseId}`, {
      cookie,
      form: { intent: 'read', clientRequestId: d.clientRequestId, openedAt: String(d.openedAt), next: '0', 'item:pneumothorax': value },
    }),
    { slug: slug(), caseId },
  );
  expect(r.status).toBe(302);
}

function expectNoWorkflowState(data: unknown) {
  const text = JSON.stringify(data);
  for (const s of WORKFLOW_STATES) expect(text, `"${s}" leaks`).not.toMatch(new RegExp(`"${s}"`));
  expect(text).not.toMatch(/"(state|decided)":(?!null)/);
}

describe('reader projection', () => {
  it('the read page, the list and the API say the same before and after the other reader disagrees', async () => {
    await readAs(w.cookies.reader!, 'true');
    const before = { page: stable(await load(w.cookies.reader!)), list: await myList(w.cookies.reader!) };
    const apiBefore = await call(apiCase.loader, apiRequest(`/api/v1/projects/${slug()}/cases/${caseId}`, { token: w.tokens.reader }), { slug: slug(), caseId });

    await readAs(second.cookie, 'false');
    expect((await getCaseWorkflow({ caseId }))!.state).toBe('adjudication');

    const after = { page: stable(await load(w.cookies.reader!)), list: await myList(w.cookies.reader!) };
    const apiAfter = await call(apiCase.loader, apiRequest(`/api/v1/projects/${slug()}/cases/${caseId}`, { token: w.tokens.reader }), { slug: slug(), caseId });
    expect(after).toEqual(before);
    expect(apiAfter.body).toEqual(apiBefore.body);
    expectNoWorkflowState(after);
    expectNoWorkflowState(apiAfter.body);
    // Amending is offered on their own read whatever the others said.
    expect(after.page.view.hasOwnRead).toBe(true);
  });

  it('an amendment to agree is recorded, answered like any other, and the case stays with the adjudicator', async () => {
    const d = await load(w.cookies.reader!);
    const mine = d.view.myRead.id;
    const r = await invoke(
      readCase.action,
      request(`/projects/${slug()}/read/${caseId}`, {
        cookie: w.cookies.reader!,
        form: {
          intent: 'amend',
          clientRequestId: d.clientRequestId,
          openedAt: String(d.openedAt),
          supersedesReadId: mine,
          reason: 'on reflection: skin fold',
          'item:pneumothorax': 'false',
        },
      }),
      { slug: slug(), caseId },
    );
    expect(r.status).toBe(302);
    expect(r.headers.get('Location')).toBe(`/projects/${slug()}/read/${caseId}`);
    const wf = (await getCaseWorkflow({ caseId }))!;
    expect(wf.state).toBe('adjudication');
    expect(wf.machineVersion).toBe('case@5');

    // The reader sees their amended read; nothing more.
    const now = await load(w.cookies.reader!);
    expect(now.view.myRead.values).toEqual({ pneumothorax: false });
    expectNoWorkflowState(stable(now));

    // The adjudicator still has the case, with both original reads and the amendment beside them.
    const q = await (await invoke(adjQueue.loader, request(`/projects/${slug()}/adjudicate`, { cookie: w.cookies.adjudicator! }), { slug: slug() })).json();
    expect(q.queue.map((x: { caseId: string }) => x.caseId)).toContain(caseId);
    await invoke(adjQueue.action, request(`/projects/${slug()}/adjudicate`, { cookie: w.cookies.adjudicator!, form: { caseId } }), { slug: slug() });
    const page = await (await invoke(adjCase.loader, request(`/projects/${slug()}/adjudicate/${caseId}`, { cookie: w.cookies.adjudicator! }), { slug: slug(), caseId })).json();
    expect(page.view.reads.map((x: { values: unknown }) => x.values)).toEqual([{ pneumothorax: true }, { pneumothorax: false }]);
    expect(page.view.amendments).toEqual([expect.objectContaining({ label: page.view.reads[0].label, values: { pneumothorax: false }, reason: 'on reflection: skin fold' })]);
    expect(await verifyCase({ db: t.db, caseId })).toEqual([]);
  });
});
