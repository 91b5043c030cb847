/**
 * The complete export as a background job: two tables a data scientist can
 * use without re-joining — `truth` (every truth subject with its state and provenance, plus the
 * case's modality, body part, study UID, image references and manifest metadata) and `reads`
 * (every read in long form: reader's opaque id, answers, confidence, time spent, amendments) —
 * in CSV, JSON Lines or Parquet.
 *
 * Streamed: cases are read PAGE at a time (truthRecords with a keyset page) and each page is
 * written out before the next is read, so memory holds one page whatever the project size. The
 * output goes to `job_inputs` in pieces as it is produced (Parquet as base64 text, one row
 * group per page, flushed by hyparquet-writer's ParquetWriter) and is streamed back to the
 * download. Sequestered cases keep their rows but not their truth or reads (export.server.ts).
 *
 * Parquet: hyparquet-writer — pure JavaScript, no native build, runs on Node 20, writes row
 * groups incrementally (ParquetWriter + a flushing writer), maintained (hyparam, 2025–26
 * releases); parquet-wasm would need a 5 MB WebAssembly module, parquetjs is unmaintained.
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { ByteWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { cases, findings, reads, studyPlan, studyUnits } from '../../db/schema.ts';
import { writeAudit } from '../../db/audit.ts';
import { deleteInput, readInput, storeInput } from '../../jobs/inputs.ts';
import { enqueueJob, getJob, registerJob, type JobContext } from '../../jobs/runner.ts';
import { LESION_COLUMNS, lesionRows } from './marks-export.server.ts';
import { CSV_COLUMNS, csvCell, sequesteredCaseIds, truthRecords, withholdSequestered, type TruthRecord } from './export.server.ts';

export const EXPORT_JOB_FORMATS = ['csv', 'jsonl', 'parquet'] as const;
export type ExportJobFormat = (typeof EXPORT_JOB_FORMATS)[number];
export const PAGE = 500;

/** Columns of the truth table: the truth export's, then the case's own. */
export const TRUTH_COLUMNS = [...CSV_COLUMNS, 'modality', 'body_part', 'study_instance_uid', 'images', 'metadata'] as const;
/**
 * Columns of the reads table. In a reader study each case row is one reading unit: `arm` is the
 * unit's arm (null outside studies and for calibration units), `session` the reader's reading
 * session of that unit (from their plan), `unit_kind` the unit's kind and `source_case` the
 * clinical case its arms and re-reads share — so arms compare without re-joining.
 * Per-lesion mark columns (one row per lesion of a marks item) belong in a table of their own
 * beside this one: add it to `runExportJob`'s tables with its own column list rather than here.
 */
export const READ_COLUMNS = [
  'case_id',
  'case_uuid',
  'read_id',
  'finding',
  'reader_id',
  'arm',
  'session',
  'unit_kind',
  'source_case',
  'source',
  'values',
  'cannot_assess_reason',
  'confidence',
  'time_spent_ms',
  'comment',
  'created_at',
  'supersedes',
  'amendment_reason',
] as const;
const INT_COLUMNS = new Set(['project_version', 'truth_version', 'policy_version', 'event_seq', 'event_count', 'confidence', 'time_spent_ms', 'session']);

type Row = Record<string, string | number | null>;
export type ExportJobParams = { projectId: string; format: ExportJobFormat; actorId: string; ip: string | null /** Cases per page (tests use small pages). */; pageSize?: number };
export type ExportJobFile = { table: 'truth' | 'reads' | 'lesions'; name: string; inputId: string; rows: number; encoding: 'text' | 'base64'; contentType: string };
export type ExportJobResult = { format: ExportJobFormat; cases: number; files: ExportJobFile[] };

const flat = (v: unknown): string | number | null =>
  v === null || v === undefined ? null : typeof v === 'number' || typeof v === 'string' ? v : typeof v === 'boolean' ? String(v) : JSON.stringify(v);

