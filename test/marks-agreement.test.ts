/**
 * app/models/marks-agreement.server.ts on reads driven through the runtime: three readers, two
 * cases read by all three (boxes, points, one outline lesion) and one case read by one reader only
 * (left out). Every figure equals a direct call of stats/ on the same marks; the found-by
 * distribution is worked by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { at, buildProject, rid, type Fixture } from './fixtures/workflow.ts';
import { marksDefinition } from '../seed/demo-marks.ts';
import { projects, users } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import type { CaseCommand } from '../workflows/commands.ts';
import type { Lesion } from '../workflows/marks.ts';
import { computeMarksAgreement } from '../app/models/marks-agreement.server.ts';
import { queueFroc } from '../app/models/froc.server.ts';
import { runJobNow } from '../jobs/runner.ts';
import { detectionAgreement, matchedAnswers, matchLesions, type MatchResult, outlineOverlap, stapleLesion } from '../stats/marks/index.ts';
import { caseCounts } from '../stats/ratings.ts';
import { fleissFW, krippendorffFW } from '../stats/categorical/framework.ts';
import { weightMatrix } from '../stats/categorical/weights.ts';
import { testPasswordHash } from './fixtures/base.ts';
import { invoke, request, sessionCookie } from './fixtures/app.ts';
import * as frocRoute from '../app/routes/projects.$slug.froc.tsx';

let t: TestDb;
let f: Fixture;
const img = { url: '/demo-images/x/rcc.png' };
const L = (id: string, kind: Lesion['kind'], points: [number, number][], birads: string, type = 'mass'): Lesion => ({ id, kind, image: img, points, answers: { type, birads } });
const square = (x0: number): [number, number][] => [
  [x0, 0],
  [x0 + 100, 0],
  [x0 + 100, 100],
  [x0, 100],
];
// Case 0: readers 1 and 2 box the same lesion (IoU 0.68) and point at another; reader 3 boxes a third alone.
// Case 1: one lesion outlined by all three (two squares, IoU 0.82, and the ellipse inscribed in the first).
// Case 2: only reader 1 reads it (left out: agreement needs two readers).
const marks = (): Record<string, Lesion[]>[] => [
  {
    r1: [
      L(
        'a',
        'box',
        [
          [100, 100],
          [200, 200],
        ],
        '4',
      ),
      L('b', 'point', [[500, 500]], '3'),
    ],
    r2: [
      L(
        'a',
        'box',
        [
          [110, 110],
          [210, 210],
        ],
        '4',
      ),
      L('b', 'point', [[505, 500]], '4'),
    ],
    r3: [
      L(
        'a',
        'box',
        [
          [300, 300],
          [400, 400],
        ],
        '5',
        'calcification',
      ),
    ],
  },
  {
    r1: [L('a', 'polygon', square(0), '5')],
    r2: [L('a', 'polygon', square(10), '5')],
    r3: [
      L(
        'a',
        'ellipse',
        [
          [0, 0],
          [100, 100],
        ],
        '4',
      ),
    ],
  },
  {
    r1: [
      L(
        'a',
        'box',
        [
          [0, 0],
          [50, 50],
        ],
        '4',
      ),
    ],
  },
];

beforeAll(async () => {
  t = await createTestDb();
  const def = { ...marksDefinition, truthPolicy: { ...marksDefinition.truthPolicy, readersPerCase: 3 } };
  f = await buildProject(t.db, { definition: def, readers: 3, cases: 3 });
  let minute = 0;
  for (const [c, byReader] of marks().entries())
    for (const [r, lesions] of Object.entries(byReader)) {
      const reader = f.readers[Number(r.slice(1)) - 1]!;
      const event = { type: 'read.submit', values: { recall: true, lesions } } as CaseCommand;
      await sendCaseEvent({ caseId: f.caseIds[c]!, actorId: reader, event, clientRequestId: rid(), at: at(++minute) });
    }
}, 120_000);
afterAll(async () => t?.dispose());

/** The same marks straight into stats/marks: per case matchLesions, ids prefixed by the case. */
function direct(): MatchResult {
  const perCase = marks()
    .slice(0, 2)
    .map((byReader, c) => {
      const m = matchLesions({
        readers: Object.entries(byReader).map(([r, ms]) => ({ readerKey: f.readers[Number(r.slice(1)) - 1]!, marks: ms })),
        rule: { radiusPx: 15, minIoU: 0.3 },
      });
      return m.clusters.map((x) => ({ ...x, id: `${f.caseIds[c]}/${x.id}`, imageKey: `${f.caseIds[c]}/${x.imageKey}` }));
    });
  return { readers: [...f.readers].sort(), clusters: perCase.flat() };
}

