/**
 * app/models/froc.server.ts and /projects/:slug/froc on cases driven through the runtime (the
 * marks demo's form): two readers × three cases, scored against an imported reference source and
 * against the consensus truth, with the figures of merit worked out by hand in the comments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { at, buildProject, rid, type Fixture } from './fixtures/workflow.ts';
import { marksDefinition } from '../seed/demo-marks.ts';
import { caseWorkflows, importedMarks, jobs, projects, statsCache, users } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import type { CaseCommand } from '../workflows/commands.ts';
import type { Lesion } from '../workflows/marks.ts';
import { computeFroc, FROC_JOB, frocForPage, queueFroc, storedTruthCoco } from '../app/models/froc.server.ts';
import * as cocoRoute from '../app/routes/projects.$slug.froc_.coco.tsx';
import { runJobNow } from '../jobs/runner.ts';
import { testPasswordHash } from './fixtures/base.ts';
import { invoke, request, sessionCookie } from './fixtures/app.ts';
import * as frocRoute from '../app/routes/projects.$slug.froc.tsx';

let t: TestDb;
let f: Fixture;
let empty: Fixture;
const send = (caseId: string, actorId: string, event: CaseCommand, minute = 1) => sendCaseEvent({ caseId, actorId, event, clientRequestId: rid(), at: at(minute) });
const img = '/demo-images/x/rcc.png';
const pt = (id: string, x: number, birads = '4'): Lesion => ({ id, kind: 'point', image: { url: img }, points: [[x, 100]], answers: { type: 'mass', birads } });

beforeAll(async () => {
  t = await createTestDb();
  f = await buildProject(t.db, { definition: marksDefinition, cases: 3 });
  empty = await buildProject(t.db, { definition: marksDefinition, cases: 1 });
  const [c0, c1, c2] = f.caseIds as [string, string, string];
  const [r1, r2] = f.readers as [string, string];
  // Both readers mark the same place on every case (so each case is decided), with BI-RADS ranks
  // 4 / 5 that agree under the form's rule (distance 1, no 3|4 threshold crossed).
  await send(c0, r1, { type: 'read.submit', values: { recall: true, lesions: [pt('m1', 100, '4')] } } as CaseCommand, 1);
  await send(c0, r2, { type: 'read.submit', values: { recall: true, lesions: [pt('m1', 102, '5')] } } as CaseCommand, 2);
  await send(c1, r1, { type: 'read.submit', values: { recall: true, lesions: [pt('m1', 300, '5')] } } as CaseCommand, 3);
  await send(c1, r2, { type: 'read.submit', values: { recall: true, lesions: [pt('m1', 301, '4')] } } as CaseCommand, 4);
  await send(c2, r1, { type: 'read.submit', values: { recall: true, lesions: [pt('m1', 200, '4')] } } as CaseCommand, 5);
  await send(c2, r2, { type: 'read.submit', values: { recall: true, lesions: [pt('m1', 200, '5')] } } as CaseCommand, 6);
  for (const c of f.caseIds) {
    const [wf] = await t.db.select({ state: caseWorkflows.state }).from(caseWorkflows).where(eq(caseWorkflows.caseId, c));
    expect(wf!.state).toBe('decided');
  }
  // Reference: c0 one lesion (found by both), c1 two lesions (the second missed by both), c2 none (normal).
  const ref = (caseId: string, lesions: Lesion[]) => ({ projectId: f.projectId, caseId, source: 'Pathology', sourceKind: 'reference', format: 'coco', lesions });
  await t.db.insert(importedMarks).values([ref(c0, [pt('R1', 101)]), ref(c1, [pt('R2', 300), pt('R3', 500)])]);
}, 120_000);
afterAll(async () => t?.dispose());

describe('FROC scores of the readers’ marks', () => {
  it('against an imported reference: wAFROC, AFROC, LLF and NLF as worked by hand', async () => {
    const res = (await computeFroc({ projectId: f.projectId, truthSource: 'Pathology', db: t.db }))!;
    expect([res.cases, res.normals, res.lesions]).toEqual([3, 1, 3]);
    expect(res.ratingFields).toEqual(['Lesions — BI-RADS']);
    const by = new Map(res.readers.map((r) => [r.readerId, r]));
    const a = by.get(f.readers[0]!)!;
    const b = by.get(f.readers[1]!)!;
    // Reader 1: FP(normal c2) = 4; c0 LL 4 → ψ = ½; c1 (w ½ each) LL 5 → 1, unmarked → 0: ½.
    // wAFROC = (½ + ½) / (1 normal × 2 abnormal) = 0.5; AFROC = (½ + 1 + 0) / (1 × 3 lesions) = 0.5.
    expect(a.wAFROC).toBeCloseTo(0.5, 12);
    expect(a.AFROC).toBeCloseTo(0.5, 12);
    // Reader 2: FP = 5; c0 LL 5 → ½; c1 LL 4 → 0, unmarked → 0. wAFROC = ½ / 2; AFROC = ½ / 3.
    expect(b.wAFROC).toBeCloseTo(0.25, 12);
    expect(b.AFROC).toBeCloseTo(1 / 6, 12);
    // Every mark counted: 2 of 3 lesions found, 1 NL over 3 cases.
    for (const r of [a, b]) {
      expect([r.cases, r.normals, r.lesions, r.note]).toEqual([3, 1, 3, null]);
      expect(r.llf).toBeCloseTo(2 / 3, 12);
      expect(r.nlf).toBeCloseTo(1 / 3, 12);
      expect(r.froc[0]).toEqual({ nlf: 0, llf: 0 });
    }
    // Reader 1's FROC points: threshold 5 → (0, 1/3), threshold 4 → (1/3, 2/3).
    expect(a.froc.map((p) => [p.nlf, p.llf])).toEqual([
      [0, 0],
      [0, 1 / 3],
      [1 / 3, 2 / 3],
    ]);
    expect(res.comparison).toBeNull();
  });

  it('against the consensus truth every case has a lesion, so no normal case: the reason instead of a figure', async () => {
    const res = (await computeFroc({ projectId: f.projectId, db: t.db }))!;
    expect([res.cases, res.normals, res.lesions]).toEqual([3, 0, 3]);
    for (const r of res.readers) {
      expect(r.wAFROC).toBeNull();
      expect(r.note).toMatch(/normal cases/);
      expect(r.lesions).toBe(3);
    }
  });

  it('the job stores the figures; the page reads the stored row and never computes', async () => {
    const before = await frocForPage({ projectId: f.projectId, truthSource: 'Pathology', db: t.db });
    expect(before.result).toBeNull();
    expect(before.sources).toEqual(['Pathology']);
    const jobId = await queueFroc({ projectId: f.projectId, truthSource: 'Pathology', db: t.db });
    expect(await queueFroc({ projectId: f.projectId, truthSource: 'Pathology', db: t.db })).toBe(jobId);
    expect((await frocForPage({ projectId: f.projectId, truthSource: 'Pathology', db: t.db })).computing).toBe(true);
    const { error } = await runJobNow({ jobId, db: t.db });
    expect(error).toBeNull();
    const after = await frocForPage({ projectId: f.projectId, truthSource: 'Pathology', db: t.db });
    expect(after.computing).toBe(false);
    expect(after.result!.readers.map((r) => r.wAFROC).sort()).toEqual([0.25, 0.5]);
    const rows = await t.db.select({ key: statsCache.key }).from(statsCache).where(eq(statsCache.projectId, f.projectId));
    expect(rows.map((r) => r.key).sort()).toEqual(['coco:truth', 'froc:reference:Pathology']);
    const [j] = await t.db.select({ kind: jobs.kind }).from(jobs).where(eq(jobs.id, jobId));
    expect(j!.kind).toBe(FROC_JOB);
    // The same job stores the COCO file of the decided truth lesions: here three agreed points,
    // which COCO cannot hold, so they are counted as left out.
    const coco = (await storedTruthCoco({ projectId: f.projectId, db: t.db }))!;
    expect(coco.annotations).toEqual([]);
    expect(coco.info.left_out).toEqual({ points: 3, ellipses: 0, unplaced: 0 });
    expect(after.cocoAt).not.toBeNull();
  });

  it('a project without decided cases: the empty state', async () => {
    const res = (await computeFroc({ projectId: empty.projectId, db: t.db }))!;
    expect([res.cases, res.readers.length]).toEqual([0, 0]);
  });
});

describe('/projects/:slug/froc', () => {
  it('the lead sees the stored scores, starts a computation with the button, and the empty state on a project without decided cases', async () => {
    await t.db
      .update(users)
      .set({ passwordHash: await testPasswordHash() })
      .where(eq(users.id, f.lead));
    const [lead] = await t.db.select().from(users).where(eq(users.id, f.lead));
    const cookie = await sessionCookie(lead!.email);
    const [p] = await t.db.select().from(projects).where(eq(projects.id, f.projectId));
    const page = await invoke(frocRoute.loader as never, request(`/projects/${p!.slug}/froc?truth=Pathology`, { cookie }), { slug: p!.slug });
    expect(page.status).toBe(200);
    const body = (await page.json()) as { result: { cases: number; readers: { wAFROC: number }[] }; hasMarks: boolean };
    expect(body.hasMarks).toBe(true);
    expect(body.result.cases).toBe(3);
    const post = await invoke(frocRoute.action as never, request(`/projects/${p!.slug}/froc`, { cookie, form: { truthSource: '' } }), { slug: p!.slug });
    expect(post.status).toBe(302);
    expect(post.headers.get('location')).toBe(`/projects/${p!.slug}/froc`);
    const file = await invoke(cocoRoute.loader as never, request(`/projects/${p!.slug}/froc/coco`, { cookie }), { slug: p!.slug });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toContain('truth-lesions.coco.json');
    expect(((await file.json()) as { info: { left_out: { points: number } } }).info.left_out.points).toBe(3);
    const bad = await invoke(frocRoute.action as never, request(`/projects/${p!.slug}/froc`, { cookie, form: { truthSource: 'Nope' } }), { slug: p!.slug });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('No imported reference source named Nope');
    const queued = await t.db.select({ params: jobs.params }).from(jobs).where(eq(jobs.projectId, f.projectId));
    expect(queued.some((j) => (j.params as { truthSource: unknown }).truthSource === null)).toBe(true);

    await t.db
      .update(users)
      .set({ passwordHash: await testPasswordHash() })
      .where(eq(users.id, empty.lead));
    const [lead2] = await t.db.select().from(users).where(eq(users.id, empty.lead));
    const [p2] = await t.db.select().from(projects).where(eq(projects.id, empty.projectId));
    const cookie2 = await sessionCookie(lead2!.email);
    const { refreshFroc } = await import('../app/models/froc.server.ts');
    await refreshFroc({ projectId: empty.projectId, db: t.db });
    const e = await invoke(frocRoute.loader as never, request(`/projects/${p2!.slug}/froc`, { cookie: cookie2 }), { slug: p2!.slug });
    expect(((await e.json()) as { result: { cases: number } }).result.cases).toBe(0);
  });
});

describe('FROC between the arms of a reader study', () => {
  it('per arm and reader wAFROC as worked by hand, and the JAFROC OR comparison of the arms on the same readers and cases', async () => {
    const { projectDefinitionSchema } = await import('../workflows/definition.ts');
    const { setUpStudyUnits } = await import('../app/models/study.server.ts');
    const { studyUnits } = await import('../db/schema.ts');
    const definition = projectDefinitionSchema.parse({
      ...marksDefinition,
      study: {
        arms: [
          { key: 'unaided', label: 'Unaided' },
          { key: 'aided', label: 'Aided', aided: true },
        ],
        washoutDays: 14,
      },
    });
    const s = await buildProject(t.db, { definition, cases: 4, readers: 2 });
    const [r1, r2] = s.readers as [string, string];
    await setUpStudyUnits({ projectId: s.projectId, actorId: s.lead, at: at(0) });
    const units = await t.db.select().from(studyUnits).where(eq(studyUnits.projectId, s.projectId));
    const keys = [...new Set(units.map((u) => u.sourceKey))].sort();
    expect(keys).toHaveLength(4);
    // Cases 0 and 1 have a lesion (x = 100, x = 300), 2 and 3 are normal. Per arm and case: each
    // reader's BI-RADS for one point at x (null = no mark).
    const plan: Record<string, [number, string | null, string | null][]> = {
      unaided: [
        [100, '4', '5'],
        [300, '4', '4'],
        [200, '5', '4'],
        [200, null, null],
      ],
      aided: [
        [100, '5', '5'],
        [300, '5', '4'],
        [200, null, null],
        [200, '4', '4'],
      ],
    };
    let minute = 1;
    for (const u of units.filter((x) => x.kind === 'study')) {
      const [x, b1, b2] = plan[u.arm!]![keys.indexOf(u.sourceKey)]!;
      for (const [reader, b] of [
        [r1, b1],
        [r2, b2],
      ] as const) {
        const lesions = b ? [pt('m1', x, b)] : [];
        await send(u.caseId, reader, { type: 'read.submit', values: { recall: Boolean(b), lesions } } as CaseCommand, minute++);
      }
    }
    const first = (k: number) => units.find((u) => u.kind === 'study' && u.arm === 'unaided' && u.sourceKey === keys[k])!.caseId;
    await t.db.insert(importedMarks).values([
      { projectId: s.projectId, caseId: first(0), source: 'Pathology', sourceKind: 'reference', format: 'coco', lesions: [pt('R1', 101)] },
      { projectId: s.projectId, caseId: first(1), source: 'Pathology', sourceKind: 'reference', format: 'coco', lesions: [pt('R2', 301)] },
    ]);
    const res = (await computeFroc({ projectId: s.projectId, truthSource: 'Pathology', db: t.db }))!;
    expect([res.cases, res.normals, res.lesions]).toEqual([4, 2, 2]);
    const fom = (arm: string, reader: string) => res.readers.find((r) => r.arm === arm && r.readerId === reader)!.wAFROC;
    // Unaided R1: FP(c2) = 5, FP(c3) = −∞; LL 4, 4 → (0 + 0 + 1 + 1) / 4.
    expect(fom('unaided', r1)).toBeCloseTo(0.5, 12);
    // Unaided R2: FP(c2) = 4; LL 5, 4 → (1 + ½ + 1 + 1) / 4.
    expect(fom('unaided', r2)).toBeCloseTo(0.875, 12);
    // Aided R1: FP(c2) = −∞, FP(c3) = 4; LL 5, 5 → (1 + 1 + 1 + 1) / 4.
    expect(fom('aided', r1)).toBeCloseTo(1, 12);
    // Aided R2: FP(c3) = 4; LL 5, 4 → (1 + 1 + 1 + ½) / 4.
    expect(fom('aided', r2)).toBeCloseTo(0.875, 12);
    expect(res.comparison).toHaveLength(1);
    const c = res.comparison![0]!;
    expect([c.readers, c.cases, c.labels.slice().sort()]).toEqual([2, 4, ['Aided', 'Unaided']]);
    // The difference of the arms' mean wAFROC: 0.9375 − 0.6875.
    expect(Math.abs(c.difference)).toBeCloseTo(0.25, 12);
    expect(c.ci[0]).toBeLessThan(c.difference);
    expect(c.ci[1]).toBeGreaterThan(c.difference);
    expect(c.p).toBeGreaterThan(0);
    expect(c.p).toBeLessThanOrEqual(1);
    expect(c.F).toBeGreaterThan(0);
  });
});
