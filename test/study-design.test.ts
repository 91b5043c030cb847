/**
 * Reader-study design on the database: per-reader order, arms as reading
 * units, washout between sessions (the clock set in each event), re-reads → intra-reader κ,
 * calibration cases kept out of statistics, qualification, skips, AI-result import.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { buildProject, pneumothoraxDefinition, rid } from './fixtures/workflow.ts';
import { assignments, cases, importedMarks, studyPlan, studyUnits } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { nextCaseForReader } from '../workflows/assignment.ts';
import { projectDefinitionSchema, type ProjectDefinition } from '../workflows/definition.ts';
import { readerPlan } from '../workflows/study.ts';
import { studyProgress } from '../workflows/study-queue.ts';
import type { Tx } from '../db/client.ts';
import { getReaderStudyCase, getStudySummary, setUpStudyUnits, skipStudyCase } from '../app/models/study.server.ts';
import { importAiResults } from '../app/models/ai-results.server.ts';
import { agreementRatings, computeAgreement } from '../app/models/agreement.server.ts';

const DAY = 86_400_000;
const T = Date.parse('2025-03-03T09:00:00Z');
const day = (d: number, min = 0) => new Date(T + d * DAY + min * 60_000).toISOString();

const studyDefinition = (study: Record<string, unknown>): ProjectDefinition =>
  projectDefinitionSchema.parse({
    ...pneumothoraxDefinition(),
    study: {
      arms: [
        { key: 'unaided', label: 'Unaided' },
        { key: 'aided', label: 'Aided by AI', aided: true },
      ],
      washoutDays: 14,
      ...study,
    },
  });

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.dispose());

async function study(opts: { study?: Record<string, unknown>; cases?: number; calibration?: number; readers?: number }) {
  const f = await buildProject(t.db, { definition: studyDefinition(opts.study ?? {}), cases: (opts.cases ?? 6) + (opts.calibration ?? 0), readers: opts.readers ?? 2 });
  const calib = f.caseIds.slice(0, opts.calibration ?? 0);
  for (const [i, id] of calib.entries())
    await t.db
      .update(cases)
      .set({ metadata: { calibration_truth: { pneumothorax: i % 2 === 0 }, calibration_explanation: `Explanation ${i + 1}` } })
      .where(eq(cases.id, id));
  await setUpStudyUnits({ projectId: f.projectId, actorId: f.lead, at: day(0) });
  return { ...f, calib };
}

/** The reader takes their next case and answers it; returns the case id (null when none is offered). */
async function readNext(projectId: string, userId: string, when: string, answer: (caseId: string) => boolean = () => true) {
  const a = await nextCaseForReader({ projectId, userId, at: when });
  if (!a) return null;
  await sendCaseEvent({ caseId: a.caseId, actorId: userId, event: { type: 'read.submit', values: { pneumothorax: answer(a.caseId) } }, clientRequestId: rid(), at: when });
  return a.caseId;
}

const unitsOf = async (projectId: string) => t.db.select().from(studyUnits).where(eq(studyUnits.projectId, projectId));

