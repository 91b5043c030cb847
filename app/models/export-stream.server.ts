/**
 * The truth export written as a stream: cases are read PAGE at a time in the whole export's order
 * and each page is turned into text before the next is read, so memory holds one page whatever
 * the project size. The bytes are exactly those of the in-memory build (toCsv, toJsonl, toProv
 * in export.server.ts), which stays as the reference the tests compare against.
 *
 * PROV-JSON is one document whose sections (entities, activities, agents, each relation kind)
 * each gather items from every record, so one pass writes the entities straight out and spools
 * the other sections to temporary files, appended after. Agents are people (bounded by the
 * project's members, not its cases) and are kept in memory. Items are keyed by case (truth, read,
 * evidence and event ids belong to one case), so a case's items are complete when its last
 * record has been seen: that is where they are written.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { projects, sequesteredCases } from '../../db/schema.ts';
import { CSV_COLUMNS, csvCell, truthRecords, withholdSequestered, type ExportFormat, type TruthRecord } from './export.server.ts';

export const STREAM_PAGE = 500;

/** Pages of truth records in the export's order; `withhold` replaces held-back cases' truth as the plain export does. */
export async function* truthPages({
  projectId,
  db,
  pageSize = STREAM_PAGE,
  withhold = true,
}: {
  projectId: string;
  db?: Db;
  pageSize?: number;
  withhold?: boolean;
}): AsyncGenerator<TruthRecord[]> {
  const d = db ?? getDb();
  let after: { externalId: string | null; id: string } | null = null;
  for (;;) {
    let rows: { id: string; externalId: string | null }[] = [];
    const records = await truthRecords({ projectId, db: d, ordered: { after, limit: pageSize }, onCases: (cs) => (rows = cs) });
    if (!rows.length) return;
    yield withhold
      ? withholdSequestered(
          records,
          await heldAmong(
            d,
            projectId,
            rows.map((r) => r.id),
          ),
        )
      : records;
    const last = rows[rows.length - 1];
    after = { externalId: last.externalId, id: last.id };
    if (rows.length < pageSize) return;
  }
}

/** Which of these cases a sequestered release holds back (one page's worth). */
export async function heldAmong(d: Db, projectId: string, caseIds: string[]): Promise<Set<string>> {
  if (!caseIds.length) return new Set();
  const rows = await d
    .selectDistinct({ id: sequesteredCases.caseId })
    .from(sequesteredCases)
    .where(and(eq(sequesteredCases.projectId, projectId), inArray(sequesteredCases.caseId, caseIds)));
  return new Set(rows.map((r) => r.id));
}

/** A file written from pages of records: text goes to `emit` as it is produced. */
export interface RecordSink {
  add(records: TruthRecord[]): Promise<void>;
  /** The file's last pieces (PROV's spooled sections: read back a piece at a time). */
  end(): AsyncGenerator<string>;
}
type Emit = (text: string) => void | Promise<void>;

export function csvRow(r: TruthRecord): string {
  const row: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    ...r,
    truth_value: r.truth_value === null ? '' : JSON.stringify(r.truth_value),
    derived_from_reads: r.derived_from_reads.map((x) => x.id).join(';'),
    reader_ids: r.derived_from_reads.map((x) => x.reader_id ?? '').join(';'),
    derived_from_evidence: r.derived_from_evidence.map((x) => x.id).join(';'),
  };
  return `${CSV_COLUMNS.map((c) => csvCell(row[c])).join(',')}\r\n`;
}

/** The rows of a CSV file: a header, then `row` of each record (null = no row). */
export function csvSink(emit: Emit, header: string, row: (r: TruthRecord) => string | null = csvRow): RecordSink {
  let started = false;
  return {
    async add(records) {
      let s = started ? '' : `${header}\r\n`;
      started = true;
      for (const r of records) s += row(r) ?? '';
      if (s) await emit(s);
    },
    async *end() {
      if (!started) yield `${header}\r\n`;
    },
  };
}

export function jsonlSink(emit: Emit): RecordSink {
  return {
    async add(records) {
      let s = '';
      for (const r of records) s += `${JSON.stringify(r)}\n`;
      if (s) await emit(s);
    },
    async *end() {},
  };
}

type Items = Record<string, Record<string, unknown>>;
const SPOOLED = ['activity', 'wasGeneratedBy', 'wasDerivedFrom', 'wasAttributedTo', 'wasAssociatedWith', 'specializationOf'] as const;
/** One member of an object nested `depth` levels deep, as JSON.stringify(doc, null, 1) writes it. */
const member = (k: string, v: unknown, depth: number) => `${' '.repeat(depth)}${JSON.stringify(k)}: ${JSON.stringify(v, null, 1).replaceAll('\n', `\n${' '.repeat(depth)}`)}`;