function truthRow(r: TruthRecord, c: typeof cases.$inferSelect | undefined): Row {
  return {
    ...Object.fromEntries(CSV_COLUMNS.map((k) => [k, null])),
    case_id: r.case_id,
    case_uuid: r.case_uuid,
    patient_id: r.patient_id,
    split: r.split,
    study_date: r.study_date,
    project_version: r.project_version,
    finding: r.finding,
    truth_state: r.truth_state,
    truth_value: r.truth_value === null ? null : JSON.stringify(r.truth_value),
    truth_version: r.truth_version,
    method: r.method,
    policy_version: r.policy_version,
    rule_version: r.rule_version,
    decider_id: r.decider_id,
    decided_at: r.decided_at,
    rationale: r.rationale,
    derived_from_reads: r.derived_from_reads.map((x) => x.id).join(';'),
    reader_ids: r.derived_from_reads.map((x) => x.reader_id ?? '').join(';'),
    derived_from_evidence: r.derived_from_evidence.map((x) => x.id).join(';'),
    workflow_state: r.workflow_state,
    event_seq: r.event_seq,
    event_hash: r.event_hash,
    chain_head: r.chain_head,
    event_count: r.event_count,
    modality: c?.modality ?? null,
    body_part: c?.bodyPart ?? null,
    study_instance_uid: c?.studyInstanceUid ?? null,
    images: c ? (c.images as string[]).join(';') : null,
    metadata: c ? JSON.stringify(c.metadata ?? {}) : null,
  };
}

/** A table written in one format, page by page, as text pieces. */
interface TableSink {
  add(rows: Row[]): void;
  /** Text produced so far (taken). */
  take(): string;
  end(): string;
}

function csvSink(columns: readonly string[]): TableSink {
  let buf = `${columns.join(',')}\r\n`;
  return {
    add(rows) {
      for (const r of rows) buf += `${columns.map((c) => csvCell(r[c])).join(',')}\r\n`;
    },
    take() {
      const s = buf;
      buf = '';
      return s;
    },
    end() {
      return this.take();
    },
  };
}

/** JSON Lines: the truth table keeps its inlined reads and evidence (one object per record). */
function jsonlSink(): TableSink {
  let buf = '';
  return {
    add(rows) {
      for (const r of rows) buf += `${JSON.stringify(r)}\n`;
    },
    take() {
      const s = buf;
      buf = '';
      return s;
    },
    end() {
      return this.take();
    },
  };
}

/** Parquet, one row group per page, flushed as base64 (bytes carried over so pieces join). */
function parquetSink(columns: readonly string[]): TableSink {
  const bw = new ByteWriter() as ByteWriter & { flush?: () => void; index: number; buffer: ArrayBuffer };
  let out = '';
  let carry = new Uint8Array(0);
  const drain = (all: boolean) => {
    const bytes = new Uint8Array(bw.buffer, 0, bw.index);
    const joined = new Uint8Array(carry.length + bytes.length);
    joined.set(carry);
    joined.set(bytes, carry.length);
    bw.index = 0;
    const cut = all ? joined.length : joined.length - (joined.length % 3);
    out += Buffer.from(joined.buffer, joined.byteOffset, cut).toString('base64');
    carry = joined.slice(cut);
  };
  bw.flush = () => drain(false);
  const typed = (name: string, data: (string | number | null)[]) => ({ name, data, type: INT_COLUMNS.has(name) ? ('INT32' as const) : ('STRING' as const), nullable: true });
  const writer = new ParquetWriter({
    writer: bw,
    schema: schemaFromColumnData({ columnData: columns.map((c) => typed(c, [])) }),
    createdBy: 'truthline (hyparquet-writer)',
  });
  return {
    add(rows) {
      if (!rows.length) return;
      void writer.write({
        columnData: columns.map((c) =>
          typed(
            c,
            rows.map((r) => (INT_COLUMNS.has(c) ? (r[c] === null ? null : Number(r[c])) : r[c] === null ? null : String(r[c]))),
          ),
        ),
        rowGroupSize: rows.length,
      });
      drain(false);
    },
    take() {
      const s = out;
      out = '';
      return s;
    },
    end() {
      writer.finish();
      drain(true);
      return this.take();
    },
  };
}

function sinkFor(format: ExportJobFormat, columns: readonly string[]): TableSink {
  return format === 'csv' ? csvSink(columns) : format === 'jsonl' ? jsonlSink() : parquetSink(columns);
}

