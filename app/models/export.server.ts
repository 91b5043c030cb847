/**
 * Export of truth with provenance. One record per truth subject — the case, or each finding of a
 * finding-level project — with its CURRENT truth version (state, value, method, version, policy
 * and rule versions), the reads and evidence it derives from, the decider and rationale, and the
 * case's hash-chain head. Cases without truth yet appear once with state `pending`. Withdrawn
 * cases are never included.
 *
 * Formats (columns documented in docs/decisions/lead-export.md):
 *   csv   — one row per record; JSON-valued cells (truth_value) as JSON text, lists `;`-separated.
 *   jsonl — one JSON object per line, with the derived reads and evidence inlined.
 *   prov  — one W3C PROV-JSON document: truth labels, reads, evidence and cases are entities,
 *           the workflow events that wrote truth are activities, people are agents (by opaque id).
 *
 * For the UI, the CLI and the HTTP API:
 *   exportTruth({ projectId, format })  → { body, contentType, extension, records }
 *   truthRecords({ projectId })          → TruthRecord[]
 */
import { neutraliseCell } from '../lib/csv-safety.ts';
import { and, asc, eq, gt, inArray, isNotNull, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { caseWorkflows, cases, evidence, findings, patients, projects, reads, sequesteredCases, workflowEvents } from '../../db/schema.ts';
import { currentTruth } from './truth.server.ts';

export const EXPORT_FORMATS = ['csv', 'jsonl', 'prov'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export type ExportRead = { id: string; source: string; reader_id: string | null; values: unknown; created_at: string; supersedes: string | null; amendment_reason: string | null };
export type ExportEvidence = { id: string; kind: string; date: string; result_code: string | null; finding: string | null; extraction: unknown };
export type TruthRecord = {
  case_id: string;
  case_uuid: string;
  patient_id: string;
  split: string;
  study_date: string;
  project_version: number;
  finding: string | null;
  truth_state: string;
  truth_value: unknown;
  truth_version: number | null;
  truth_id: string | null;
  method: string | null;
  policy_version: number | null;
  rule_version: string | null;
  decider_id: string | null;
  decided_at: string | null;
  rationale: string | null;
  supersedes: string | null;
  derived_from_reads: ExportRead[];
  derived_from_evidence: ExportEvidence[];
  workflow_state: string | null;
  event_seq: number | null;
  event_hash: string | null;
  chain_head: string | null;
  event_count: number | null;
};

export const CSV_COLUMNS = [
  'case_id',
  'case_uuid',
  'patient_id',
  'split',
  'study_date',
  'project_version',
  'finding',
  'truth_state',
  'truth_value',
  'truth_version',
  'method',
  'policy_version',
  'rule_version',
  'decider_id',
  'decided_at',
  'rationale',
  'derived_from_reads',
  'reader_ids',
  'derived_from_evidence',
  'workflow_state',
  'event_seq',
  'event_hash',
  'chain_head',
  'event_count',
] as const;

async function chunked<T>(ids: string[], f: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += 1000) out.push(...(await f(ids.slice(i, i + 1000))));
  return out;
}

/** Every truth subject of the project's non-withdrawn cases with its current truth and provenance. */
export async function truthRecords({
  projectId,
  db,
  page,
  ordered,
  onCases,
}: {
  projectId: string;
  db?: Db;
  /** One page of cases in id order (streamed exports): those after `afterId`, at most `limit`. */
  page?: { afterId: string | null; limit: number };
  /**
   * One page of cases in the whole export's order (external id, then id; cases without an
   * external id last), those after `after`, at most `limit`: a streamed file is the same bytes.
   */
  ordered?: { after: { externalId: string | null; id: string } | null; limit: number };
  /** The page's case rows, for callers that need more of each case (export-job.server.ts). */
  onCases?: (rows: (typeof cases.$inferSelect)[]) => void;
}): Promise<TruthRecord[]> {
  const d = db ?? getDb();
  const q = () =>
    d
      .select({ c: cases, patient: patients.pseudonym, split: patients.split, state: caseWorkflows.state, head: caseWorkflows.headHash, count: caseWorkflows.eventCount })
      .from(cases)
      .innerJoin(patients, eq(patients.id, cases.patientId))
      .leftJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id));
  // External ids are unique per project, so the order walks (project_id, external_id); the cases without one come last, by id.
  const base = and(eq(cases.projectId, projectId), isNull(cases.withdrawnAt));
  const withoutExternal = (afterId: string | null, limit: number) =>
    q()
      .where(and(base, isNull(cases.externalId), afterId ? gt(cases.id, afterId) : undefined))
      .orderBy(asc(cases.id))
      .limit(limit);
  const inOrder = async (o: NonNullable<typeof ordered>) => {
    if (o.after && o.after.externalId === null) return withoutExternal(o.after.id, o.limit);
    const named = await q()
      .where(and(base, o.after ? gt(cases.externalId, o.after.externalId!) : isNotNull(cases.externalId)))
      .orderBy(asc(cases.externalId))
      .limit(o.limit);
    return named.length < o.limit ? [...named, ...(await withoutExternal(null, o.limit - named.length))] : named;
  };
  const caseRows = ordered
    ? await inOrder(ordered)
    : page
      ? await q()
          .where(and(eq(cases.projectId, projectId), isNull(cases.withdrawnAt), page.afterId ? gt(cases.id, page.afterId) : undefined))
          .orderBy(asc(cases.id))
          .limit(page.limit)
      : await q()
          .where(and(eq(cases.projectId, projectId), isNull(cases.withdrawnAt)))
          .orderBy(asc(cases.externalId), asc(cases.id));
  onCases?.(caseRows.map((r) => r.c));
  const caseIds = caseRows.map((r) => r.c.id);
  const truth = await chunked(caseIds, async (chunk) => (await currentTruth({ caseIds: chunk, db: d })).map(({ findingKey, ...t }) => ({ t, finding: findingKey })));
  const readIds = [...new Set(truth.flatMap((x) => x.t.derivedFromReads))];
  const evidenceIds = [...new Set(truth.flatMap((x) => x.t.derivedFromEvidence))];
  const readRows = await chunked(readIds, (chunk) => d.select().from(reads).where(inArray(reads.id, chunk)));
  const evRows = await chunked(evidenceIds, (chunk) =>
    d.select({ e: evidence, finding: findings.key }).from(evidence).leftJoin(findings, eq(findings.id, evidence.findingId)).where(inArray(evidence.id, chunk)),
  );
  const truthCases = [...new Set(truth.filter((x) => x.t.eventSeq !== null).map((x) => x.t.caseId))];
  const events = await chunked(truthCases, (chunk) =>
    d.select({ caseId: workflowEvents.caseId, seq: workflowEvents.seq, hash: workflowEvents.hash }).from(workflowEvents).where(inArray(workflowEvents.caseId, chunk)),
  );
  const eventHash = new Map(events.map((e) => [`${e.caseId}#${e.seq}`, e.hash]));
  const readById = new Map<string, ExportRead>(
    readRows.map((r) => [
      r.id,
      {
        id: r.id,
        source: r.source,
        reader_id: r.authorId,
        values: r.values,
        created_at: r.createdAt.toISOString(),
        supersedes: r.supersedesId,
        amendment_reason: r.amendmentReason,
      },
    ]),
  );
  const evById = new Map<string, ExportEvidence>(
    evRows.map(({ e, finding }) => [e.id, { id: e.id, kind: e.kind, date: e.evidenceDate, result_code: e.resultCode, finding, extraction: e.extraction }]),
  );
  const byCase = new Map<string, typeof truth>();
  for (const x of truth) byCase.set(x.t.caseId, [...(byCase.get(x.t.caseId) ?? []), x]);
  const out: TruthRecord[] = [];
  for (const r of caseRows) {
    const base = {
      case_id: r.c.externalId ?? r.c.id,
      case_uuid: r.c.id,
      patient_id: r.patient,
      split: r.split,
      study_date: r.c.studyDate,
      project_version: r.c.projectVersion,
      workflow_state: r.state,
      chain_head: r.head,
      event_count: r.count,
    };
    const labels = (byCase.get(r.c.id) ?? []).sort((a, b) => (a.finding ?? '').localeCompare(b.finding ?? ''));
    if (labels.length === 0) {
      out.push({
        ...base,
        finding: null,
        truth_state: 'pending',
        truth_value: null,
        truth_version: null,
        truth_id: null,
        method: null,
        policy_version: null,
        rule_version: null,
        decider_id: null,
        decided_at: null,
        rationale: null,
        supersedes: null,
        derived_from_reads: [],
        derived_from_evidence: [],
        event_seq: null,
        event_hash: null,
      });
      continue;
    }
    for (const { t, finding } of labels) {
      out.push({
        ...base,
        finding,
        truth_state: t.state,
        truth_value: t.value,
        truth_version: t.version,
        truth_id: t.id,
        method: t.method,
        policy_version: t.policyVersion,
        rule_version: t.ruleVersion,
        decider_id: t.deciderId,
        decided_at: t.createdAt.toISOString(),
        rationale: t.rationale,
        supersedes: t.supersedesId,
        derived_from_reads: t.derivedFromReads.map(
          (id) => readById.get(id) ?? { id, source: 'unknown', reader_id: null, values: null, created_at: '', supersedes: null, amendment_reason: null },
        ),
        derived_from_evidence: t.derivedFromEvidence.map((id) => evById.get(id) ?? { id, kind: 'unknown', date: '', result_code: null, finding: null, extraction: null }),
        event_seq: t.eventSeq,
        event_hash: t.eventSeq !== null ? (eventHash.get(`${t.caseId}#${t.eventSeq}`) ?? null) : null,
      });
    }
  }
  return out;
}

