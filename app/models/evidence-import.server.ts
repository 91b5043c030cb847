/**
 * Evidence upload from the lead's page as a background job: the same files the
 * CLI takes — the evidence CSV (`case_id,finding,kind,date,result_code,text`) and FHIR R4
 * (a Bundle, one resource, or NDJSON of DiagnosticReport / pathology Observation) — the same
 * checks (evidence.server.ts checkEvidence, fhir-import.server.ts previewFhirImport). `evidence.check`
 * previews a stored upload; `evidence.import` checks it again and, when every row is valid,
 * records it in short chunks (evidence-record.server.ts): a bad file records nothing; a cancel or
 * a stop says how many rows were recorded; a restart resumes from the committed checkpoint.
 *
 * Evidence files are bounded (20,000 rows or resources), so a stored upload is read whole.
 */
import type { Db } from '../../db/client.ts';
import { writeAudit } from '../../db/audit.ts';
import { deleteInput, inputSize, readInput, readInputText, storeInput } from '../../jobs/inputs.ts';
import type { Tx } from '../../db/client.ts';
import { enqueueJob, getJob, JobCancelled, JobFailed, registerJob, runJobNow, type JobContext } from '../../jobs/runner.ts';
import { parseRulesText, RulesError, type CompiledRules } from '../../reports/index.ts';
import { checkEvidence, evidenceEvents, type EvidenceCheck, type EvidenceImportError } from './evidence.server.ts';
import { emptyRecordState, EvidenceRecordingStopped, leadProblem, recordEvidenceEvents, type RecordState } from './evidence-record.server.ts';
import { fhirEvidenceEvents, formatFhirError, previewFhirImport, type FhirEvidenceRow } from './fhir-import.server.ts';

export const EVIDENCE_FORMATS = ['csv', 'fhir'] as const;
export type EvidenceFormat = (typeof EVIDENCE_FORMATS)[number];

const SAMPLE_ROWS = 100;
const KEEP_PROBLEMS = 200;

export type EvidenceJobParams = {
  projectId: string;
  inputId: string;
  /** null = detect from the file name or its first character. */
  format: EvidenceFormat | null;
  fileName: string | null;
  /** Extraction rules (JSON text) for FHIR report text, as `import fhir --rules`. */
  rulesText: string | null;
  actorId: string;
  ip: string | null;
  dryRun: boolean;
};

export type EvidencePreviewRow = {
  /** CSV line, or the FHIR file's line of the resource. */
  line: number;
  caseRef: string;
  finding: string | null;
  kind: string;
  date: string;
  resultCode: string | null;
  /** First 120 characters of the text. */
  text: string | null;
  /** FHIR only: the resource and how its case was found. */
  resource?: string;
  matchedBy?: string;
};

export type EvidenceJobResult = {
  format: EvidenceFormat;
  /** Results to record (CSV rows, or evidence rows derived from FHIR resources). */
  total: number;
  cases: number;
  /** FHIR: resources read, and resources of other types skipped. */
  resources?: number;
  skipped?: Record<string, number>;
  problems: { line: number; field: string | null; text: string }[];
  problemCount: number;
  rows: EvidencePreviewRow[];
  recorded?: number;
  duplicates?: number;
  /** Rows a case refused when recorded (withdrawn since the check), with why (first 50). */
  refused?: number;
  refusedRows?: { label: string; message: string }[];
  /** Rows gone through (recorded, already there or refused); less than total when cancelled or stopped. */
  processed?: number;
  cancelled?: boolean;
  inputId: string;
};

/** Guesses the format from the file name or the first non-blank character. */
export function detectEvidenceFormat(head: string, fileName?: string | null): EvidenceFormat {
  if (fileName && /\.csv$/i.test(fileName)) return 'csv';
  if (fileName && /\.(json|ndjson)$/i.test(fileName)) return 'fhir';
  const first = head.replace(/^\uFEFF/, '').trimStart()[0];
  return first === '{' || first === '[' ? 'fhir' : 'csv';
}

/** "line 3, date: …" as the case manifest import words it. */
const csvProblemText = (e: EvidenceImportError) => `${e.line > 0 ? `line ${e.line}` : 'file'}${e.field ? `, ${e.field}` : ''}: ${e.message}`;
const snippet = (s: string | null) => (s ? (s.length > 120 ? `${s.slice(0, 120)}…` : s) : null);

