/** Evidence sanity: a result before its study, a code the mapping does not know, a finding the case lacks — refused by line and field. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { buildProject, biradsDefinition, type Fixture } from './fixtures/workflow.ts';
import { cases, evidence } from '../db/schema.ts';
import { checkEvidence, EvidenceImportFailed, importEvidence } from '../app/models/evidence.server.ts';

let t: TestDb;
let f: Fixture;
let ref: string;
beforeAll(async () => {
  t = await createTestDb();
  f = await buildProject(t.db, { definition: biradsDefinition(), cases: 1 });
  ref = (await t.db.select({ e: cases.externalId }).from(cases).where(eq(cases.id, f.caseIds[0])))[0].e!;
});
afterAll(async () => t?.dispose());

describe('evidence sanity', () => {
  it('names each problem by line and field, lists the mapping codes, and records nothing', async () => {
    const text = [
      'case_id,finding,kind,date,result_code,text',
      `${ref},left,pathology,2024-01-10,malignant,`, // the study is 2024-01-15
      `${ref},left,pathology,2024-02-01,atypia,`, // not in the mapping
      `${ref},middle,pathology,2024-02-01,malignant,`, // no such finding
      `${ref},right,pathology,2024-02-01,malignant,core biopsy`, // fine
    ].join('\n');
    const { errors } = await checkEvidence({ projectId: f.projectId, text, db: t.db });
    expect(errors.map((e) => [e.line, e.field])).toEqual([
      [2, 'date'],
      [3, 'result_code'],
      [4, 'finding'],
    ]);
    expect(errors[0].message).toMatch(/before the case's study date \(2024-01-15\)/);
    expect(errors[1].message).toMatch(/"atypia" is not a pathology result code in this project's mapping \(known: malignant\)/);
    await expect(importEvidence({ projectId: f.projectId, text, actorId: f.lead, db: t.db })).rejects.toBeInstanceOf(EvidenceImportFailed);
    expect(await t.db.select().from(evidence).where(eq(evidence.caseId, f.caseIds[0]))).toEqual([]);
  });
});