/** RFC 4180: quote fields holding a comma, quote or line break; CRLF line ends. */
export function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  const safe = neutraliseCell(s);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(records: TruthRecord[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of records) {
    const row: Record<(typeof CSV_COLUMNS)[number], unknown> = {
      ...r,
      truth_value: r.truth_value === null ? '' : JSON.stringify(r.truth_value),
      derived_from_reads: r.derived_from_reads.map((x) => x.id).join(';'),
      reader_ids: r.derived_from_reads.map((x) => x.reader_id ?? '').join(';'),
      derived_from_evidence: r.derived_from_evidence.map((x) => x.id).join(';'),
    };
    lines.push(CSV_COLUMNS.map((c) => csvCell(row[c])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

export function toJsonl(records: TruthRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
}

/** W3C PROV-JSON (https://www.w3.org/submissions/prov-json/). */
export function toProv(records: TruthRecord[], project: { slug: string; id: string }): Record<string, unknown> {
  const entity: Record<string, Record<string, unknown>> = {};
  const activity: Record<string, Record<string, unknown>> = {};
  const agent: Record<string, Record<string, unknown>> = {};
  const wasGeneratedBy: Record<string, Record<string, unknown>> = {};
  const wasDerivedFrom: Record<string, Record<string, unknown>> = {};
  const wasAttributedTo: Record<string, Record<string, unknown>> = {};
  const wasAssociatedWith: Record<string, Record<string, unknown>> = {};
  const specializationOf: Record<string, Record<string, unknown>> = {};
  let n = 0;
  const rel = () => `_:r${++n}`;
  const person = (id: string) => {
    const q = `tl:user-${id}`;
    agent[q] ??= { 'prov:type': { $: 'prov:Person', type: 'prov:QUALIFIED_NAME' } };
    return q;
  };
  for (const r of records) {
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
  const doc: Record<string, unknown> = {
    prefix: { tl: 'urn:truthline:', project: `urn:truthline:project:${project.id}:` },
    entity: { ...entity, [`project:export`]: { 'prov:type': 'tl:TruthExport', 'tl:project': project.slug, 'tl:records': records.length } },
  };
  for (const [k, v] of Object.entries({ activity, agent, wasGeneratedBy, wasDerivedFrom, wasAttributedTo, wasAssociatedWith, specializationOf }))
    if (Object.keys(v).length) doc[k] = v;
  return doc;
}

/** Case ids whose truth a sequestered release holds back (releases.server.ts). */
export async function sequesteredCaseIds({ projectId, db }: { projectId: string; db?: Db }): Promise<Set<string>> {
  const rows = await (db ?? getDb()).selectDistinct({ id: sequesteredCases.caseId }).from(sequesteredCases).where(eq(sequesteredCases.projectId, projectId));
  return new Set(rows.map((r) => r.id));
}

/**
 * A sequestered release's held-back cases keep their rows (ids, split, chain) but lose their
 * truth and what it derives from: it leaves Truthline only through the release's logged downloads.
 */
export function withholdSequestered(records: TruthRecord[], held: Set<string>): TruthRecord[] {
  if (!held.size) return records;
  return records.map((r) =>
    held.has(r.case_uuid)
      ? {
          ...r,
          truth_state: 'sequestered',
          truth_value: null,
          truth_version: null,
          truth_id: null,
          method: null,
          policy_version: null,
          rule_version: null,
          decider_id: null,
          decided_at: null,
          rationale: null,
          supersedes: null,
          derived_from_reads: [],
          derived_from_evidence: [],
          event_seq: null,
          event_hash: null,
        }
      : r,
  );
}

/** The export file for a format: held-back (sequestered) truth withheld. */
export async function exportTruth({
  projectId,
  format,
  db,
}: {
  projectId: string;
  format: ExportFormat;
  db?: Db;
}): Promise<{ body: string; contentType: string; extension: string; records: number }> {
  const d = db ?? getDb();
  const records = withholdSequestered(await truthRecords({ projectId, db: d }), await sequesteredCaseIds({ projectId, db: d }));
  if (format === 'csv') return { body: toCsv(records), contentType: 'text/csv; charset=utf-8', extension: 'csv', records: records.length };
  if (format === 'jsonl') return { body: toJsonl(records), contentType: 'application/x-ndjson; charset=utf-8', extension: 'jsonl', records: records.length };
  const [p] = await d.select({ slug: projects.slug, id: projects.id }).from(projects).where(eq(projects.id, projectId));
  return { body: `${JSON.stringify(toProv(records, p), null, 1)}\n`, contentType: 'application/json; charset=utf-8', extension: 'prov.json', records: records.length };
}