/** Checks (and unless dryRun, records) a stored evidence file; throws JobFailed with the problems. */
async function runEvidenceJob(ctx: JobContext): Promise<EvidenceJobResult> {
  const p = ctx.job.params as EvidenceJobParams;
  const db = ctx.db;
  await ctx.progress({ done: 0, total: 3, phase: 'reading the file' });
  const { chars } = await inputSize({ inputId: p.inputId, db });
  let head = '';
  for await (const piece of readInput({ inputId: p.inputId, db })) {
    head = piece.slice(0, 1000);
    break;
  }
  const format = p.format ?? detectEvidenceFormat(head, p.fileName);
  const text = chars ? await readInputText({ inputId: p.inputId, db }) : '';
  const base = { format, inputId: p.inputId };
  const fail = (problems: EvidenceJobResult['problems'], problemCount = problems.length, extra: Partial<EvidenceJobResult> = {}): never => {
    const result: EvidenceJobResult = { ...base, total: 0, cases: 0, rows: [], ...extra, problems: problems.slice(0, KEEP_PROBLEMS), problemCount };
    throw new JobFailed(`${problemCount} problem(s) in the evidence file; nothing was recorded`, result);
  };
  if (!text.trim()) fail([{ line: 0, field: null, text: 'the file is empty' }]);
  await ctx.progress({ done: 1, phase: 'checking every row against the project' });

  let result: EvidenceJobResult;
  let rules: CompiledRules | null = null;
  let csvCheck: EvidenceCheck | null = null;
  let fhirRows: FhirEvidenceRow[] | null = null;
  if (format === 'csv') {
    const c = await checkEvidence({ projectId: p.projectId, text, db });
    csvCheck = c;
    const extra = { total: c.rows.length, cases: c.cases };
    if (c.errors.length)
      fail(
        c.errors.map((e) => ({ line: e.line, field: e.field, text: csvProblemText(e) })),
        c.errors.length,
        extra,
      );
    result = {
      ...base,
      ...extra,
      problems: [],
      problemCount: 0,
      rows: c.rows
        .slice(0, SAMPLE_ROWS)
        .map((r) => ({ line: r.line, caseRef: r.caseRef, finding: r.finding, kind: r.kind, date: r.date, resultCode: r.resultCode, text: snippet(r.text) })),
    };
  } else {
    if (p.rulesText) {
      try {
        rules = parseRulesText(p.rulesText);
      } catch (e) {
        if (e instanceof RulesError) fail([{ line: 0, field: 'rules', text: `extraction rules: ${e.message}` }]);
        throw e;
      }
    }
    const pv = await previewFhirImport({ projectId: p.projectId, text, rules, db });
    const extra = { total: pv.rows.length, cases: new Set(pv.rows.map((r) => r.caseId)).size, resources: pv.resources, skipped: pv.skipped };
    const fhirProblem = (e: (typeof pv.errors)[number]) => ({ line: e.line, field: e.path || null, text: formatFhirError(e) });
    if (pv.errors.length) fail(pv.errors.map(fhirProblem), pv.errors.length, extra);
    if (!pv.rows.length) fail([{ line: 0, field: null, text: 'no DiagnosticReport or Observation resources in the file' }], 1, extra);
    fhirRows = pv.rows;
    result = {
      ...base,
      ...extra,
      problems: [],
      problemCount: 0,
      rows: pv.rows.slice(0, SAMPLE_ROWS).map((r) => ({
        line: 0,
        caseRef: r.caseRef,
        finding: null,
        kind: r.kind,
        date: r.date,
        resultCode: r.resultCode,
        text: snippet(r.text),
        resource: r.resource,
        matchedBy: r.matchedBy,
      })),
    };
  }
  if (p.dryRun) return result;
  const notLead = await leadProblem({ projectId: p.projectId, actorId: p.actorId, db });
  if (notLead) fail([{ line: 0, field: null, text: notLead }], 1, { total: result.total, cases: result.cases });

  // Rows are recorded in short chunks, each committed with this job's checkpoint; a restarted
  // attempt (the stored input is kept until the end) checks the same file again and resumes.
  const events = format === 'csv' ? evidenceEvents(p.projectId, csvCheck!) : fhirEvidenceEvents(p.projectId, fhirRows!);
  const from = (ctx.job.result as { checkpoint?: RecordState } | null)?.checkpoint ?? emptyRecordState();
  const total = events.length;
  const n = (x: number) => x.toLocaleString('en');
  const phase = (s: RecordState) => `recording: ${n(s.next)} of ${n(total)} result(s) done`;
  await ctx.progress({ done: from.next, total, phase: from.next ? `resuming after a restart: ${phase(from)}` : phase(from) });
  const outcome = (s: RecordState): EvidenceJobResult => ({
    ...result,
    recorded: s.recorded,
    duplicates: s.duplicates,
    refused: s.refused,
    refusedRows: s.refusedRows,
    processed: s.next,
  });
  const audit = (tx: Tx, s: RecordState, ended: 'done' | 'cancelled' | 'stopped') =>
    writeAudit(tx, {
      actorId: p.actorId,
      action: 'evidence.import',
      projectId: p.projectId,
      ip: p.ip,
      details: { format, ended, total, recorded: s.recorded, duplicates: s.duplicates, refused: s.refused, job: ctx.job.id, file: p.fileName },
    });
  let done: RecordState;
  try {
    done = await recordEvidenceEvents({
      events,
      actorId: p.actorId,
      ip: p.ip,
      db,
      from,
      checkpoint: (tx, s) => ctx.checkpointIn(tx, { ...outcome(s), checkpoint: s }),
      between: (s) => ctx.progress({ done: s.next, phase: phase(s) }),
    });
  } catch (e) {
    // What was committed stays (each row is an event in its case's hash chain); say how much.
    const stopped = (s: RecordState) => `${n(s.recorded)} of ${n(total)} result(s) recorded${s.duplicates ? ` (${n(s.duplicates)} were already there)` : ''}`;
    const again = 'importing the same file again records only the rest';
    if (e instanceof JobCancelled) {
      const s = ((await getJob({ jobId: ctx.job.id, db }))?.result as { checkpoint?: RecordState } | null)?.checkpoint ?? from;
      await db.transaction((tx) => audit(tx, s, 'cancelled'));
      throw new JobCancelled({ phase: `cancelled after ${stopped(s)}; ${n(total - s.next)} not recorded — ${again}`, result: { ...outcome(s), cancelled: true } });
    }
    if (e instanceof EvidenceRecordingStopped) {
      await db.transaction((tx) => audit(tx, e.state, 'stopped'));
      throw new JobFailed(`recording stopped at ${e.row.label}: ${e.reason}. ${stopped(e.state)}; ${n(total - e.state.next)} not recorded — ${again}`, outcome(e.state));
    }
    throw e;
  }
  await db.transaction(async (tx) => {
    await ctx.lockIn(tx);
    await audit(tx, done, 'done');
    await ctx.succeedIn(tx, outcome(done));
  });
  await deleteInput({ inputId: p.inputId, db });
  return outcome(done);
}

