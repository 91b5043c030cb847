/**
 * Releases page: refused while cases are pending unless confirmed, made as a
 * job, refused when nothing changed, a Croissant 1.1 card valid against the committed context,
 * STARD counts, diff between releases, and sequestration (held-back test truth downloadable only
 * by leads and named members, every download logged, plain exports withhold it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { at, buildProject, pneumothoraxDefinition, rid, type Fixture } from './fixtures/workflow.ts';
import { testPasswordHash } from './fixtures/base.ts';
import { BASE, invoke, request, sessionCookie } from './fixtures/app.ts';
import { auditLog, cases, patients, projects, releases, users } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { runNextJob } from '../jobs/runner.ts';
import { exportTruth } from '../app/models/export.server.ts';
import { withdrawCase } from '../app/models/evidence.server.ts';
import { validateCroissant, CROISSANT_CONTEXT } from '../formats/croissant.ts';
import { parseCsv } from '../formats/csv.ts';
import * as listPage from '../app/routes/projects.$slug.releases._index.tsx';
import * as releasePage from '../app/routes/projects.$slug.releases.$number.tsx';
import * as filePage from '../app/routes/projects.$slug.releases.$number_.$file.tsx';
import contextFile from '../formats/croissant/context-1.1.json';

let t: TestDb;
let f: Fixture;
let slug: string;
const cookies: Record<string, string> = {};
const emails: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestDb();
  f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 8, readers: 3 });
  [{ slug }] = await t.db.select({ slug: projects.slug }).from(projects).where(eq(projects.id, f.projectId));
  const hash = await testPasswordHash();
  for (const [k, id] of [
    ['lead', f.lead],
    ['reader', f.readers[2]],
  ] as const) {
    await t.db.update(users).set({ passwordHash: hash }).where(eq(users.id, id));
    const [u] = await t.db.select().from(users).where(eq(users.id, id));
    emails[k] = u.email;
    cookies[k] = await sessionCookie(u.email);
  }
  // Cases 0–2 belong to a test-split patient, the rest to a training patient.
  const [pt] = await t.db.insert(patients).values({ projectId: f.projectId, pseudonym: 'PT-TEST', split: 'test' }).returning();
  for (const id of f.caseIds.slice(0, 3)) await t.db.update(cases).set({ patientId: pt.id }).where(eq(cases.id, id));
  await t.db
    .update(patients)
    .set({ split: 'train' })
    .where(
      and(
        eq(patients.projectId, f.projectId),
        eq(
          patients.pseudonym,
          (await t.db.select({ p: patients.pseudonym }).from(patients).innerJoin(cases, eq(cases.patientId, patients.id)).where(eq(cases.id, f.caseIds[5])))[0].p,
        ),
      ),
    );
  // Cases 0–5 decided by two agreeing reads; 6–7 still await reads.
  for (let i = 0; i < 6; i++) {
    const v = { pneumothorax: i % 2 === 0 };
    for (const r of f.readers.slice(0, 2))
      await sendCaseEvent({ caseId: f.caseIds[i], actorId: r, event: { type: 'read.submit', values: v }, clientRequestId: rid(), at: at(i + 1) });
  }
}, 120_000);
afterAll(async () => t?.dispose());

const post = (fn: unknown, path: string, form: Record<string, string>, params: Record<string, string>, who = 'lead') =>
  invoke(fn as never, request(path, { cookie: cookies[who], form }), params);
const get = (fn: unknown, path: string, params: Record<string, string>, who = 'lead') => invoke(fn as never, request(path, { cookie: cookies[who] }), params);
const file = (n: number, name: string, who = 'lead') => get(filePage.loader, `/projects/${slug}/releases/${n}/${name}`, { slug, number: String(n), file: name }, who);

async function release(form: Record<string, string>) {
  const res = await post(listPage.action, `/projects/${slug}/releases`, { intent: 'release', ...form }, { slug });
  expect(res.status).toBe(302);
  await runNextJob({ db: t.db });
  const page = await get(listPage.loader, res.headers.get('Location')!, { slug });
  return (await page.json()) as { job: { status: string; error: string | null; result: { number: number } }; releases: { number: number; files: { name: string }[] }[] };
}

describe('releases page', () => {
  it('refuses while cases are pending unless the lead confirms', async () => {
    const res = await post(listPage.action, `/projects/${slug}/releases`, { intent: 'release' }, { slug });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('2 undecided (of 8 cases) are not settled');
    expect(await t.db.select().from(releases).where(eq(releases.projectId, f.projectId))).toHaveLength(0);
  });

  it('a confirmed, sequestered release: test truth in held-back files, a valid Croissant card, STARD and pending counts', async () => {
    const page = await release({ confirm: 'on', sequester: 'on' });
    expect(page.job.status).toBe('succeeded');
    expect(page.releases.map((r) => r.number)).toEqual([1]);
    expect(page.releases[0].files.map((x) => x.name)).toEqual([
      'truth.csv',
      'truth.jsonl',
      'truth.prov.json',
      'test-cases.csv',
      'test-truth.csv',
      'test-truth.jsonl',
      'stard.json',
      'croissant.json',
    ]);
    const [row] = await t.db.select().from(releases).where(eq(releases.projectId, f.projectId));
    expect(row.sequestered).toBe(true);
    expect(row.counts).toMatchObject({ confirmedPending: true, pending: { undecided: 2, pending: 2, cases: 8 } });
    const files = Object.fromEntries((row.files as { name: string; content: string }[]).map((x) => [x.name, x.content]));
    const ids = (csv: string) =>
      parseCsv(csv)
        .slice(1)
        .map((r) => r.fields[1]);
    expect(new Set(ids(files['test-truth.csv']))).toEqual(new Set(f.caseIds.slice(0, 3)));
    expect(ids(files['truth.csv']).some((id) => f.caseIds.slice(0, 3).includes(id))).toBe(false);
    expect(ids(files['truth.csv'])).toHaveLength(5);

    const card = JSON.parse(files['croissant.json']);
    expect(validateCroissant(card)).toEqual([]);
    expect(card.conformsTo).toBe('http://mlcommons.org/croissant/1.1');
    expect(card.distribution.find((d: { name: string }) => d.name === 'test-truth.csv').sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(card.pendingAtRelease).toMatchObject({ undecided: 2, pending: 2 });
    expect(card.caseDistribution.bySplit).toEqual({ test: 3, train: 5 });
    // The test split's class counts would leak its truth: held back.
    // Classes in the definition's words, not the stored JSON of the truth value.
    expect(Object.keys(card.caseDistribution.byClass).sort()).toEqual(['Pneumothorax present?: No (verified)', 'Pneumothorax present?: Yes (verified)', 'pending']);
    expect(card.caseDistribution.heldBack).toEqual(['test']);
    expect(Object.values(card.caseDistribution.byClass).some((by) => 'test' in (by as object))).toBe(false);
    expect(card.measurementTechnique).toMatch(/Reference standard/);
    expect(card.conditionsOfAccess).toContain('test-truth.csv');
    const stard = JSON.parse(files['stard.json']);
    expect(stard['version 1']).toMatchObject({ eligible: 8, withdrawn: 0 });
  });

  it('the committed context is the one the card checker uses, and the checker catches what a broken card gets wrong', async () => {
    expect(CROISSANT_CONTEXT).toEqual(contextFile);
    const [row] = await t.db.select().from(releases).where(eq(releases.projectId, f.projectId));
    const card = JSON.parse((row.files as { name: string; content: string }[]).find((x) => x.name === 'croissant.json')!.content);
    card.colour = 'blue';
    card['@context'].field = 'cr:fields';
    card.distribution[0].sha256 = 'abc';
    card.recordSet[0].field[0].source.fileObject['@id'] = 'nope.csv';
    card.recordSet[0].field[1].dataType = 'sc:Thing';
    expect(validateCroissant(card)).toEqual([
      '$.@context.field: must be "cr:field" as in Croissant 1.1',
      '$.colour: "colour" is neither a Croissant term, a declared prefix nor a schema.org term the card uses',
      '$.distribution[0].sha256: a SHA-256 in hex is required',
      '$.recordSet[0].field[0].source.fileObject: must name a FileObject of the distribution',
      '$.recordSet[0].field[1].dataType: "sc:Thing" is not a schema.org data type',
    ]);
  });

  it('nothing changed: the next release is refused naming the release it equals', async () => {
    const page = await release({ confirm: 'on' });
    expect(page.job.status).toBe('failed');
    expect(page.job.error).toBe('Release refused: nothing changed since release 1');
  });

  it('held-back truth: a lead downloads it, a member only once named, and every download is logged for the lead', async () => {
    expect((await file(1, 'test-truth.csv')).status).toBe(200);
    const denied = await file(1, 'test-truth.csv', 'reader');
    expect(denied.status).toBe(403);
    expect((await file(1, 'truth.csv', 'reader')).status).toBe(403);
    expect((await get(releasePage.loader, `/projects/${slug}/releases/1`, { slug, number: '1' }, 'reader')).status).toBe(404);
    expect((await file(1, 'nope.csv')).status).toBe(404);
    expect((await file(9, 'truth.csv')).status).toBe(404);

    const g = await post(releasePage.action, `/projects/${slug}/releases/1`, { intent: 'grant', userId: f.readers[2] }, { slug, number: '1' });
    expect(g.status).toBe(302);
    const got = await file(1, 'test-truth.csv', 'reader');
    expect(got.status).toBe(200);
    expect(got.headers.get('Content-Disposition')).toContain(`${slug}-release-1-test-truth.csv`);
    expect(parseCsv(await got.text()).slice(1)).toHaveLength(3);
    const mine = await get(listPage.loader, `/projects/${slug}/releases`, { slug }, 'reader');
    expect(await mine.json()).toMatchObject({ lead: false, granted: [1] });

    const detail = (await (await get(releasePage.loader, `/projects/${slug}/releases/1`, { slug, number: '1' })).json()) as {
      detail: { downloads: { who: string; file: string; sequestered: boolean }[]; grants: { userId: string }[] };
    };
    expect(detail.detail.grants.map((x) => x.userId)).toEqual([f.readers[2]]);
    expect(detail.detail.downloads.map((d) => [d.who, d.file, d.sequestered])).toEqual([
      [emails.reader, 'test-truth.csv', true],
      [emails.lead, 'test-truth.csv', true],
    ]);
    // A refused download is not a download.
    expect(
      await t.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.projectId, f.projectId), eq(auditLog.action, 'release.download'))),
    ).toHaveLength(2);

    const r = await post(releasePage.action, `/projects/${slug}/releases/1`, { intent: 'revoke', userId: f.readers[2] }, { slug, number: '1' });
    expect(r.status).toBe(302);
    expect((await file(1, 'test-truth.csv', 'reader')).status).toBe(403);
  });

  it('the plain export withholds the held-back truth; a later release keeps it held back and the diff names what changed', async () => {
    const csv = parseCsv((await exportTruth({ projectId: f.projectId, format: 'csv' })).body);
    const header = csv[0].fields;
    const col = (r: { fields: string[] }, c: string) => r.fields[header.indexOf(c)];
    const held = csv.slice(1).filter((r) => f.caseIds.slice(0, 3).includes(col(r, 'case_uuid')));
    expect(held).toHaveLength(3);
    expect(held.map((r) => [col(r, 'truth_state'), col(r, 'truth_value'), col(r, 'derived_from_reads')])).toEqual(Array(3).fill(['sequestered', '', '']));
    const open = csv.slice(1).find((r) => col(r, 'case_uuid') === f.caseIds[4])!;
    expect(col(open, 'truth_state')).not.toBe('sequestered');

    await withdrawCase({ caseId: f.caseIds[7], actorId: f.lead, reason: 'consent withdrawn' });
    for (const r of f.readers.slice(0, 2))
      await sendCaseEvent({ caseId: f.caseIds[6], actorId: r, event: { type: 'read.submit', values: { pneumothorax: true } }, clientRequestId: rid(), at: at(30) });
    const page = await release({});
    expect(page.job.status).toBe('succeeded');
    const [r2] = await t.db
      .select()
      .from(releases)
      .where(and(eq(releases.projectId, f.projectId), eq(releases.number, 2)));
    expect(r2.sequestered).toBe(true); // once sequestered, later releases hold the same cases back
    expect((r2.files as { name: string }[]).map((x) => x.name)).toContain('test-truth.csv');

    const list = (await (await get(listPage.loader, `/projects/${slug}/releases?from=1&to=2`, { slug })).json()) as {
      diff: { added: { count: number }; removed: { count: number; first: string[] }; changed: { count: number; first: { subject: string; from: string; to: string }[] } };
    };
    // A withdrawn case's external id is purged; release 1 still names it.
    const [{ e: ext6 }] = await t.db.select({ e: cases.externalId }).from(cases).where(eq(cases.id, f.caseIds[6]));
    expect(list.diff.added.count).toBe(0);
    expect(list.diff.removed).toEqual({ count: 1, first: [expect.stringMatching(/^acc-8-/)] });
    // Both readers said yes: the truth in the form's words, not the stored JSON.
    expect(list.diff.changed.first).toEqual([{ subject: ext6, from: 'pending', to: 'Pneumothorax present?: Yes (verified)' }]);
  });
});

void BASE;

describe('class labels of the card', () => {
  it('name the finding, the question and the answer in the definition’s words, and the truth state in words', async () => {
    const { classLabel } = await import('../app/models/releases.server.ts');
    const { biradsDefinition } = await import('./fixtures/workflow.ts');
    const birads = biradsDefinition();
    const field = birads.readerForm.fields[0] as { label: string; options: { value: string; label: string }[] };
    const four = field.options.find((o) => o.value === '4')!;
    expect(classLabel(birads, { finding: 'left', truth_state: 'verified', truth_value: { birads: '4' } })).toBe(`Left breast: ${field.label}: ${four.label} (verified)`);
    expect(classLabel(birads, { finding: 'right', truth_state: 'lost_to_follow_up', truth_value: null })).toBe('Right breast: lost to follow up');
    expect(classLabel(birads, { finding: 'left', truth_state: 'pending', truth_value: null })).toBe('Left breast: pending');
    // An evidence outcome (not a form question) in the reference standard's words.
    const rs = birads.referenceStandard.outcome;
    expect(classLabel(birads, { finding: 'left', truth_state: 'verified', truth_value: { [rs.key]: true } })).toBe(`Left breast: ${rs.label}: ${rs.positiveLabel} (verified)`);
    expect(classLabel(null, { finding: null, truth_state: 'verified', truth_value: { x: [1, 2] } })).toBe('x: 1, 2 (verified)');
  });
});
