/**
 * app/models/marks.server.ts on cases driven through the runtime (case@4, the marks demo's form):
 * the current truth's lesions of a case, and its DICOM SR, which reads back to those lesions;
 * every way of finding nothing (no truth yet, a truth without lesions, another project's case, an
 * id that is not one) is the same "not found".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { at, buildProject, pneumothoraxDefinition, rid, type Fixture } from './fixtures/workflow.ts';
import { marksDefinition } from '../seed/demo-marks.ts';
import { caseWorkflows } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import type { CaseCommand } from '../workflows/commands.ts';
import { AppError } from '../domain/errors.ts';
import { caseMarksSr, caseTruthLesions } from '../app/models/marks.server.ts';
import { srToLesions, uidForUrl } from '../formats/dicom-sr.ts';
import type { Lesion } from '../workflows/marks.ts';

let t: TestDb;
let f: Fixture;
let other: Fixture;
beforeAll(async () => {
  t = await createTestDb();
  f = await buildProject(t.db, { definition: marksDefinition, cases: 3 });
  other = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 1 });
}, 120_000);
afterAll(async () => t?.dispose());

const send = (caseId: string, actorId: string, event: CaseCommand, minute = 1) => sendCaseEvent({ caseId, actorId, event, clientRequestId: rid(), at: at(minute) });
const img = '/demo-images/x/rcc.png';
const mark = (id: string, x: number, extra: Partial<Lesion> = {}): Lesion => ({
  id,
  kind: 'point',
  image: { url: img },
  points: [[x, 100]],
  answers: { type: 'mass', birads: '4' },
  ...extra,
});
const notFound = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AppError);
  expect((e as AppError).code).toBe('not_found');
};

describe('marks.server: a case truth’s lesions and its SR', () => {
  it('two readers agreeing on two lesions: the truth holds both at the mean location with their provenance, and the SR reads back to them', async () => {
    const c = f.caseIds[0]!;
    const r1 = [
      mark('m1', 100),
      mark('m2', 300, {
        kind: 'box',
        points: [
          [300, 100],
          [340, 150],
        ],
        answers: { type: 'calcification', birads: '3' },
      }),
    ];
    const r2 = [
      mark('m1', 104),
      mark('m2', 301, {
        kind: 'box',
        points: [
          [301, 100],
          [341, 150],
        ],
        answers: { type: 'calcification', birads: '3' },
      }),
    ];
    await send(c, f.readers[0]!, { type: 'read.submit', values: { recall: true, lesions: r1 } } as CaseCommand, 1);
    expect((await send(c, f.readers[1]!, { type: 'read.submit', values: { recall: true, lesions: r2 } } as CaseCommand, 2)).state).toBe('decided');

    const t1 = await caseTruthLesions({ projectId: f.projectId, caseId: c });
    expect(t1.studyInstanceUid).toBeNull();
    expect(t1.studyDate).toBe('2024-01-15');
    expect(t1.lesions.map((l) => [l.id, l.kind, l.points, l.source?.action, l.source?.marks.length])).toEqual([
      ['L1', 'point', [[102, 100]], 'agreed', 2],
      [
        'L2',
        'box',
        [
          [300.5, 100],
          [340.5, 150],
        ],
        'agreed',
        2,
      ],
    ]);

    const bytes = await caseMarksSr({ projectId: f.projectId, caseId: c });
    expect(srToLesions(bytes, (u) => (u === uidForUrl(img) ? img : undefined))).toEqual(t1.lesions);
    // The report's own series and instance UIDs come from the case and its lesions: exporting twice
    // names the same report (the adapter's per-group tracking UIDs are new each time).
    const again = (await caseMarksSr({ projectId: f.projectId, caseId: c })).toString('latin1');
    for (const u of [uidForUrl(`sr-series:${c}`), uidForUrl(`sr:${c}:${JSON.stringify(t1.lesions)}`)]) {
      expect(bytes.toString('latin1')).toContain(u);
      expect(again).toContain(u);
    }
    expect(bytes.toString('latin1')).toContain(uidForUrl(`case:${c}`)); // no study UID on the case: one derived from it
  });

  it('a truth without lesions, and a case still awaiting reads, have no lesions and no SR', async () => {
    const [none, waiting] = [f.caseIds[1]!, f.caseIds[2]!];
    await send(none, f.readers[0]!, { type: 'read.submit', values: { recall: false, lesions: [] } } as CaseCommand, 3);
    await send(none, f.readers[1]!, { type: 'read.submit', values: { recall: false, lesions: [] } } as CaseCommand, 4);
    const [wf] = await t.db.select({ state: caseWorkflows.state }).from(caseWorkflows).where(eq(caseWorkflows.caseId, none));
    expect(wf!.state).toBe('decided');
    expect((await caseTruthLesions({ projectId: f.projectId, caseId: none })).lesions).toEqual([]);
    await notFound(caseMarksSr({ projectId: f.projectId, caseId: none }));

    await send(waiting, f.readers[0]!, { type: 'read.submit', values: { recall: true, lesions: [mark('m1', 50)] } } as CaseCommand, 5);
    expect((await caseTruthLesions({ projectId: f.projectId, caseId: waiting })).lesions).toEqual([]);
    await notFound(caseMarksSr({ projectId: f.projectId, caseId: waiting }));
  });

  it('another project’s case, or an id that is not a UUID, is not found', async () => {
    await notFound(caseTruthLesions({ projectId: other.projectId, caseId: f.caseIds[0]! }));
    await notFound(caseMarksSr({ projectId: other.projectId, caseId: f.caseIds[0]! }));
    await notFound(caseTruthLesions({ projectId: f.projectId, caseId: 'not-a-uuid' }));
    await notFound(caseTruthLesions({ projectId: f.projectId, caseId: other.caseIds[0]! }));
  });
});