describe('reader study', () => {
  it("orders each reader's cases as their own permutation, recorded and identical on replay", async () => {
    const f = await study({ cases: 12, readers: 3 });
    const units = await unitsOf(f.projectId);
    for (const r of f.readers) await nextCaseForReader({ projectId: f.projectId, userId: r, at: day(1) });
    const plans = await Promise.all(
      f.readers.map((r) =>
        t.db
          .select()
          .from(studyPlan)
          .where(and(eq(studyPlan.projectId, f.projectId), eq(studyPlan.userId, r)))
          .orderBy(studyPlan.seq),
      ),
    );
    const firstSession = (p: (typeof plans)[number]) => p.filter((r) => r.session === 0).map((r) => units.find((u) => u.caseId === r.caseId)!.sourceKey);
    const sources = [...new Set(units.map((u) => u.sourceKey))].sort();
    for (const p of plans) {
      // Every reader: every case once per arm, each session a permutation of the 12 cases.
      expect(p).toHaveLength(24);
      for (const s of [0, 1])
        expect(
          p
            .filter((r) => r.session === s)
            .map((r) => units.find((u) => u.caseId === r.caseId)!.sourceKey)
            .sort(),
        ).toEqual(sources);
    }
    // Readers' orders differ (12! orders: equal by chance ~ 2e-9).
    expect(firstSession(plans[0])).not.toEqual(firstSession(plans[1]));
    expect(firstSession(plans[1])).not.toEqual(firstSession(plans[2]));
    // Counterbalanced: reader 1 starts unaided, reader 2 aided, reader 3 unaided.
    expect(plans.map((p) => p[0].arm)).toEqual(['unaided', 'aided', 'unaided']);
    // Replay: the pure planner over the same units gives exactly the recorded rows.
    const unitInput = units
      .map((u) => ({ caseId: u.caseId, sourceKey: u.sourceKey, kind: u.kind, arm: u.arm, block: u.block }))
      .sort((a, b) => a.sourceKey.localeCompare(b.sourceKey));
    for (const [i, r] of f.readers.entries()) {
      const replay = readerPlan({
        projectId: f.projectId,
        userId: r,
        readerIndex: i,
        design: studyDefinition({}).study!,
        units: unitInput.map((u, k) => ({ ...u, importOrder: k })),
      });
      expect(replay.map((x) => [x.seq, x.caseId, x.orderKey])).toEqual(plans[i].map((x) => [x.seq, x.caseId, x.orderKey]));
    }
    // Each assignment records its place in the reader's plan.
    const [a] = await t.db
      .select()
      .from(assignments)
      .where(and(eq(assignments.userId, f.readers[0]), eq(assignments.slot, 'current'), eq(assignments.status, 'open')));
    expect(plans[0][Number(a.orderKey)].caseId).toBe(a.caseId);
  });

  it('fully crossed, two arms: arm-2 cases are withheld until the washout ends; re-reads give intra-reader κ; calibration never reaches statistics', async () => {
    const f = await study({ cases: 6, calibration: 2, study: { rereadShare: 0.5 } });
    const units = await unitsOf(f.projectId);
    expect(units.filter((u) => u.kind === 'study')).toHaveLength(12);
    expect(units.filter((u) => u.kind === 'reread')).toHaveLength(3);
    expect(units.filter((u) => u.kind === 'calibration')).toHaveLength(2);
    const kindOf = (id: string) => units.find((u) => u.caseId === id)!;
    const [r1, r2] = f.readers;
    const session = async (r: string, d: number, n: number, answer?: (id: string) => boolean, fromMinute = 0) => {
      const got: string[] = [];
      for (let i = 0; i < n; i++) {
        const c = await readNext(f.projectId, r, day(d, fromMinute + i), answer);
        if (!c) break;
        got.push(c);
      }
      return got;
    };
    for (const r of [r1, r2]) {
      expect((await session(r, 1, 2)).map((c) => kindOf(c).kind)).toEqual(['calibration', 'calibration']);
      const s1 = await session(r, 1, 6, undefined, 10);
      expect(s1).toHaveLength(6);
      expect(new Set(s1.map((c) => kindOf(c).arm)).size).toBe(1);
    }
    // Session 2 is withheld: a minute before 14 days after the last read (day 1, 09:15) nothing is offered, and the page knows when it opens.
    expect(await nextCaseForReader({ projectId: f.projectId, userId: r1, at: day(15, 14) })).toBeNull();
    const p = await studyProgress(t.db as unknown as Tx, { projectId: f.projectId, userId: r1, now: new Date(day(15, 14)) });
    expect(p).toMatchObject({ total: 17, done: 8, opensAt: day(15, 15), session: { index: 2, count: 4, kind: 'study' } });
    // The washout over (clock in the event): the other arm, every case of it.
    const s2 = await session(r1, 15, 7, (id) => kindOf(id).sourceKey.endsWith('1') === false, 15);
    expect(s2).toHaveLength(6);
    const r1Arms = new Set(s2.map((c) => kindOf(c).arm));
    expect(r1Arms.size).toBe(1);
    const s2r2 = await session(r2, 15, 7, undefined, 15);
    expect(s2r2).toHaveLength(6);
    // Reader 1 read unaided first and reader 2 aided first (counterbalanced), so their session-2 arms differ.
    expect([...r1Arms][0]).not.toBe(kindOf(s2r2[0]).arm);
    // Re-reads after one more washout.
    expect(await nextCaseForReader({ projectId: f.projectId, userId: r1, at: day(20) })).toBeNull();
    for (const r of f.readers) expect((await session(r, 31, 4)).map((c) => kindOf(c).kind)).toEqual(['reread', 'reread', 'reread']);
    expect(await nextCaseForReader({ projectId: f.projectId, userId: r1, at: day(40) })).toBeNull();

    const summary = await getStudySummary({ projectId: f.projectId, at: day(40) });
    const row = (r: string) => summary!.readerRows.find((x) => x.userId === r)!;
    expect(row(r1).progress).toMatchObject({ total: 17, done: 17 });
    expect(row(r1).intra?.n).toBe(3);
    expect(row(r2).intra).toMatchObject({ n: 3, agreement: 1 });
    expect(summary!.arms.map((a) => a.units)).toEqual([6, 6]);

    // Calibration and re-read units never reach statistics.
    const calibIds = units.filter((u) => u.kind !== 'study').map((u) => u.caseId);
    const ratings = await agreementRatings({ projectId: f.projectId, version: 1, field: pneumothoraxDefinition().readerForm.fields[0], def: pneumothoraxDefinition() });
    expect(ratings.rows.length).toBeGreaterThan(0);
    expect(ratings.rows.some((r) => calibIds.includes(r.caseId))).toBe(false);
    const dash = await computeAgreement({ projectId: f.projectId });
    expect(dash!.readers.find((r) => r.id === r1)?.reads).toBe(12);
  });

  it('re-reads in every arm when the design asks: one last session after the washout, intra-reader κ per arm', async () => {
    const f = await study({ cases: 4, readers: 1, study: { rereadShare: 0.5, rereadArms: 'every' } });
    const units = await unitsOf(f.projectId);
    const rr = units.filter((u) => u.kind === 'reread');
    expect(rr.map((u) => u.arm).sort()).toEqual(['aided', 'aided', 'unaided', 'unaided']);
    // The same two cases are re-read in both arms.
    expect(new Set(rr.filter((u) => u.arm === 'aided').map((u) => u.sourceKey))).toEqual(new Set(rr.filter((u) => u.arm === 'unaided').map((u) => u.sourceKey)));
    const [r] = f.readers;
    const kindOf = (id: string) => units.find((u) => u.caseId === id)!;
    const got: string[] = [];
    // Sessions: arm 1 (day 1), arm 2 (day 16), re-reads (day 31); answers alternate by case so κ is defined.
    for (const d of [1, 16, 31])
      for (let i = 0; i < 5; i++) {
        const c = await readNext(f.projectId, r, day(d, i), (id) => /^acc-[13]-/.test(kindOf(id).sourceKey));
        if (c) got.push(c);
      }
    expect(got.map((c) => kindOf(c).kind)).toEqual([...Array(8).fill('study'), 'reread', 'reread', 'reread', 'reread']);
    const summary = await getStudySummary({ projectId: f.projectId, at: day(40) });
    const row = summary!.readerRows[0];
    expect(row.intra).toMatchObject({ n: 4, agreement: 1 });
    expect(row.intraByArm.map((a) => [a.arm, a.k.n, a.k.agreement])).toEqual([
      ['unaided', 2, 1],
      ['aided', 2, 1],
    ]);
    expect(summary!.lines.some((l) => l.includes('in every arm') && l.includes('per arm'))).toBe(true);
  });

  it('shows the AI panel only in the aided arm, and the known answer of a calibration case after the read', async () => {
    const f = await study({ cases: 2, calibration: 1 });
    const units = await unitsOf(f.projectId);
    const src = units.find((u) => u.kind === 'study')!.sourceKey;
    await importAiResults({
      projectId: f.projectId,
      actorId: f.lead,
      format: 'json',
      text: JSON.stringify([{ case_id: src, model_name: 'PTX-Net', model_version: '2.1', score: 0.87, label: 'pneumothorax' }]),
    });
    const r = f.readers[0];
    const calib = await nextCaseForReader({ projectId: f.projectId, userId: r, at: day(1) });
    const before = await getReaderStudyCase({ projectId: f.projectId, caseId: calib!.caseId, userId: r, at: day(1) });
    expect(before).toMatchObject({ kind: 'calibration', calibration: null, position: 1, total: 5 });
    await sendCaseEvent({ caseId: calib!.caseId, actorId: r, event: { type: 'read.submit', values: { pneumothorax: false } }, clientRequestId: rid(), at: day(1) });
    const after = await getReaderStudyCase({ projectId: f.projectId, caseId: calib!.caseId, userId: r, at: day(1) });
    expect(after!.calibration).toEqual({ truth: [{ label: 'Pneumothorax present?', answer: 'Yes' }], explanation: 'Explanation 1' });
    // The model's imported marks, placed by the lead on one copy of the source case (here the
    // unaided copy): shown on every aided copy, never unaided; prior annotations never shown.
    const copies = units.filter((x) => x.sourceKey === src);
    const box = {
      id: 'd1',
      kind: 'box',
      image: 'img-1',
      points: [
        [1, 2],
        [30, 40],
      ],
      answers: { score: 0.91 },
    };
    await t.db.insert(importedMarks).values([
      { projectId: f.projectId, caseId: copies.find((u) => u.arm === 'unaided')!.caseId, source: 'PTX-Net 2.1', sourceKind: 'model', format: 'coco', lesions: [box] },
      { projectId: f.projectId, caseId: copies[0].caseId, source: 'Prior annotations', sourceKind: 'reference', format: 'coco', lesions: [box] },
    ]);
    for (const u of copies) {
      const v = await getReaderStudyCase({ projectId: f.projectId, caseId: u.caseId, userId: r, at: day(1) });
      if (u.arm === 'aided') {
        expect(v!.ai).toEqual([{ modelName: 'PTX-Net', modelVersion: '2.1', score: 0.87, label: 'pneumothorax' }]);
        expect(v!.aiMarks).toEqual([{ source: 'PTX-Net 2.1', lesions: [box] }]);
      } else {
        expect(v!.ai).toEqual([]);
        expect(v!.aiMarks).toEqual([]);
      }
    }
  });

  it('refuses study cases until the reader qualifies on the calibration cases', async () => {
    const f = await study({ cases: 2, calibration: 4, study: { qualification: { item: 'pneumothorax', minKappa: 0.6, minCases: 4 } } });
    const units = await unitsOf(f.projectId);
    const truthOf = (id: string) => (units.find((u) => u.caseId === id)!.truth as { pneumothorax: boolean }).pneumothorax;
    const [good, bad] = f.readers;
    for (let i = 0; i < 4; i++) {
      await readNext(f.projectId, good, day(1, i), truthOf);
      await readNext(f.projectId, bad, day(1, i), (id) => !truthOf(id));
    }
    const offered = await nextCaseForReader({ projectId: f.projectId, userId: good, at: day(2) });
    expect(units.find((u) => u.caseId === offered!.caseId)!.kind).toBe('study');
    expect(await nextCaseForReader({ projectId: f.projectId, userId: bad, at: day(2) })).toBeNull();
    const s = await getStudySummary({ projectId: f.projectId });
    expect(s!.readerRows.map((r) => r.qualification?.qualified)).toEqual([true, false]);
    expect(s!.readerRows[1].qualification?.kappa).toBeCloseTo(-1, 10);
  });

  it('skips: conflict of interest excludes the case for that reader, poor image quality defers it to the end of the session', async () => {
    const f = await study({ cases: 3 });
    const r = f.readers[0];
    const a = await nextCaseForReader({ projectId: f.projectId, userId: r, at: day(1) });
    expect(await skipStudyCase({ projectId: f.projectId, caseId: a!.caseId, userId: r, reason: 'image_quality', at: day(1) })).toEqual({ outcome: 'deferred' });
    const b = await nextCaseForReader({ projectId: f.projectId, userId: r, at: day(1, 1) });
    expect(b!.caseId).not.toBe(a!.caseId);
    expect(await skipStudyCase({ projectId: f.projectId, caseId: b!.caseId, userId: r, reason: 'conflict_of_interest', at: day(1, 1) })).toEqual({ outcome: 'excluded' });
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await readNext(f.projectId, r, day(1, 2 + i));
      if (c) seen.push(c);
    }
    // The deferred case comes back last; the excluded one never; the session then closes.
    expect(seen).toHaveLength(2);
    expect(seen.at(-1)).toBe(a!.caseId);
    expect(seen).not.toContain(b!.caseId);
    const p = await studyProgress(t.db as unknown as Tx, { projectId: f.projectId, userId: r, now: new Date(day(2)) });
    expect(p).toMatchObject({ total: 5, done: 2, opensAt: day(15, 3) });
    // A skip of a case the reader does not hold is refused as not found.
    await expect(skipStudyCase({ projectId: f.projectId, caseId: b!.caseId, userId: r, reason: 'image_quality' })).rejects.toThrow('no such case');
  });

  it('locks the case set once a reader has a plan: a case imported later is in no plan, never offered, and the summary says why', async () => {
    const f = await study({ cases: 2 });
    // Before anyone starts, late cases may still join (the setup is idempotent for old units).
    await f.addCase();
    expect(await setUpStudyUnits({ projectId: f.projectId, actorId: f.lead, at: day(0, 5) })).toMatchObject({ cases: 1, units: 2 });
    const [r1, r2] = f.readers;
    await nextCaseForReader({ projectId: f.projectId, userId: r1, at: day(1) });
    const late = await f.addCase();
    await expect(setUpStudyUnits({ projectId: f.projectId, actorId: f.lead, at: day(1, 1) })).rejects.toThrow("the study's cases are locked: readers started on 2025-03-04");
    expect((await unitsOf(f.projectId)).some((u) => u.caseId === late)).toBe(false);
    // A reader who starts after the lock gets the same cases as the first one.
    await nextCaseForReader({ projectId: f.projectId, userId: r2, at: day(1, 2) });
    const plans = await t.db.select().from(studyPlan).where(eq(studyPlan.projectId, f.projectId));
    expect(plans.some((p) => p.caseId === late)).toBe(false);
    const casesOf = (u: string) => new Set(plans.filter((p) => p.userId === u).map((p) => p.caseId));
    expect([...casesOf(r2)].sort()).toEqual([...casesOf(r1)].sort());
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) {
      const c = await readNext(f.projectId, r1, day(1 + 15 * i, i));
      if (c) seen.push(c);
    }
    expect(seen).toHaveLength(6);
    expect(seen).not.toContain(late);
    const s = await getStudySummary({ projectId: f.projectId });
    expect(s).toMatchObject({ locked: true, units: { pending: 1, cases: 3 } });
  });

  it('AI results: a bad line names its line and field and nothing is stored', async () => {
    const f = await study({ cases: 2 });
    const keys = [...new Set((await unitsOf(f.projectId)).map((u) => u.sourceKey))];
    const csv = (rows: string[]) => ['case_id,model_name,model_version,score,label', ...rows].join('\n');
    const imp = (text: string, format: 'csv' | 'json' = 'csv') => importAiResults({ projectId: f.projectId, actorId: f.lead, format, text });
    await expect(imp(csv([`${keys[0]},M,1,0.5,pos`, `${keys[1]},M,1,high,pos`]))).rejects.toThrow('line 3: score is not a number');
    await expect(imp(csv([`${keys[0]},M,1,0.5,pos`, `nope,M,1,0.2,neg`]))).rejects.toThrow('line 3: case_id nope is not a case of this study');
    await expect(imp(csv([`${keys[0]},M,1,0.5`]))).rejects.toThrow('line 2: row has 4 fields; the header has 5');
    await expect(imp('case_id,model_name,score,label\nx,M,1,p')).rejects.toThrow('line 1: model_version column is missing');
    await expect(imp(JSON.stringify([{ case_id: keys[0], model_name: 'M', model_version: '1', score: 0.1 }]), 'json')).rejects.toThrow('line 1: label is missing');
    await expect(imp('[{', 'json')).rejects.toThrow('not valid JSON');
    const { listAiModels } = await import('../app/models/ai-results.server.ts');
    expect(await listAiModels({ projectId: f.projectId })).toEqual([]);
    expect(await imp(csv([`${keys[0]},M,1,0.5,pos`, `${keys[1]},M,1,0.25,neg`]))).toMatchObject({ rows: 2, cases: 2 });
    expect((await listAiModels({ projectId: f.projectId })).map((m) => [m.modelName, m.modelVersion, m.cases])).toEqual([['M', '1', 2]]);
  });
});