describe('agreement by location', () => {
  it('equals stats/marks on the same marks, with the found-by distribution worked by hand', async () => {
    const res = (await computeMarksAgreement({ projectId: f.projectId, db: t.db }))!;
    expect(res.cases).toBe(2);
    const it0 = res.items[0]!;
    expect([it0.key, it0.cases, it0.lesions]).toEqual(['lesions', 2, 4]);
    // Found by 1 reader: reader 3's box; by 2: the box and the point of case 0; by 3: the outline of case 1.
    expect(it0.byCount).toEqual([1, 2, 1]);
    const m = direct();
    const det = detectionAgreement(m);
    expect(it0.byCount).toEqual(det.byCount);
    expect(it0.pairs.map(({ readers, both, onlyFirst, onlySecond, positiveAgreement }) => ({ readers, both, onlyFirst, onlySecond, positiveAgreement }))).toEqual(det.pairs);
    expect(it0.perReader.map((r) => [r.reader, r.found, r.missed])).toEqual(det.perReader.map((r) => [r.reader, r.found, r.missed]));
    // Reader 1 and 2 found 3 lesions together, reader 3's box is nobody else's: 2·3 / (2·3 + 0 + 0) = 1.
    expect(it0.pairs.find((p) => p.readers.join() === [f.readers[0], f.readers[1]].sort().join())!.positiveAgreement).toBe(1);
    // κ and α on the BI-RADS of the lesions found by ≥ 2 readers.
    const cc = caseCounts(matchedAnswers(m, (_r, mark) => String((mark as Lesion).answers.birads), { level: 'nominal' }));
    const a = it0.answers.find((x) => x.field === 'birads')!;
    const k = fleissFW(cc, weightMatrix('identity', cc.q));
    expect(a.lesions).toBe(3);
    expect(a.kappa).toBe(k.value);
    expect(a.ci).toEqual(k.ci);
    expect(a.alpha).toBe(krippendorffFW(cc, weightMatrix('identity', cc.q)).value);
    // Outlines: the case-0 box pair and the case-1 outline lesion.
    const ov = outlineOverlap(m);
    expect(it0.overlap.lesions).toBe(2);
    expect(it0.overlap.dice).toEqual(ov.dice);
    expect(it0.overlap.iou).toEqual(ov.iou);
    // STAPLE on both outline lesions; reader 3 outlined one of them.
    const st = m.clusters.filter((c) => c.marks.filter((x) => x.mark.kind !== 'point').length >= 2).map((c) => stapleLesion(c));
    expect(st.length).toBe(2);
    expect(it0.staple.lesions).toBe(2);
    for (const r of it0.staple.readers) {
      const mine = st.flatMap((s) => s.readers.flatMap((x, j) => (x === r.reader ? [[s.sensitivity[j]!, s.specificity[j]!]] : [])));
      expect(r.lesions).toBe(mine.length);
      expect(r.sensitivity).toBeCloseTo(mine.reduce((s, x) => s + x[0]!, 0) / mine.length, 12);
      expect(r.specificity).toBeCloseTo(mine.reduce((s, x) => s + x[1]!, 0) / mine.length, 12);
    }
    expect(it0.staple.readers.find((r) => r.reader === f.readers[2])!.lesions).toBe(1);
  });

  it('the job stores it with the FROC scores and the page reads it', async () => {
    const jobId = await queueFroc({ projectId: f.projectId, db: t.db });
    expect((await runJobNow({ jobId, db: t.db })).error).toBeNull();
    await t.db
      .update(users)
      .set({ passwordHash: await testPasswordHash() })
      .where(eq(users.id, f.lead));
    const [lead] = await t.db.select().from(users).where(eq(users.id, f.lead));
    const [p] = await t.db.select().from(projects).where(eq(projects.id, f.projectId));
    const page = await invoke(frocRoute.loader as never, request(`/projects/${p!.slug}/froc`, { cookie: await sessionCookie(lead!.email) }), { slug: p!.slug });
    const body = (await page.json()) as { result: { agreement: { cases: number; items: { byCount: number[] }[] } } };
    expect(body.result.agreement.cases).toBe(2);
    expect(body.result.agreement.items[0]!.byCount).toEqual([1, 2, 1]);
  });
});