/** Streams both tables page by page into stored outputs; returns their descriptions. */
async function runExportJob(ctx: JobContext): Promise<ExportJobResult> {
  const p = ctx.job.params as ExportJobParams;
  const db = ctx.db;
  const [{ n }] = await db
    .select({ n: sql`count(*)::int`.mapWith(Number) })
    .from(cases)
    .where(and(eq(cases.projectId, p.projectId)));
  await ctx.progress({ done: 0, total: n, phase: 'exporting' });
  const held = await sequesteredCaseIds({ projectId: p.projectId, db });
  const truth = sinkFor(p.format, TRUTH_COLUMNS);
  const readSink = sinkFor(p.format, READ_COLUMNS);
  // Lesions (marks items' truth, one row each: marks-export.server.ts), spooled like the reads.
  const lesionSink = sinkFor(p.format, LESION_COLUMNS);
  let lesionCount = 0;
  let truthRows = 0;
  let readRows = 0;
  let done = 0;
  // Each table's text goes to storage through a queue the page loop fills; storeInput takes pieces as they come.
  const pages = async function* (): AsyncGenerator<{ truth: string; reads: string; lesions: string }> {
    let afterId: string | null = null;
    for (;;) {
      let caseRows: (typeof cases.$inferSelect)[] = [];
      const records = withholdSequestered(
        await truthRecords({ projectId: p.projectId, db, page: { afterId, limit: p.pageSize ?? PAGE }, onCases: (rows) => (caseRows = rows) }),
        held,
      );
      if (!caseRows.length) break;
      const byId = new Map(caseRows.map((c) => [c.id, c]));
      const tRows =
        p.format === 'jsonl'
          ? records.map(
              (r) =>
                ({
                  ...truthRow(r, byId.get(r.case_uuid)),
                  derived_from_reads: null,
                  derived_from_evidence: null,
                  reads: r.derived_from_reads,
                  evidence: r.derived_from_evidence,
                }) as unknown as Row,
            )
          : records.map((r) => truthRow(r, byId.get(r.case_uuid)));
      truth.add(tRows);
      truthRows += tRows.length;
      const lRows = lesionRows(records, { structured: p.format === 'jsonl' }) as Row[];
      lesionSink.add(lRows);
      lesionCount += lRows.length;
      const ids = caseRows.map((c) => c.id).filter((id) => !held.has(id));
      const rs = ids.length
        ? await db
            .select({ r: reads, finding: findings.key, arm: studyUnits.arm, unitKind: studyUnits.kind, sourceCase: studyUnits.sourceKey, session: studyPlan.session })
            .from(reads)
            .leftJoin(findings, eq(findings.id, reads.findingId))
            .leftJoin(studyUnits, eq(studyUnits.caseId, reads.caseId))
            .leftJoin(studyPlan, and(eq(studyPlan.projectId, p.projectId), eq(studyPlan.userId, reads.authorId), eq(studyPlan.caseId, reads.caseId)))
            .where(inArray(reads.caseId, ids))
            .orderBy(asc(reads.caseId), asc(reads.createdAt), asc(reads.id))
        : [];
      const rRows: Row[] = rs.map(({ r, finding, arm, unitKind, sourceCase, session }) => {
        const c = byId.get(r.caseId)!;
        return {
          case_id: c.externalId ?? c.id,
          case_uuid: c.id,
          read_id: r.id,
          finding,
          reader_id: r.authorId,
          arm: arm ?? null,
          session: session ?? null,
          unit_kind: unitKind ?? null,
          source_case: sourceCase ?? null,
          source: r.source,
          values: flat(r.values),
          cannot_assess_reason: r.cannotAssessReason,
          confidence: r.confidence,
          time_spent_ms: r.timeSpentMs,
          comment: r.comment,
          created_at: r.createdAt.toISOString(),
          supersedes: r.supersedesId,
          amendment_reason: r.amendmentReason,
        };
      });
      readSink.add(rRows);
      readRows += rRows.length;
      afterId = caseRows[caseRows.length - 1].id;
      done += caseRows.length;
      yield { truth: truth.take(), reads: readSink.take(), lesions: lesionSink.take() };
      await ctx.progress({ done, phase: `${done.toLocaleString('en')} of ${n.toLocaleString('en')} cases written` });
      if (caseRows.length < (p.pageSize ?? PAGE)) break;
    }
    yield { truth: truth.end(), reads: readSink.end(), lesions: lesionSink.end() };
  };
  // The reads table is stored after the truth table from a spool of pieces kept in the database too.
  const readsSpool: string[] = [];
  const spoolIds: string[] = [];
  let spoolBuf = '';
  const lesionSpoolIds: string[] = [];
  let lesionBuf = '';
  const truthInput = await storeInput({
    db,
    source: (async function* () {
      for await (const pg of pages()) {
        spoolBuf += pg.reads;
        if (spoolBuf.length >= 256 * 1024) {
          spoolIds.push((await storeInput({ db, source: [spoolBuf] })).inputId);
          spoolBuf = '';
        }
        lesionBuf += pg.lesions;
        if (lesionBuf.length >= 256 * 1024) {
          lesionSpoolIds.push((await storeInput({ db, source: [lesionBuf] })).inputId);
          lesionBuf = '';
        }
        if (pg.truth) yield pg.truth;
      }
    })(),
  });
  if (spoolBuf) readsSpool.push(spoolBuf);
  const readsInput = await storeInput({
    db,
    source: (async function* () {
      for (const id of spoolIds) {
        for await (const piece of readInput({ inputId: id, db })) yield piece;
        await deleteInput({ inputId: id, db });
      }
      for (const s of readsSpool) yield s;
    })(),
  });
  // Only a project whose truth holds lesions (a form with marks items) gets the lesions table.
  const lesionsInput = !lesionCount
    ? null
    : await storeInput({
        db,
        source: (async function* () {
          for (const id of lesionSpoolIds) {
            for await (const piece of readInput({ inputId: id, db })) yield piece;
            await deleteInput({ inputId: id, db });
          }
          if (lesionBuf) yield lesionBuf;
        })(),
      });
  const ext = p.format === 'parquet' ? 'parquet' : p.format;
  const type = p.format === 'csv' ? 'text/csv; charset=utf-8' : p.format === 'jsonl' ? 'application/x-ndjson; charset=utf-8' : 'application/vnd.apache.parquet';
  const enc = p.format === 'parquet' ? ('base64' as const) : ('text' as const);
  return {
    format: p.format,
    cases: done,
    files: [
      { table: 'truth', name: `truth.${ext}`, inputId: truthInput.inputId, rows: truthRows, encoding: enc, contentType: type },
      { table: 'reads', name: `reads.${ext}`, inputId: readsInput.inputId, rows: readRows, encoding: enc, contentType: type },
      ...(lesionsInput ? [{ table: 'lesions' as const, name: `lesions.${ext}`, inputId: lesionsInput.inputId, rows: lesionCount, encoding: enc, contentType: type }] : []),
    ],
  };
}
registerJob('export.build', runExportJob);