/** W3C PROV-JSON, the document toProv builds, written case by case. */
export function provSink(emit: Emit, project: { slug: string; id: string }): RecordSink {
  let dir: string | null = null;
  const spools = new Map<string, { out: WriteStream; file: string; n: number; buf: string }>();
  const agent = new Map<string, Record<string, unknown>>();
  let n = 0;
  let records = 0;
  let entities = 0;
  let started = false;
  let caseId: string | null = null;
  let group: TruthRecord[] = [];
  const rel = () => `_:r${++n}`;
  const person = (id: string) => {
    const q = `tl:user-${id}`;
    if (!agent.has(q)) agent.set(q, { 'prov:type': { $: 'prov:Person', type: 'prov:QUALIFIED_NAME' } });
    return q;
  };
  const write = (out: WriteStream, text: string) => new Promise<void>((res, rej) => out.write(text, (e) => (e ? rej(e) : res())));
  const spool = async (section: string, items: Items) => {
    for (const [k, v] of Object.entries(items)) {
      let sp = spools.get(section);
      if (!sp) {
        dir ??= await mkdtemp(path.join(tmpdir(), 'truthline-prov-'));
        const file = path.join(dir, section);
        sp = { out: createWriteStream(file, { encoding: 'utf8' }), file, n: 0, buf: '' };
        spools.set(section, sp);
      }
      sp.buf += `${sp.n++ ? ',\n' : ''}${member(k, v, 2)}`;
      if (sp.buf.length >= 256 * 1024) {
        await write(sp.out, sp.buf);
        sp.buf = '';
      }
    }
  };
  const start = async () => {
    if (started) return;
    started = true;
    const prefix = { tl: 'urn:truthline:', project: `urn:truthline:project:${project.id}:` };
    await emit(`{\n${member('prefix', prefix, 1)},\n "entity": {\n`);
  };
  // The body of toProv's loop, for the records of one case.
  const flushCase = async () => {
    if (!group.length) return;
    const entity: Items = {};
    const sections: Record<(typeof SPOOLED)[number], Items> = {
      activity: {},
      wasGeneratedBy: {},
      wasDerivedFrom: {},
      wasAttributedTo: {},
      wasAssociatedWith: {},
      specializationOf: {},
    };
    const { activity, wasGeneratedBy, wasDerivedFrom, wasAttributedTo, wasAssociatedWith, specializationOf } = sections;
    for (const r of group) {
      const caseQ = `tl:case-${r.case_uuid}`;
      entity[caseQ] ??= {
        'prov:type': 'tl:Case',
        'tl:caseId': r.case_id,
        'tl:patientId': r.patient_id,
        'tl:split': r.split,
        'tl:studyDate': r.study_date,
        'tl:projectVersion': r.project_version,
        ...(r.chain_head ? { 'tl:chainHead': r.chain_head, 'tl:eventCount': r.event_count } : {}),
      };
      if (!r.truth_id) continue;
      const truthQ = `tl:truth-${r.truth_id}`;
      entity[truthQ] = {
        'prov:type': 'tl:TruthLabel',
        'tl:state': r.truth_state,
        'tl:value': JSON.stringify(r.truth_value),
        'tl:version': r.truth_version,
        'tl:method': r.method,
        'tl:policyVersion': r.policy_version,
        'tl:ruleVersion': r.rule_version,
        ...(r.finding ? { 'tl:finding': r.finding } : {}),
        ...(r.rationale ? { 'tl:rationale': r.rationale } : {}),
        'prov:generatedAtTime': r.decided_at,
      };
      specializationOf[rel()] = { 'prov:specificEntity': truthQ, 'prov:generalEntity': caseQ };
      if (r.supersedes) wasDerivedFrom[rel()] = { 'prov:generatedEntity': truthQ, 'prov:usedEntity': `tl:truth-${r.supersedes}`, 'prov:type': 'prov:Revision' };
      if (r.event_seq !== null) {
        const actQ = `tl:event-${r.case_uuid}-${r.event_seq}`;
        activity[actQ] = {
          'prov:type': 'tl:WorkflowEvent',
          'tl:seq': r.event_seq,
          ...(r.event_hash ? { 'tl:hash': r.event_hash } : {}),
          'prov:startTime': r.decided_at,
          'prov:endTime': r.decided_at,
        };
        wasGeneratedBy[rel()] = { 'prov:entity': truthQ, 'prov:activity': actQ, 'prov:time': r.decided_at };
        if (r.decider_id) wasAssociatedWith[rel()] = { 'prov:activity': actQ, 'prov:agent': person(r.decider_id) };
      }
      if (r.decider_id) wasAttributedTo[rel()] = { 'prov:entity': truthQ, 'prov:agent': person(r.decider_id) };
      for (const rd of r.derived_from_reads) {
        const readQ = `tl:read-${rd.id}`;
        entity[readQ] ??= {
          'prov:type': 'tl:Read',
          'tl:source': rd.source,
          'tl:values': JSON.stringify(rd.values),
          'prov:generatedAtTime': rd.created_at,
          ...(rd.amendment_reason ? { 'tl:amendmentReason': rd.amendment_reason } : {}),
        };
        wasDerivedFrom[rel()] = { 'prov:generatedEntity': truthQ, 'prov:usedEntity': readQ };
        if (rd.reader_id) wasAttributedTo[rel()] = { 'prov:entity': readQ, 'prov:agent': person(rd.reader_id) };
        if (rd.supersedes) wasDerivedFrom[rel()] = { 'prov:generatedEntity': readQ, 'prov:usedEntity': `tl:read-${rd.supersedes}`, 'prov:type': 'prov:Revision' };
      }
      for (const ev of r.derived_from_evidence) {
        const evQ = `tl:evidence-${ev.id}`;
        entity[evQ] ??= {
          'prov:type': 'tl:Evidence',
          'tl:kind': ev.kind,
          'tl:date': ev.date,
          ...(ev.result_code ? { 'tl:resultCode': ev.result_code } : {}),
          'tl:extraction': JSON.stringify(ev.extraction),
        };
        wasDerivedFrom[rel()] = { 'prov:generatedEntity': truthQ, 'prov:usedEntity': evQ };
      }
    }
    group = [];
    let s = '';
    for (const [k, v] of Object.entries(entity)) s += `${entities++ ? ',\n' : ''}${member(k, v, 2)}`;
    await emit(s);
    for (const k of SPOOLED) await spool(k, sections[k]);
  };
  return {
    async add(page) {
      await start();
      for (const r of page) {
        if (r.case_uuid !== caseId) await flushCase();
        caseId = r.case_uuid;
        group.push(r);
        records++;
      }
    },
    async *end() {
      await start();
      await flushCase();
      const exp = { 'prov:type': 'tl:TruthExport', 'tl:project': project.slug, 'tl:records': records };
      try {
        yield `${entities ? ',\n' : ''}${member('project:export', exp, 2)}\n }`;
        for (const k of ['activity', 'agent', ...SPOOLED.slice(1)]) {
          if (k === 'agent') {
            if (agent.size) yield `,\n "agent": {\n${[...agent].map(([q, v]) => member(q, v, 2)).join(',\n')}\n }`;
            continue;
          }
          const sp = spools.get(k);
          if (!sp) continue;
          const rest = sp.buf;
          await new Promise<void>((res, rej) => sp.out.end(rest, () => res()).once('error', rej));
          yield `,\n ${JSON.stringify(k)}: {\n`;
          for await (const piece of createReadStream(sp.file, { encoding: 'utf8', highWaterMark: 256 * 1024 })) yield piece as string;
          yield '\n }';
        }
        yield '\n}\n';
      } finally {
        for (const sp of spools.values()) sp.out.destroy();
        if (dir) await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

export const EXPORT_TYPES: Record<ExportFormat, { contentType: string; extension: string }> = {
  csv: { contentType: 'text/csv; charset=utf-8', extension: 'csv' },
  jsonl: { contentType: 'application/x-ndjson; charset=utf-8', extension: 'jsonl' },
  prov: { contentType: 'application/json; charset=utf-8', extension: 'prov.json' },
};

export function sinkFor(format: ExportFormat, emit: Emit, project: { slug: string; id: string }): RecordSink {
  return format === 'csv' ? csvSink(emit, CSV_COLUMNS.join(',')) : format === 'jsonl' ? jsonlSink(emit) : provSink(emit, project);
}

/**
 * The plain export (held-back truth withheld) as text pieces, page by page: the same bytes as
 * exportTruth's body. `onDone` runs once the last piece has been produced (the audit row).
 */
export async function* truthExportPieces({
  projectId,
  format,
  db,
  pageSize,
  onDone,
}: {
  projectId: string;
  format: ExportFormat;
  db?: Db;
  pageSize?: number;
  onDone?: (records: number) => Promise<void>;
}): AsyncGenerator<string> {
  const d = db ?? getDb();
  const [p] = await d.select({ slug: projects.slug, id: projects.id }).from(projects).where(eq(projects.id, projectId));
  let out: string[] = [];
  const sink = sinkFor(format, (s) => void out.push(s), p);
  let records = 0;
  for await (const page of truthPages({ projectId, db: d, pageSize })) {
    await sink.add(page);
    records += page.length;
    yield* out;
    out = [];
  }
  for await (const piece of sink.end()) {
    yield* out;
    out = [];
    yield piece;
  }
  yield* out;
  await onDone?.(records);
}

/** The plain export as a byte stream for a download (UI, HTTP API). */
export function streamTruth({ projectId, format, db, onDone }: { projectId: string; format: ExportFormat; db?: Db; onDone?: (records: number) => Promise<void> }): {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  extension: string;
} {
  const pieces = truthExportPieces({ projectId, format, db, onDone });
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await pieces.next();
      if (done) controller.close();
      else controller.enqueue(enc.encode(value));
    },
    async cancel() {
      await pieces.return(undefined);
    },
  });
  return { body, ...EXPORT_TYPES[format] };
}
