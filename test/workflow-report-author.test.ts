/**
 * DESIGN.md "Assignment": a reader who signed the case's original report is not eligible when that
 * is known — the case manifest's optional `report_author` metadata column (the reader's email).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { at, buildProject, pneumothoraxDefinition } from './fixtures/workflow.ts';
import { cases, users } from '../db/schema.ts';
import { nextCaseForReader, reportAuthorIneligibility } from '../workflows/assignment.ts';
import { importManifest } from '../app/models/import.server.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.dispose());

async function emailOf(userId: string): Promise<string> {
  const [u] = await t.db.select({ email: users.email }).from(users).where(eq(users.id, userId));
  return u.email;
}

async function setReportAuthor(caseId: string, reportAuthor: string) {
  await t.db
    .update(cases)
    .set({ metadata: { site: 'A', report_author: reportAuthor } })
    .where(eq(cases.id, caseId));
}

describe('reportAuthorIneligibility (pure)', () => {
  it('matches the email ignoring case and surrounding spaces; no field, other values or no email: eligible', () => {
    expect(reportAuthorIneligibility('Dr.Smith@Example.org ', 'dr.smith@example.org')).toBe("you signed this case's original report");
    expect(reportAuthorIneligibility('dr.jones@example.org', 'dr.smith@example.org')).toBeNull();
    expect(reportAuthorIneligibility(undefined, 'dr.smith@example.org')).toBeNull();
    expect(reportAuthorIneligibility(null, 'dr.smith@example.org')).toBeNull();
    expect(reportAuthorIneligibility('', '')).toBeNull();
    expect(reportAuthorIneligibility('dr.smith@example.org', null)).toBeNull();
  });
});

describe('nextCaseForReader and the report author', () => {
  it('never gives the report author that case, while another reader gets it', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 1 });
    const [c] = f.caseIds;
    const [author, other] = f.readers;
    await setReportAuthor(c, await emailOf(author));
    expect(await nextCaseForReader({ projectId: f.projectId, userId: author, at: at(1) })).toBeNull();
    expect(await nextCaseForReader({ projectId: f.projectId, userId: other, at: at(2) })).toMatchObject({ caseId: c, reused: false });
    // Still not, later (the case still has an open slot: readersPerCase is 2).
    expect(await nextCaseForReader({ projectId: f.projectId, userId: author, at: at(3) })).toBeNull();
  });

  it('skips only the authored case: the author gets the next one, though the authored case comes first', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition({ caseOrder: 'fixed' }), cases: 2 });
    const [c1, c2] = f.caseIds;
    const [author] = f.readers;
    // Import order: without the rule c1 would come first.
    await setReportAuthor(c1, await emailOf(author));
    expect(await nextCaseForReader({ projectId: f.projectId, userId: author, at: at(1) })).toMatchObject({ caseId: c2 });
  });

  it('a case without the field, or naming someone else, is unaffected', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 2 });
    const [c1, c2] = f.caseIds;
    const [r1, r2] = f.readers;
    await setReportAuthor(c2, 'someone.else@example.org');
    // Both cases are eligible for both readers: each holds one as current and the other as next.
    for (const [i, r] of [r1, r2].entries()) {
      const a = await nextCaseForReader({ projectId: f.projectId, userId: r, at: at(i + 1) });
      expect([a!.caseId, a!.next!.caseId].sort()).toEqual([c1, c2].sort());
    }
  });

  it('matches the email case-insensitively', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 1 });
    const [c] = f.caseIds;
    const [author, other] = f.readers;
    await setReportAuthor(c, `  ${(await emailOf(author)).toUpperCase()} `);
    expect(await nextCaseForReader({ projectId: f.projectId, userId: author, at: at(1) })).toBeNull();
    expect((await nextCaseForReader({ projectId: f.projectId, userId: other, at: at(2) }))!.caseId).toBe(c);
  });

  it('end to end: a report_author column in the case manifest lands in cases.metadata and is honoured', async () => {
    const f = await buildProject(t.db, { definition: pneumothoraxDefinition(), cases: 0 });
    const [author, other] = f.readers;
    const email = await emailOf(author);
    const csv = ['case_id,patient_id,study_date,modality,body_part,split,images,report_author', `RA1,P1,2025-01-10,CR,CHEST,train,/img/ra1.png,${email.toUpperCase()}`].join('\n');
    await importManifest({ projectId: f.projectId, text: csv, actorId: f.lead });
    const [c] = await t.db.select({ id: cases.id, metadata: cases.metadata }).from(cases).where(eq(cases.projectId, f.projectId));
    expect(c.metadata).toMatchObject({ report_author: email.toUpperCase() });
    expect(await nextCaseForReader({ projectId: f.projectId, userId: author, at: at(1) })).toBeNull();
    expect((await nextCaseForReader({ projectId: f.projectId, userId: other, at: at(2) }))!.caseId).toBe(c.id);
  });
});