export async function startExportJob({ projectId, format, actorId, ip = null, pageSize, db }: ExportJobParams & { db?: Db }) {
  return enqueueJob({
    kind: 'export.build',
    projectId,
    createdBy: actorId,
    params: { projectId, format, actorId, ip, ...(pageSize ? { pageSize } : {}) } satisfies ExportJobParams,
    db,
  });
}

/**
 * A finished export job's file as a stream of bytes (pieces read one at a time from the
 * database); the download is audited. Null when the job or file is not this project's.
 */
export async function exportJobFile({
  projectId,
  jobId,
  name,
  actorId,
  ip = null,
  db,
}: {
  projectId: string;
  jobId: string;
  name: string;
  actorId: string;
  ip?: string | null;
  db?: Db;
}) {
  if (!/^[0-9a-f-]{36}$/i.test(jobId)) return null;
  const d = db ?? getDb();
  const job = await getJob({ jobId, projectId, db: d });
  if (!job || job.kind !== 'export.build' || job.status !== 'succeeded') return null;
  const f = (job.result as ExportJobResult).files.find((x) => x.name === name);
  if (!f) return null;
  await writeAudit(d, { actorId, action: 'truth.export', projectId, ip, details: { format: (job.result as ExportJobResult).format, table: f.table, records: f.rows, job: jobId } });
  const pieces = readInput({ inputId: f.inputId, db: d });
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await pieces.next();
      if (done) controller.close();
      else controller.enqueue(f.encoding === 'base64' ? new Uint8Array(Buffer.from(value, 'base64')) : new TextEncoder().encode(value));
    },
  });
  return { body, contentType: f.contentType, fileName: f.name, rows: f.rows };
}
