/**
 * Report rules in the product: versions stored per project, the tester, a labelling run as a job
 * over imported reports, the lead's review of a random sample, and only then evidence with
 * provenance (rule version, source report, label, review).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, inArray } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { buildProject, type Fixture } from './fixtures/workflow.ts';
import { mammographyDefinition } from '../seed/demo-projects.ts';
import { evidence, jobs, reportLabels } from '../db/schema.ts';
import { sendCaseEvent } from '../workflows/runtime.ts';
import { AppError } from '../domain/errors.ts';
import { currentRulesText, ruleVersions, saveRules, testRules } from '../app/models/report-rules.server.ts';
import { labelReportsNow, labelRunView, recordLabelsNow, reviewLabel, startRecording } from '../app/models/report-labels.server.ts';

let t: TestDb;
let f: Fixture;
beforeAll(async () => {
  t = await createTestDb();
  f = await buildProject(t.db, { definition: mammographyDefinition, cases: 3 });
}, 120_000);
afterAll(async () => t?.dispose());

const RULES = (extra = '') =>
  JSON.stringify({
    name: 'mammo',
    version: 1,
    findings: [
      { finding: 'mass', phrases: ['mass'] },
      { finding: 'calcification', phrases: ['calcification', 'calcifications'] },
    ],
    ...(extra ? { triggers: { add: [{ phrase: extra, kind: 'negated', direction: 'forward' }] } } : {}),
  });

const reportsOn = async (texts: string[]) => {
  for (const [i, text] of texts.entries())
    await sendCaseEvent({
      db: t.db,
      caseId: f.caseIds[i % f.caseIds.length],
      actorId: f.lead,
      clientRequestId: `seed-report-${i}`,
      event: { type: 'evidence.record', finding: null, kind: 'report', date: '2024-02-01', text, extraction: { method: 'fhir', resource: `DiagnosticReport/r${i}` } },
    });
};

describe('rules versions', () => {
  it('start from the example; each save is the next version, whatever the text says; bad rules name the path and save nothing', async () => {
    expect(await currentRulesText({ projectId: f.projectId, db: t.db })).toMatch(/"chest-ct"/);
    const v1 = await saveRules({ projectId: f.projectId, text: RULES(), actorId: f.lead, db: t.db });
    const v2 = await saveRules({ projectId: f.projectId, text: RULES('absent'), actorId: f.lead, db: t.db });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    const bad = await saveRules({
      projectId: f.projectId,
      text: JSON.stringify({ name: 'mammo', version: 1, findings: [{ finding: 'mass', patterns: ['(a'] }] }),
      actorId: f.lead,
      db: t.db,
    }).catch((e) => e);
    expect(bad).toBeInstanceOf(AppError);
    expect(bad.message).toMatch(/^findings\[0\]\.patterns\[0\]: invalid regex/);
    const versions = await ruleVersions({ projectId: f.projectId, db: t.db });
    expect(versions.map((v) => v.version)).toEqual([2, 1]);
    expect(JSON.parse(versions[0].text)).toMatchObject({ version: 2, triggers: { add: [{ phrase: 'absent' }] } });
    expect(JSON.parse(await currentRulesText({ projectId: f.projectId, db: t.db })).version).toBe(2);
  });

  it('the tester gives each finding its status and the trigger that decided it', () => {
    const rows = testRules({ text: RULES('absent'), report: 'Absent mass. Possible calcifications.' });
    expect(rows.map((r) => [r.finding, r.status, r.trigger])).toEqual([
      ['mass', 'negated', 'absent (negated, rules:mammo)'],
      ['calcification', 'uncertain', 'possible (uncertain, truthline)'],
    ]);
  });
});

describe('labelling run, review, evidence', () => {
  it('labels every imported report per finding, samples per status, records only after review', async () => {
    await reportsOn([
      'No suspicious mass. Possible calcifications.',
      'Spiculated mass in the left breast.',
      'Absent mass. Benign calcifications.',
      'No suspicious mass. Possible calcifications.',
    ]);
    const [v2] = await ruleVersions({ projectId: f.projectId, db: t.db });
    const { job, error } = await labelReportsNow({ projectId: f.projectId, ruleId: v2.id, samplePerStatus: 1, actorId: f.lead, db: t.db });
    expect(error).toBeNull();
    expect(job.status).toBe('succeeded');
    // Four evidence rows on three cases; the fourth repeats the first's text on the same case (as a FHIR import with rules stores it), so it is read once.
    expect(job.result).toMatchObject({ reports: 3, labels: 6, byStatus: { present: 2, negated: 2, uncertain: 1, historical: 0, not_mentioned: 1 }, sampled: 4, rule: 'mammo@2' });
    expect(job.total).toBe(4);
    expect(job.done).toBe(4);

    const view = (await labelRunView({ projectId: f.projectId, jobId: job.id, db: t.db }))!;
    expect(view.rule).toMatchObject({ name: 'mammo', version: 2 });
    expect(view.sample.map((s) => s.status)).toEqual(['present', 'negated', 'uncertain', 'not_mentioned']);
    expect(view.pending).toBe(4);
    expect((await ruleVersions({ projectId: f.projectId, db: t.db }))[0].labels).toBe(6);

    // Not before the sample is reviewed.
    const refused = await startRecording({ projectId: f.projectId, jobId: job.id, actorId: f.lead, db: t.db }).catch((e) => e);
    expect(refused).toMatchObject({ code: 'refused', message: 'Review the 4 sampled label(s) left before recording.' });
    expect(await t.db.select().from(evidence).where(eq(evidence.resultCode, 'mass:negated'))).toHaveLength(0);

    const [present, negated, uncertain, unmentioned] = view.sample;
    // Not mentioned has no sentence: the lead judges it on the report itself.
    expect([unmentioned.sentence, unmentioned.report]).toEqual(['', 'Spiculated mass in the left breast.']);
    expect(present.report).toBe('');
    expect(await reviewLabel({ projectId: f.projectId, jobId: job.id, labelId: unmentioned.id, status: 'not_mentioned', actorId: f.lead, db: t.db })).toBe('accepted');
    expect(await reviewLabel({ projectId: f.projectId, jobId: job.id, labelId: present.id, status: 'present', actorId: f.lead, db: t.db })).toBe('accepted');
    expect(await reviewLabel({ projectId: f.projectId, jobId: job.id, labelId: negated.id, status: 'negated', actorId: f.lead, db: t.db })).toBe('accepted');
    expect(await reviewLabel({ projectId: f.projectId, jobId: job.id, labelId: uncertain.id, status: 'present', actorId: f.lead, db: t.db })).toBe('corrected');
    const after = (await labelRunView({ projectId: f.projectId, jobId: job.id, db: t.db }))!;
    expect(after.agreement.filter((a) => a.sampled).map((a) => [a.status, a.reviewed, a.accepted])).toEqual([
      ['present', 1, 1],
      ['negated', 1, 1],
      ['uncertain', 1, 0],
      ['not_mentioned', 1, 1],
    ]);

    // A label outside the sample, or of another run, is not reviewable.
    const [unsampled] = await t.db
      .select()
      .from(reportLabels)
      .where(and(eq(reportLabels.jobId, job.id), eq(reportLabels.sampled, false)))
      .limit(1);
    await expect(reviewLabel({ projectId: f.projectId, jobId: job.id, labelId: unsampled.id, status: 'present', actorId: f.lead, db: t.db })).rejects.toMatchObject({
      code: 'not_found',
    });

    const rec = await recordLabelsNow({ projectId: f.projectId, jobId: job.id, actorId: f.lead, db: t.db });
    expect(rec.error).toBeNull();
    // Not mentioned is no evidence either way: 5 of the 6 labels are recorded.
    expect(rec.job.result).toEqual({ recorded: 5, duplicates: 0, skipped: 0, problems: [] });
    const rows = await t.db.select().from(evidence).where(inArray(evidence.caseId, f.caseIds));
    const fromRules = rows.filter((r) => (r.extraction as { method: string }).method === 'report-rule');
    expect(fromRules).toHaveLength(5);
    const corrected = fromRules.find((r) => (r.extraction as { label: string }).label === uncertain.id)!;
    expect(corrected.resultCode).toBe(`${uncertain.finding}:present`);
    expect(corrected.extractionRuleId).toBe(v2.id);
    expect(corrected.extraction).toMatchObject({
      method: 'report-rule',
      rule: 'mammo',
      version: 2,
      triggers: 'truthline-context@1+mammo@2',
      run: job.id,
      status: 'present',
      ruleStatus: 'uncertain',
      review: 'corrected',
    });
    const source = rows.find((r) => r.id === (corrected.extraction as { report: string }).report)!;
    expect(source.text).toMatch(/Possible calcifications/);
    expect(corrected).toMatchObject({ caseId: source.caseId, kind: 'report', evidenceDate: '2024-02-01' });

    // The review is closed once recorded; recording again gives the same job, and a second run does not read labels as reports.
    await expect(reviewLabel({ projectId: f.projectId, jobId: job.id, labelId: present.id, status: 'negated', actorId: f.lead, db: t.db })).rejects.toMatchObject({
      code: 'refused',
    });
    expect((await startRecording({ projectId: f.projectId, jobId: job.id, actorId: f.lead, db: t.db })).id).toBe(rec.job.id);
    const again = await labelReportsNow({ projectId: f.projectId, ruleId: v2.id, samplePerStatus: 1, actorId: f.lead, db: t.db });
    expect(again.job.result).toMatchObject({ reports: 3 });
  });

  it('a run of another project’s rules or job is not found', async () => {
    const other = await buildProject(t.db, { definition: mammographyDefinition, cases: 1 });
    const [v] = await ruleVersions({ projectId: f.projectId, db: t.db });
    await expect(labelReportsNow({ projectId: other.projectId, ruleId: v.id, actorId: other.lead, db: t.db })).rejects.toMatchObject({ code: 'not_found' });
    const [anyRun] = await t.db.select().from(jobs).where(eq(jobs.kind, 'reports.label')).limit(1);
    expect(await labelRunView({ projectId: other.projectId, jobId: anyRun.id, db: t.db })).toBeNull();
  });
});
