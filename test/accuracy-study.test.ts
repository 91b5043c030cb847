/**
 * A two-arm reader study against an evidence reference, end to end on the database: readers
 * read every case in both arms, evidence verifies the clinical cases, and the dashboard's
 * accuracy document compares the arms (per-arm reader tables, OR analysis of the arm copies
 * joined by clinical case). The API serves the same MRMC document, valid against
 * stats/mrmc.schema.json, and it equals `stats/mrmc` run on the same reads as a long CSV.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { buildProject, pneumothoraxDefinition, rid } from './fixtures/workflow.ts';
import { studyUnits } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { projectDefinitionSchema } from '../workflows/definition.ts';
import { setUpStudyUnits } from '../app/models/study.server.ts';
import { computeAccuracy } from '../app/models/accuracy.server.ts';
import { computeAgreement } from '../app/models/agreement.server.ts';
import { projectMrmc } from '../app/models/mrmc.server.ts';
import { buildStudy, mrmc, type StudyRow } from '../stats/mrmc/index.ts';
import mrmcSchema from '../stats/mrmc.schema.json';
import { validate } from '../stats/schema.ts';
import { openApiDocument } from '../app/api/openapi.ts';

const DAY = 86_400_000;
const T = Date.parse('2025-03-03T09:00:00Z');
const at = (d: number, min = 0) => new Date(T + d * DAY + min * 60_000).toISOString();

const definition = projectDefinitionSchema.parse({
  ...pneumothoraxDefinition(),
  readerForm: {
    findings: [],
    fields: [
      {
        kind: 'ordinal',
        key: 'ptx',
        label: 'Pneumothorax likelihood',
        scope: 'case',
        required: true,
        options: ['1', '2', '3', '4', '5'].map((v) => ({ value: v, label: v })),
      },
    ],
    confidence: false,
    comment: false,
  },
  referenceStandard: { level: 'case', outcome: { key: 'ptx_ct', label: 'Pneumothorax on CT', positiveLabel: 'Present', negativeLabel: 'Absent' }, source: 'evidence' },
  mapping: {
    rules: [
      { kind: 'report', resultCodes: ['ptx'], value: true },
      { kind: 'report', resultCodes: ['no_ptx'], value: false },
    ],
  },
  truthPolicy: {
    ...pneumothoraxDefinition().truthPolicy,
    readersPerCase: 3,
    rules: { ptx: { type: 'ordinal_distance', d: 4 } },
    defaultRule: { type: 'unanimous' },
    onDisagreement: 'adjudicate',
  },
  study: {
    arms: [
      { key: 'unaided', label: 'Unaided' },
      { key: 'aided', label: 'Aided by AI', aided: true },
    ],
    washoutDays: 14,
  },
});

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.dispose());

describe('two-arm reader study against the evidence reference', () => {
  it('per-arm reader figures, OR analysis of the arms, the same document through the API model', async () => {
    const C = 12;
    const f = await buildProject(t.db, { definition, cases: C, readers: 3 });
    await setUpStudyUnits({ projectId: f.projectId, actorId: f.lead, at: at(0) });
    const units = await t.db.select().from(studyUnits).where(eq(studyUnits.projectId, f.projectId));
    expect(units.filter((u) => u.kind === 'study')).toHaveLength(2 * C);
    // Truth: every third clinical case positive (4 of 12); readers rate 1–5, better aided.
    const source = [...new Set(units.map((u) => u.sourceKey))].sort();
    const positive = (key: string) => source.indexOf(key) % 3 === 0;
    const expectedRows: StudyRow[] = [];
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const u of units.filter((x) => x.kind === 'study')) {
      for (const [j, reader] of f.readers.slice(0, 3).entries()) {
        const sharp = u.arm === 'aided' ? 1.6 : 0.9;
        const score = Math.min(5, Math.max(1, Math.round(3 + (positive(u.sourceKey) ? sharp : -sharp) + (rnd() - 0.5) * 2.6)));
        await sendCaseEvent({
          db: t.db,
          caseId: u.caseId,
          actorId: reader,
          event: { type: 'read.submit', values: { ptx: String(score) } },
          clientRequestId: rid(),
          at: at(u.arm === 'aided' ? 30 + j : 1 + j),
        });
        expectedRows.push({
          line: 0,
          caseId: u.sourceKey,
          truth: positive(u.sourceKey) ? 1 : 0,
          arm: u.arm === 'aided' ? 'Aided by AI' : 'Unaided',
          readerId: `reader${j + 1}`,
          rating: score,
        });
      }
    }
    // (Readers never dispute here, d = 4: the study's truth comes from evidence, not adjudication.)
    // Evidence on the first-arm case (the imported one) verifies the clinical case for both arms.
    for (const u of units.filter((x) => x.kind === 'study' && x.arm === 'unaided'))
      await sendCaseEvent({
        db: t.db,
        caseId: u.caseId,
        actorId: f.lead,
        event: { type: 'evidence.record', kind: 'report', date: '2025-03-10', resultCode: positive(u.sourceKey) ? 'ptx' : 'no_ptx' },
        clientRequestId: rid(),
        at: at(60),
      });

    const acc = await computeAccuracy({ projectId: f.projectId, version: 1, db: t.db });
    expect(acc?.reference).toBe('evidence');
    expect(acc?.verified).toBeNull();
    expect(acc?.arms?.map((a) => a.label)).toEqual(['Unaided', 'Aided by AI']);
    for (const a of acc!.arms!) {
      expect(a.verified.readers).toHaveLength(3);
      for (const r of a.verified.readers) expect([r.units, r.positives, r.negatives]).toEqual([C, 4, 8]);
    }
    // STARD counts clinical cases, not arm copies; index test per reader and arm.
    expect(acc!.stard.eligible).toBe(C);
    expect(acc!.stard.units).toBe(C);
    expect(acc!.stard.reference.verified).toBe(C);
    expect(acc!.stard.indexTest).toHaveLength(6);
    expect(acc!.stard.indexTest[0]).toMatchObject({ reader: 'reader1', arm: 'Unaided', units: C });

    const doc = acc!.mrmc!;
    expect(doc, acc!.mrmcNote).not.toBeNull();
    expect(doc.design).toMatchObject({ arms: ['Unaided', 'Aided by AI'], readers: ['reader1', 'reader2', 'reader3'], cases: C, positive: 4, negative: 8, crossed: 'fully' });
    expect(acc!.mrmcNote).toMatch(/2 arms \(Unaided, Aided by AI\).*12 verified units all 3 readers rated in every arm/);
    // The same analysis as the CLI/stats on the reads written out as a long CSV.
    const direct = mrmc(buildStudy(expectedRows));
    expect(doc.or.rrrc.differences[0].estimate).toBeCloseTo(direct.or.rrrc.differences[0].estimate, 12);
    expect(doc.or.rrrc.p).toBeCloseTo(direct.or.rrrc.p, 12);
    expect(doc.or.armMeans).toEqual(direct.or.armMeans);
    expect(doc.or.armMeans[1].value).toBeGreaterThan(doc.or.armMeans[0].value);

    // The panel side of the dashboard scores ordinal fields with weighted κ too (leave-one-reader-out).
    const ag = await computeAgreement({ projectId: f.projectId, version: 1, db: t.db });
    const ptx = ag!.fields.find((x) => x.key === 'ptx')!;
    expect(ptx.accuracy).toHaveLength(3);
    for (const r of ptx.accuracy) expect(r.weightedKappa?.value).toEqual(expect.any(Number));

    const schema = mrmcSchema as Record<string, unknown>;
    expect(validate(JSON.parse(JSON.stringify(doc)), schema, schema)).toEqual([]);
  });

  it('the API model serves the dashboard document; a panel project is refused with the reason', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 2, readers: 2 });
    await expect(projectMrmc({ projectId: f.projectId })).rejects.toMatchObject({ code: 'refused', message: expect.stringMatching(/reader panel/) });
    const op = (openApiDocument() as { paths: Record<string, { get?: { responses: Record<string, unknown> } }> }).paths['/api/v1/projects/{slug}/mrmc'];
    expect(JSON.stringify(op.get!.responses['200'])).toContain('#/components/schemas/MrmcDocument');
  });
});
