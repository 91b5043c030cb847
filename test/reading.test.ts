/**
 * The reader's and adjudicator's pages, through their loaders and actions with real sessions:
 * blinding, idempotent submission, refusal of invalid labels, amendments, adjudication.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { addMember, makeCase, makeUser } from './fixtures/base.ts';
import { invoke, makeWorld, request, sessionCookie } from './fixtures/app.ts';
import { startCaseWorkflow, getCaseWorkflow, sendCaseEvent } from '../workflows/runtime.ts';
import { reads } from '../db/schema.ts';
import * as queue from '../app/routes/projects.$slug.read._index.tsx';
import * as readCase from '../app/routes/projects.$slug.read.$caseId.tsx';
import * as adjQueue from '../app/routes/projects.$slug.adjudicate._index.tsx';
import * as adjCase from '../app/routes/projects.$slug.adjudicate.$caseId.tsx';

let t: TestDb;
let w: Awaited<ReturnType<typeof makeWorld>>;
let reader2Cookie: string;
let reader2Id: string;
const caseIds: string[] = [];

beforeAll(async () => {
  t = await createTestDb();
  w = await makeWorld(t.db);
  const r2 = await makeUser(t.db, { email: `second-${w.project.slug}@example.org` });
  reader2Id = r2.id;
  await addMember(t.db, w.project.id, r2.id, 'reader');
  reader2Cookie = await sessionCookie(r2.email);
  // One case: the second reader's "fewest reads" pick is then the first reader's case.
  for (let i = 0; i < 1; i++) {
    const c = await makeCase(t.db, w.project.id);
    await t.db.transaction(async (tx) => startCaseWorkflow({ tx, caseId: c.id }));
    caseIds.push(c.id);
  }
}, 120_000);
afterAll(async () => t?.dispose());

const slug = () => w.project.slug;

async function next(cookie: string) {
  const r = await invoke(queue.action, request(`/projects/${slug()}/read`, { cookie, form: {} }), { slug: slug() });
  expect(r.status).toBe(302);
  return r.headers.get('Location')!.split('/').pop()!;
}

async function load(cookie: string, caseId: string) {
  const r = await invoke(readCase.loader, request(`/projects/${slug()}/read/${caseId}`, { cookie }), { slug: slug(), caseId });
  return { status: r.status, body: r.status === 200 ? await r.json() : null };
}

function submit(cookie: string, caseId: string, form: Record<string, string>) {
  return invoke(readCase.action, request(`/projects/${slug()}/read/${caseId}`, { cookie, form }), { slug: slug(), caseId });
}

describe('reading', () => {
  it('assigns, refuses invalid labels, records a double-submitted form once, and blinds the second reader', async () => {
    const readerCookie = w.cookies.reader!;
    const caseId = await next(readerCookie);
    const { body } = await load(readerCookie, caseId);
    const base = { intent: 'read', clientRequestId: body.clientRequestId, openedAt: String(body.openedAt), next: '0' };

    const bad = await submit(readerCookie, caseId, { ...base, 'item:pneumothorax': 'maybe' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/item:pneumothorax/);
    const missing = await submit(readerCookie, caseId, base);
    expect(missing.status).toBe(400);

    const ok1 = await submit(readerCookie, caseId, { ...base, 'item:pneumothorax': 'true', comment: 'apical pleural line' });
    const ok2 = await submit(readerCookie, caseId, { ...base, 'item:pneumothorax': 'true', comment: 'apical pleural line' });
    expect(ok1.status).toBe(302);
    expect(ok2.status).toBe(302);
    const rows = await t.db.select().from(reads).where(eq(reads.caseId, caseId));
    expect(rows).toHaveLength(1);
    expect(typeof rows[0].timeSpentMs).toBe('number');

    // The second reader is assigned the same case (fewest reads) and sees nothing of the first read.
    const same = await next(reader2Cookie);
    expect(same).toBe(caseId);
    const view = await load(reader2Cookie, caseId);
    expect(view.status).toBe(200);
    const text = JSON.stringify(view.body);
    expect(text).not.toContain(rows[0].id);
    expect(text).not.toContain('apical pleural line');
    expect(text).not.toContain(w.users.reader.id);
    expect(view.body.view.myRead).toBeNull();
  });

  it('keeps confidence and time on the case for a read sent without a comment (as the API and seed do)', async () => {
    const c = await makeCase(t.db, w.project.id);
    await t.db.transaction(async (tx) => startCaseWorkflow({ tx, caseId: c.id }));
    const r = await sendCaseEvent({
      caseId: c.id,
      actorId: reader2Id,
      clientRequestId: `no-comment-${c.id}`,
      event: { type: 'read.submit', values: { pneumothorax: false }, confidence: 70, timeSpentMs: 12_345 },
    });
    const [row] = await t.db.select().from(reads).where(eq(reads.id, r.readId!));
    expect(row.confidence).toBe(70);
    expect(row.timeSpentMs).toBe(12_345);
  });

  it('hides cases a reader has not been assigned (404, like a case that does not exist)', async () => {
    const { status } = await load(w.cookies.reader!, '00000000-0000-4000-8000-000000000000');
    expect(status).toBe(404);
    // The world's own case has no assignment for this reader.
    expect((await load(w.cookies.reader!, w.kase.id)).status).toBe(404);
  });

  it('lets a reader amend with a reason while undecided; keeps the old value', async () => {
    const cookie = w.cookies.reader!;
    const [mine] = await t.db.select().from(reads).where(eq(reads.authorId, w.users.reader.id));
    const { body } = await load(cookie, mine.caseId);
    const form = { intent: 'amend', clientRequestId: body.clientRequestId, openedAt: String(body.openedAt), supersedesReadId: mine.id, 'item:pneumothorax': 'false' };
    const noReason = await submit(cookie, mine.caseId, form);
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(await noReason.json())).toMatch(/Say why/);
    const ok = await submit(cookie, mine.caseId, { ...form, reason: 'second look: skin fold' });
    expect(ok.status).toBe(302);
    const all = await t.db.select().from(reads).where(eq(reads.caseId, mine.caseId));
    expect(all.map((r) => r.values)).toEqual(expect.arrayContaining([{ pneumothorax: true }, { pneumothorax: false }]));
    // Time on the case is kept even when the form had no comment (it once was dropped then).
    const amended = all.find((r) => r.supersedesId === mine.id)!;
    expect(typeof amended.timeSpentMs).toBe('number');
  });

  it('routes a disagreement to the adjudicator, who must give a rationale', async () => {
    // reader says false (amended), reader2 says true: a dispute.
    const view = await load(reader2Cookie, (await getOpen(reader2Id))!);
    const cid = view.body.view.case.id;
    const r = await submit(reader2Cookie, cid, {
      intent: 'read',
      clientRequestId: view.body.clientRequestId,
      openedAt: String(view.body.openedAt),
      next: '0',
      'item:pneumothorax': 'true',
    });
    expect(r.status).toBe(302);
    expect((await getCaseWorkflow({ caseId: cid }))!.state).toBe('adjudication');

    const adj = w.cookies.adjudicator!;
    const q = await (await invoke(adjQueue.loader, request(`/projects/${slug()}/adjudicate`, { cookie: adj }), { slug: slug() })).json();
    expect(q.queue.map((x: { caseId: string }) => x.caseId)).toContain(cid);
    expect(q.queue[0].disputes[0].item).toBe('Pneumothorax present?');
    const claim = await invoke(adjQueue.action, request(`/projects/${slug()}/adjudicate`, { cookie: adj, form: { caseId: cid } }), { slug: slug() });
    expect(claim.headers.get('Location')).toContain(cid);

    const page = await (await invoke(adjCase.loader, request(`/projects/${slug()}/adjudicate/${cid}`, { cookie: adj }), { slug: slug(), caseId: cid })).json();
    expect(page.view.reads.map((x: { label: string }) => x.label)).toEqual(['Reader A', 'Reader B']);
    expect(JSON.stringify(page)).not.toContain(w.users.reader.email);
    const pick = page.view.reads[1].id;
    const noWhy = await invoke(
      adjCase.action,
      request(`/projects/${slug()}/adjudicate/${cid}`, {
        cookie: adj,
        form: { intent: 'decide', mode: 'pick', pickReadId: pick, rationale: ' ', clientRequestId: page.clientRequestId },
      }),
      { slug: slug(), caseId: cid },
    );
    expect(noWhy.status).toBe(400);
    const done = await invoke(
      adjCase.action,
      request(`/projects/${slug()}/adjudicate/${cid}`, {
        cookie: adj,
        form: { intent: 'decide', mode: 'pick', pickReadId: pick, rationale: 'pleural line at the apex', clientRequestId: page.clientRequestId },
      }),
      { slug: slug(), caseId: cid },
    );
    expect(done.status).toBe(302);
    expect((await getCaseWorkflow({ caseId: cid }))!.state).toBe('decided');
  });
});

async function getOpen(userId: string) {
  const { assignments } = await import('../db/schema.ts');
  const [a] = await t.db
    .select()
    .from(assignments)
    .where(and(eq(assignments.userId, userId), eq(assignments.status, 'open')));
  return a?.caseId;
}