registerJob('evidence.check', runEvidenceJob);
registerJob('evidence.import', runEvidenceJob);

/** Stores an upload (or takes a stored one) and queues its check (dryRun) or import. */
export async function startEvidenceJob({
  projectId,
  source,
  inputId,
  format = null,
  fileName = null,
  rulesText = null,
  actorId,
  ip = null,
  dryRun,
  db,
}: {
  projectId: string;
  source?: Iterable<string> | AsyncIterable<string | Uint8Array>;
  inputId?: string;
  format?: EvidenceFormat | null;
  fileName?: string | null;
  rulesText?: string | null;
  actorId: string;
  ip?: string | null;
  dryRun: boolean;
  db?: Db;
}) {
  const id = inputId ?? (await storeInput({ source: source ?? [], db, name: fileName ?? undefined })).inputId;
  const params: EvidenceJobParams = { projectId, inputId: id, format, fileName, rulesText: rulesText?.trim() ? rulesText : null, actorId, ip, dryRun };
  return enqueueJob({ kind: dryRun ? 'evidence.check' : 'evidence.import', projectId, createdBy: actorId, params, db });
}

/** Queues the import of a file an `evidence.check` job of this project found without problems; null otherwise. */
export async function importCheckedEvidence({
  projectId,
  checkJobId,
  actorId,
  ip = null,
  db,
}: {
  projectId: string;
  checkJobId: string;
  actorId: string;
  ip?: string | null;
  db?: Db;
}) {
  if (!/^[0-9a-f-]{36}$/i.test(checkJobId)) return null;
  const check = await getJob({ jobId: checkJobId, projectId, db });
  const r = check?.result as EvidenceJobResult | null | undefined;
  if (!check || check.kind !== 'evidence.check' || check.status !== 'succeeded' || !r || r.problemCount > 0) return null;
  const p = check.params as EvidenceJobParams;
  return startEvidenceJob({ projectId, inputId: p.inputId, format: r.format, fileName: p.fileName, rulesText: p.rulesText, actorId, ip, dryRun: false, db });
}

/** The form a check job was started from (pasted text when small), shown again beside its result. */
export async function evidenceJobForm({ projectId, jobId }: { projectId: string; jobId: string }): Promise<{ text: string; format: string; rules: string } | null> {
  if (!/^[0-9a-f-]{36}$/i.test(jobId)) return null;
  const job = await getJob({ jobId, projectId });
  if (!job || !job.kind.startsWith('evidence.')) return null;
  const p = job.params as EvidenceJobParams;
  let text = '';
  if (!p.fileName) {
    const { chars } = await inputSize({ inputId: p.inputId });
    if (chars > 0 && chars <= 200_000) text = await readInputText({ inputId: p.inputId });
  }
  return { text, format: p.format ?? 'auto', rules: p.rulesText ?? '' };
}

/** Checks and records an evidence file now, as a job run in this call (tests, scripts). */
export async function importEvidenceNow(args: Parameters<typeof startEvidenceJob>[0]) {
  const job = await startEvidenceJob(args);
  return runJobNow({ jobId: job.id, db: args.db });
}
