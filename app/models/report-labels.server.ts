/**
 * Running a project's report rules over its imported reports, and the lead's review of a sample
 * of the labels before they become evidence.
 *
 * - `reports.label` (a background job): every evidence row of the project with report text
 *   (kind report or pathology; the same text on one case read once; rows that are themselves
 *   labels left out) → one report_labels row per report × finding, in chunks with progress.
 *   At the end a random sample of up to N labels per status is marked for review.
 * - The lead accepts or corrects each sampled label; the sample's agreement per status is shown.
 * - `reports.record` (a background job), allowed only when every sampled label is reviewed:
 *   each label that says something (not `not_mentioned`) becomes an `evidence.record` event on
 *   its case with provenance (rule version and trigger lists, source report, run, label, review).
 *   Each event is idempotent by the label's id, so a stopped recording resumes without doubles.
 */
import { createHash } from 'node:crypto';
import { and, asc, count, desc, eq, gt, inArray, isNotNull, ne, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { writeAudit } from '../../db/audit.ts';
import { cases, evidence, extractionRules, jobs, reportLabels } from '../../db/schema.ts';
import { AppError } from '../../domain/errors.ts';
import { enqueueJob, getJob, JobFailed, registerJob, runJobNow, type JobContext } from '../../jobs/runner.ts';
import { sendCaseEvent } from '../../workflows/runtime.ts';
import { extractReport, STATUSES, type Status } from '../../reports/index.ts';
import { loadRules } from './report-rules.server.ts';
import { jobView, type JobView } from './jobs.server.ts';

export const REVIEW_STATUSES = STATUSES;
export const DEFAULT_SAMPLE_PER_STATUS = 10;
export const MAX_SAMPLE_PER_STATUS = 50;
const CHUNK = 200;
const RECORD_CHUNK = 100;
const KEEP_PROBLEMS = 50;
const REPORT_SHOWN = 600;

export type LabelRunParams = { projectId: string; ruleId: string; samplePerStatus: number; actorId: string; ip: string | null };
export type LabelRunResult = { reports: number; labels: number; byStatus: Record<string, number>; sampled: number; rule: string };
export type RecordParams = { projectId: string; runJobId: string; actorId: string; ip: string | null };
export type RecordResult = { recorded: number; duplicates: number; skipped: number; problems: string[] };

/** Evidence rows of the project that are reports to read: text, report or pathology, not a label themselves. */
const isReport = (projectId: string) =>
  and(
    eq(cases.projectId, projectId),
    isNotNull(evidence.text),
    inArray(evidence.kind, ['report', 'pathology']),
    sql`coalesce(${evidence.extraction}->>'method', '') <> 'report-rule'`,
  );

async function runLabelJob(ctx: JobContext): Promise<LabelRunResult> {
  const p = ctx.job.params as LabelRunParams;
  const db = ctx.db;
  const { id: ruleId, rules } = await loadRules({ projectId: p.projectId, ruleId: p.ruleId, db });
  if (rules.labels) throw new JobFailed('These rules are in the older "labels" form: give them "findings" to label reports per finding.');
  const [{ n }] = await db.select({ n: count() }).from(evidence).innerJoin(cases, eq(cases.id, evidence.caseId)).where(isReport(p.projectId));
  const total = Number(n);
  await ctx.progress({ done: 0, total, phase: `reading ${total.toLocaleString('en')} report(s)` });
  // A retry after a stop starts over; labels already written are kept (unique per report × finding).
  const seen = new Set<string>();
  let after: string | null = null;
  let done = 0;
  let reports = 0;
  for (;;) {
    const batch: { id: string; caseId: string; text: string | null }[] = await db
      .select({ id: evidence.id, caseId: evidence.caseId, text: evidence.text })
      .from(evidence)
      .innerJoin(cases, eq(cases.id, evidence.caseId))
      .where(after ? and(isReport(p.projectId), gt(evidence.id, after)) : isReport(p.projectId))
      .orderBy(asc(evidence.id))
      .limit(CHUNK);
    if (!batch.length) break;
    const rows: (typeof reportLabels.$inferInsert)[] = [];
    for (const e of batch) {
      // FHIR imports with rules store the same text on several rows: read each report once per case.
      const key = createHash('sha256').update(`${e.caseId}\u0000${e.text}`).digest('base64');
      if (seen.has(key)) continue;
      seen.add(key);
      reports++;
      for (const r of extractReport(rules, e.id, e.text ?? '')) {
        rows.push({
          projectId: p.projectId,
          jobId: ctx.job.id,
          ruleId,
          evidenceId: e.id,
          caseId: e.caseId,
          finding: r.finding,
          status: r.status,
          matched: r.matched,
          sentence: r.sentence,
          trigger: r.trigger,
        });
      }
    }
    if (rows.length) await db.insert(reportLabels).values(rows).onConflictDoNothing();
    after = batch[batch.length - 1].id;
    done += batch.length;
    await ctx.progress({ done, phase: `labelled ${reports.toLocaleString('en')} report(s)` });
  }
  await ctx.progress({ done, phase: 'drawing the review sample' });
  const byStatus: Record<string, number> = {};
  let sampled = 0;
  await db.transaction(async (tx) => {
    await tx.update(reportLabels).set({ sampled: false }).where(eq(reportLabels.jobId, ctx.job.id));
    for (const status of STATUSES) {
      const [{ c }] = await tx
        .select({ c: count() })
        .from(reportLabels)
        .where(and(eq(reportLabels.jobId, ctx.job.id), eq(reportLabels.status, status)));
      byStatus[status] = Number(c);
      if (!byStatus[status]) continue;
      // A simple random sample of the status's labels (without replacement).
      const pick = tx
        .select({ id: reportLabels.id })
        .from(reportLabels)
        .where(and(eq(reportLabels.jobId, ctx.job.id), eq(reportLabels.status, status)))
        .orderBy(sql`random()`)
        .limit(p.samplePerStatus);
      await tx.update(reportLabels).set({ sampled: true }).where(inArray(reportLabels.id, pick));
      sampled += Math.min(p.samplePerStatus, byStatus[status]);
    }
    await writeAudit(tx, { actorId: p.actorId, action: 'report-rules.run', projectId: p.projectId, ip: p.ip, target: ctx.job.id, details: { ruleId, reports, sampled } });
  });
  return { reports, labels: Object.values(byStatus).reduce((a, b) => a + b, 0), byStatus, sampled, rule: `${rules.name}@${rules.version}` };
}

async function runRecordJob(ctx: JobContext): Promise<RecordResult> {
  const p = ctx.job.params as RecordParams;
  const db = ctx.db;
  const run = await getJob({ jobId: p.runJobId, projectId: p.projectId, db });
  if (!run || run.kind !== 'reports.label' || run.status !== 'succeeded') throw new JobFailed('The labelling run has not finished.');
  const [{ pending }] = await db
    .select({ pending: count() })
    .from(reportLabels)
    .where(and(eq(reportLabels.jobId, run.id), eq(reportLabels.sampled, true), eq(reportLabels.review, 'pending')));
  if (Number(pending) > 0) throw new JobFailed(`${pending} sampled label(s) are not reviewed yet; nothing was recorded.`);
  const { id: ruleId, rules } = await loadRules({ projectId: p.projectId, ruleId: (run.params as LabelRunParams).ruleId, db });
  // Labels that say something: not_mentioned (as found, or as corrected) is no evidence either way.
  const says = and(
    eq(reportLabels.jobId, run.id),
    or(and(sql`${reportLabels.reviewedStatus} is null`, ne(reportLabels.status, 'not_mentioned')), ne(reportLabels.reviewedStatus, 'not_mentioned')),
  );
  const [{ n }] = await db.select({ n: count() }).from(reportLabels).where(says);
  const total = Number(n);
  await ctx.progress({ done: 0, total, phase: `recording ${total.toLocaleString('en')} label(s) as evidence` });
  const out: RecordResult = { recorded: 0, duplicates: 0, skipped: 0, problems: [] };
  let after: string | null = null;
  let done = 0;
  for (;;) {
    const batch = await db
      .select({ l: reportLabels, kind: evidence.kind, date: evidence.evidenceDate })
      .from(reportLabels)
      .innerJoin(evidence, eq(evidence.id, reportLabels.evidenceId))
      .where(after ? and(says, gt(reportLabels.id, after)) : says)
      .orderBy(asc(reportLabels.id))
      .limit(RECORD_CHUNK);
    if (!batch.length) break;
    for (const { l, kind, date } of batch) {
      const status = l.reviewedStatus ?? l.status;
      try {
        const res = await sendCaseEvent({
          db,
          caseId: l.caseId,
          actorId: p.actorId,
          ip: p.ip,
          clientRequestId: `report-label:${l.id}`,
          event: {
            type: 'evidence.record',
            finding: null,
            kind,
            date,
            resultCode: `${l.finding}:${status}`,
            extractionRuleId: ruleId,
            extraction: {
              method: 'report-rule',
              rule: rules.name,
              version: rules.version,
              triggers: rules.triggersVersion,
              report: l.evidenceId,
              run: run.id,
              label: l.id,
              finding: l.finding,
              status,
              matched: l.matched,
              trigger: l.trigger,
              review: l.review === 'pending' ? 'not sampled' : l.review,
              ...(l.review === 'corrected' ? { ruleStatus: l.status } : {}),
            },
          },
        });
        if (res.status === 'duplicate') out.duplicates++;
        else out.recorded++;
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        if (e.code === 'conflict') {
          out.duplicates++;
          continue;
        }
        out.skipped++;
        if (out.problems.length < KEEP_PROBLEMS) out.problems.push(`report ${l.evidenceId}, ${l.finding}: ${e.message}`);
      }
    }
    after = batch[batch.length - 1].l.id;
    done += batch.length;
    await ctx.progress({ done, phase: `recorded ${out.recorded.toLocaleString('en')} label(s)` });
  }
  await db.transaction(async (tx) => {
    await writeAudit(tx, {
      actorId: p.actorId,
      action: 'report-labels.record',
      projectId: p.projectId,
      ip: p.ip,
      target: run.id,
      details: { ...out, problems: out.problems.length },
    });
  });
  return out;
}

registerJob('reports.label', runLabelJob);
registerJob('reports.record', runRecordJob);

/** Queues a run of a stored rules version over the project's reports. */
export async function startLabelRun({
  projectId,
  ruleId,
  samplePerStatus = DEFAULT_SAMPLE_PER_STATUS,
  actorId,
  ip = null,
  db,
}: {
  projectId: string;
  ruleId: string;
  samplePerStatus?: number;
  actorId: string;
  ip?: string | null;
  db?: Db;
}) {
  const { id, rules } = await loadRules({ projectId, ruleId, db });
  if (rules.labels) throw new AppError('invalid', 'These rules are in the older "labels" form: give them "findings" to label reports per finding.', { field: 'ruleId' });
  if (!Number.isInteger(samplePerStatus) || samplePerStatus < 1 || samplePerStatus > MAX_SAMPLE_PER_STATUS)
    throw new AppError('invalid', `The sample is 1 to ${MAX_SAMPLE_PER_STATUS} labels per status`, { field: 'sample' });
  const params: LabelRunParams = { projectId, ruleId: id, samplePerStatus, actorId, ip };
  return enqueueJob({ kind: 'reports.label', projectId, createdBy: actorId, params, db });
}

/** A label run now, in this call (tests, scripts). */
export async function labelReportsNow(args: Parameters<typeof startLabelRun>[0]) {
  const job = await startLabelRun(args);
  return runJobNow({ jobId: job.id, db: args.db });
}

async function runOf(d: Db, projectId: string, jobId: string) {
  if (!/^[0-9a-f-]{36}$/i.test(jobId)) return null;
  const run = await getJob({ jobId, projectId, db: d });
  return run && run.kind === 'reports.label' ? run : null;
}

async function recordJobOf(d: Db, projectId: string, runJobId: string) {
  const [row] = await d
    .select()
    .from(jobs)
    .where(
      and(eq(jobs.projectId, projectId), eq(jobs.kind, 'reports.record'), sql`${jobs.params}->>'runJobId' = ${runJobId}`, ne(jobs.status, 'cancelled'), ne(jobs.status, 'failed')),
    )
    .orderBy(desc(jobs.createdAt))
    .limit(1);
  return row ?? null;
}

export type SampleLabel = {
  id: string;
  caseRef: string;
  finding: string;
  status: Status;
  matched: string;
  sentence: string;
  trigger: string;
  /** The report's text (its first REPORT_SHOWN characters) when there is no sentence to show. */
  report: string;
  review: 'pending' | 'accepted' | 'corrected';
  reviewedStatus: Status | null;
};

export type LabelRunView = {
  run: JobView;
  rule: { id: string; name: string; version: number } | null;
  result: LabelRunResult | null;
  sample: SampleLabel[];
  /** Per status: sampled, reviewed, accepted as the rules said. */
  agreement: { status: Status; total: number; sampled: number; reviewed: number; accepted: number }[];
  pending: number;
  recording: JobView | null;
};

/** A run of the project's rules with its review sample (bounded: at most 5 × 50 labels). */
export async function labelRunView({ projectId, jobId, db }: { projectId: string; jobId: string; db?: Db }): Promise<LabelRunView | null> {
  const d = db ?? getDb();
  const run = await runOf(d, projectId, jobId);
  if (!run) return null;
  const params = run.params as LabelRunParams;
  const [rule] = await d
    .select({ id: extractionRules.id, name: extractionRules.name, version: extractionRules.version })
    .from(extractionRules)
    .where(eq(extractionRules.id, params.ruleId));
  const sampleRows = await d
    .select({ l: reportLabels, caseRef: cases.externalId, report: sql<string>`left(${evidence.text}, ${REPORT_SHOWN})` })
    .from(reportLabels)
    .innerJoin(cases, eq(cases.id, reportLabels.caseId))
    .innerJoin(evidence, eq(evidence.id, reportLabels.evidenceId))
    .where(and(eq(reportLabels.jobId, run.id), eq(reportLabels.sampled, true)))
    .orderBy(asc(reportLabels.status), asc(reportLabels.id))
    .limit(STATUSES.length * MAX_SAMPLE_PER_STATUS);
  const order = new Map(STATUSES.map((s, i) => [s as string, i]));
  const sample = sampleRows
    .map(
      ({ l, caseRef, report }): SampleLabel => ({
        id: l.id,
        caseRef: caseRef ?? l.caseId,
        finding: l.finding,
        status: l.status as Status,
        matched: l.matched,
        sentence: l.sentence,
        trigger: l.trigger,
        // A label without a sentence (not mentioned) is judged on the report itself.
        report: l.sentence ? '' : `${report ?? ''}${(report ?? '').length >= REPORT_SHOWN ? '…' : ''}`,
        review: l.review as SampleLabel['review'],
        reviewedStatus: (l.reviewedStatus as Status | null) ?? null,
      }),
    )
    .sort((a, b) => order.get(a.status)! - order.get(b.status)!);
  const result = run.status === 'succeeded' ? (run.result as LabelRunResult) : null;
  const agreement = STATUSES.map((status) => {
    const mine = sample.filter((s) => s.status === status);
    return {
      status,
      total: result?.byStatus[status] ?? 0,
      sampled: mine.length,
      reviewed: mine.filter((s) => s.review !== 'pending').length,
      accepted: mine.filter((s) => s.review === 'accepted').length,
    };
  });
  const rec = await recordJobOf(d, projectId, run.id);
  return {
    run: jobView(run),
    rule: rule ?? null,
    result,
    sample,
    agreement,
    pending: sample.filter((s) => s.review === 'pending').length,
    recording: rec ? jobView(rec) : null,
  };
}

/** The lead's answer for one sampled label: accept the rules' status, or correct it. */
export async function reviewLabel({
  projectId,
  jobId,
  labelId,
  status,
  actorId,
  db,
}: {
  projectId: string;
  jobId: string;
  labelId: string;
  /** The status the lead reads in the sentence; the rules' own status = accepted. */
  status: Status;
  actorId: string;
  db?: Db;
}): Promise<SampleLabel['review']> {
  const d = db ?? getDb();
  const run = await runOf(d, projectId, jobId);
  if (!run || !/^[0-9a-f-]{36}$/i.test(labelId)) throw new AppError('not_found', 'No such label in this run.');
  if (await recordJobOf(d, projectId, run.id)) throw new AppError('refused', 'These labels are being or have been recorded as evidence; the review is closed.');
  const [l] = await d
    .select()
    .from(reportLabels)
    .where(and(eq(reportLabels.id, labelId), eq(reportLabels.jobId, run.id), eq(reportLabels.sampled, true)));
  if (!l) throw new AppError('not_found', 'No such label in this run’s review sample.');
  const review = status === l.status ? 'accepted' : 'corrected';
  await d
    .update(reportLabels)
    .set({ review, reviewedStatus: review === 'corrected' ? status : null, reviewedBy: actorId, reviewedAt: new Date() })
    .where(eq(reportLabels.id, l.id));
  return review;
}

/** Queues the recording of a reviewed run as evidence; refused while sampled labels are unreviewed. */
export async function startRecording({ projectId, jobId, actorId, ip = null, db }: { projectId: string; jobId: string; actorId: string; ip?: string | null; db?: Db }) {
  const d = db ?? getDb();
  const run = await runOf(d, projectId, jobId);
  if (!run) throw new AppError('not_found', 'No such labelling run in this project.');
  if (run.status !== 'succeeded') throw new AppError('refused', 'The labelling run has not finished.');
  const [{ pending }] = await d
    .select({ pending: count() })
    .from(reportLabels)
    .where(and(eq(reportLabels.jobId, run.id), eq(reportLabels.sampled, true), eq(reportLabels.review, 'pending')));
  if (Number(pending) > 0) throw new AppError('refused', `Review the ${pending} sampled label(s) left before recording.`);
  const existing = await recordJobOf(d, projectId, run.id);
  if (existing) return existing;
  const params: RecordParams = { projectId, runJobId: run.id, actorId, ip };
  return enqueueJob({ kind: 'reports.record', projectId, createdBy: actorId, params, db: d });
}

/** The recording now, in this call (tests, scripts). */
export async function recordLabelsNow(args: Parameters<typeof startRecording>[0]) {
  const job = await startRecording(args);
  return runJobNow({ jobId: job.id, db: args.db });
}

/** The project's label runs, newest first (for the rules page). */
export async function labelRuns({ projectId, db }: { projectId: string; db?: Db }) {
  const d = db ?? getDb();
  const rows = await d
    .select()
    .from(jobs)
    .where(and(eq(jobs.projectId, projectId), eq(jobs.kind, 'reports.label')))
    .orderBy(desc(jobs.createdAt))
    .limit(10);
  return rows.map((j) => jobView(j, { withResult: true }));
}
