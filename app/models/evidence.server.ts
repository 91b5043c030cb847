/**
 * Evidence, discordance and withdrawal for the lead's pages, the CLI and the API.
 * Every change goes through the workflow runtime (sendCaseEvent): the evidence row, truth
 * versions, reviews and purges are the machine's effects in the event's transaction.
 *
 * Evidence file (DESIGN.md "File formats"): CSV `case_id,finding,kind,date,result_code,text`;
 * case_id is the importer's case id (cases.external_id). Every row is checked first (errors name
 * the line and the field) and a bad file records nothing; then the rows are recorded in chunks.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { caseWorkflows, cases, evidence, findings, projects, projectVersions } from '../../db/schema.ts';
import { parseCsv, CsvError } from '../../formats/csv.ts';
import { evidenceKindSchema, mappingSchema, type EvidenceKind, type Mapping } from '../../workflows/definition.ts';
import { isoDateSchema } from '../../workflows/commands.ts';
import { sendCaseEvent, type SendResult } from '../../workflows/runtime.ts';
import { leadProblem, recordEvidenceEvents, type EvidenceEvent } from './evidence-record.server.ts';
import { isUuid } from '../../domain/vocabulary.ts';

export const EVIDENCE_COLUMNS = ['case_id', 'finding', 'kind', 'date', 'result_code', 'text'] as const;
export const MAX_EVIDENCE_ROWS = 20_000;

export type EvidenceImportError = { line: number; field: string | null; message: string };
export type EvidenceRow = { line: number; caseRef: string; finding: string | null; kind: EvidenceKind; date: string; resultCode: string | null; text: string | null };

export class EvidenceImportFailed extends Error {
  constructor(readonly errors: EvidenceImportError[]) {
    super(`${errors.length} problem(s) in the evidence file; nothing was imported`);
    this.name = 'EvidenceImportFailed';
  }
}

export function formatEvidenceError(e: EvidenceImportError, file = ''): string {
  return `${file ? `${file}:` : ''}${e.line > 0 ? `${e.line}:` : ''} ${e.field ? `${e.field}: ` : ''}${e.message}`.trim();
}

/** Pure: the file's rows, or every problem found (line and field). */
export function parseEvidenceCsv(text: string): { rows: EvidenceRow[]; errors: EvidenceImportError[] } {
  let raw;
  try {
    raw = parseCsv(text);
  } catch (e) {
    if (e instanceof CsvError) return { rows: [], errors: [{ line: e.line, field: null, message: e.message }] };
    throw e;
  }
  const errors: EvidenceImportError[] = [];
  if (!raw.length) return { rows: [], errors: [{ line: 0, field: null, message: 'the file is empty (expected a header: case_id,finding,kind,date,result_code,text)' }] };
  const header = raw[0].fields.map((h) => h.trim().toLowerCase());
  const missing = EVIDENCE_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length)
    return { rows: [], errors: [{ line: raw[0].line, field: null, message: `the header lacks column(s) ${missing.join(', ')} (expected ${EVIDENCE_COLUMNS.join(',')})` }] };
  if (raw.length - 1 > MAX_EVIDENCE_ROWS) return { rows: [], errors: [{ line: 0, field: null, message: `more than ${MAX_EVIDENCE_ROWS} rows; split the file` }] };
  const col = Object.fromEntries(EVIDENCE_COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<(typeof EVIDENCE_COLUMNS)[number], number>;
  const rows: EvidenceRow[] = [];
  for (const r of raw.slice(1)) {
    if (r.fields.length !== header.length) {
      errors.push({ line: r.line, field: null, message: `${r.fields.length} fields, the header has ${header.length}` });
      continue;
    }
    const get = (c: (typeof EVIDENCE_COLUMNS)[number]) => (r.fields[col[c]] ?? '').trim();
    const before = errors.length;
    const caseRef = get('case_id');
    if (!caseRef) errors.push({ line: r.line, field: 'case_id', message: 'required' });
    const kind = evidenceKindSchema.safeParse(get('kind'));
    if (!kind.success) errors.push({ line: r.line, field: 'kind', message: `must be one of ${evidenceKindSchema.options.join(', ')}, got "${get('kind')}"` });
    const date = isoDateSchema.safeParse(get('date'));
    if (!date.success) errors.push({ line: r.line, field: 'date', message: `${date.error.issues[0].message}, got "${get('date')}"` });
    const resultCode = get('result_code') || null;
    const txt = r.fields[col.text] ?? '';
    if (!resultCode && !txt.trim()) errors.push({ line: r.line, field: 'result_code', message: 'give a result code or a text' });
    if (resultCode && resultCode.length > 200) errors.push({ line: r.line, field: 'result_code', message: 'longer than 200 characters' });
    if (txt.length > 20000) errors.push({ line: r.line, field: 'text', message: 'longer than 20000 characters' });
    if (errors.length === before) {
      rows.push({ line: r.line, caseRef, finding: get('finding') || null, kind: kind.data!, date: date.data!, resultCode, text: txt.trim() ? txt : null });
    }
  }
  if (!rows.length && !errors.length) errors.push({ line: 0, field: null, message: 'no evidence rows after the header' });
  return { rows, errors };
}

function rowRequestId(projectId: string, r: EvidenceRow): string {
  const h = createHash('sha256')
    .update(JSON.stringify([projectId, r.caseRef, r.finding, r.kind, r.date, r.resultCode, r.text]))
    .digest('hex');
  return `evidence-import:${h}`;
}

export type EvidenceImportResult = { recorded: number; duplicates: number; refused: number; cases: number };

export type EvidenceCheck = {
  rows: EvidenceRow[];
  errors: EvidenceImportError[];
  byRef: Map<string, { id: string }>;
  cases: number;
};

/**
 * Checks every row of an evidence file against the project: the case exists and runs a
 * workflow, the finding is one of the case's, the result is not dated before the study, and a
 * result code is one the case's mapping knows for that kind of evidence (the message lists them).
 */
export async function checkEvidence({ projectId, text, db }: { projectId: string; text: string; db?: Db }): Promise<EvidenceCheck> {
  const d = db ?? getDb();
  const parsed = parseEvidenceCsv(text);
  const errors = [...parsed.errors];
  const refs = [...new Set(parsed.rows.map((r) => r.caseRef))];
  const found: { id: string; externalId: string | null; state: string | null; studyDate: string; projectVersion: number }[] = [];
  for (let i = 0; i < refs.length; i += 1000) {
    found.push(
      ...(await d
        .select({ id: cases.id, externalId: cases.externalId, state: caseWorkflows.state, studyDate: cases.studyDate, projectVersion: cases.projectVersion })
        .from(cases)
        .leftJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id))
        .where(and(eq(cases.projectId, projectId), inArray(cases.externalId, refs.slice(i, i + 1000))))),
    );
  }
  const byRef = new Map(found.map((c) => [c.externalId!, c]));
  const caseIds = found.map((c) => c.id);
  const findingKeys = new Map<string, string[]>();
  for (let i = 0; i < caseIds.length; i += 1000)
    for (const f of await d
      .select({ caseId: findings.caseId, key: findings.key })
      .from(findings)
      .where(inArray(findings.caseId, caseIds.slice(i, i + 1000)))) {
      const keys = findingKeys.get(f.caseId) ?? [];
      keys.push(f.key);
      findingKeys.set(f.caseId, keys);
    }
  const versions = [...new Set(found.map((c) => c.projectVersion))];
  const mappings = new Map<number, Mapping>();
  if (versions.length) {
    const pvs = await d
      .select({ version: projectVersions.version, mapping: projectVersions.mapping })
      .from(projectVersions)
      .where(and(eq(projectVersions.projectId, projectId), inArray(projectVersions.version, versions)));
    for (const pv of pvs) {
      const m = mappingSchema.safeParse(pv.mapping);
      if (m.success) mappings.set(pv.version, m.data);
    }
  }
  for (const r of parsed.rows) {
    const c = byRef.get(r.caseRef);
    if (!c) {
      errors.push({ line: r.line, field: 'case_id', message: `no case "${r.caseRef}" in this project` });
      continue;
    }
    if (!c.state) errors.push({ line: r.line, field: 'case_id', message: `case "${r.caseRef}" has no workflow` });
    const keys = findingKeys.get(c.id) ?? [];
    if (r.finding && !keys.includes(r.finding)) {
      errors.push({ line: r.line, field: 'finding', message: `"${r.finding}" is not a finding of this case (${keys.join(', ') || 'it has none: leave finding empty'})` });
    }
    if (r.date < c.studyDate)
      errors.push({ line: r.line, field: 'date', message: `${r.date} is before the case's study date (${c.studyDate}): a result cannot precede its study` });
    const m = mappings.get(c.projectVersion);
    if (r.resultCode && m && m.rules.length) {
      const known = [...new Set(m.rules.filter((x) => x.kind === r.kind).flatMap((x) => x.resultCodes))];
      if (!known.includes(r.resultCode)) {
        errors.push({
          line: r.line,
          field: 'result_code',
          message: `"${r.resultCode}" is not a ${r.kind} result code in this project's mapping (${known.length ? `known: ${known.join(', ')}` : `it maps no ${r.kind} codes`}); put free text in the text column`,
        });
      }
    }
  }
  return { rows: parsed.rows, errors: errors.sort((a, b) => a.line - b.line), byRef, cases: new Set(parsed.rows.map((r) => r.caseRef)).size };
}

/** The checked rows as the events to record, in file order. */
export function evidenceEvents(projectId: string, check: EvidenceCheck): EvidenceEvent[] {
  return check.rows.map((r) => ({
    line: r.line,
    label: `line ${r.line}`,
    caseId: check.byRef.get(r.caseRef)!.id,
    requestId: rowRequestId(projectId, r),
    event: {
      type: 'evidence.record',
      finding: r.finding,
      kind: r.kind,
      date: r.date,
      ...(r.resultCode ? { resultCode: r.resultCode } : {}),
      ...(r.text ? { text: r.text } : {}),
      extraction: { method: 'import' },
    },
  }));
}

/**
 * Imports an evidence CSV into a project. Every row is checked first and any problem records
 * nothing; then the rows are recorded in short chunks (evidence-record.server.ts). Re-importing
 * the same rows is a no-op (each row's client request id is a digest of its content).
 */
export async function importEvidence({
  projectId,
  text,
  actorId,
  ip,
  db,
  at,
}: {
  projectId: string;
  text: string;
  actorId: string;
  ip?: string | null;
  db?: Db;
  at?: Date | string;
}): Promise<EvidenceImportResult> {
  const d = db ?? getDb();
  const check = await checkEvidence({ projectId, text, db: d });
  if (check.errors.length) throw new EvidenceImportFailed(check.errors);
  const notLead = await leadProblem({ projectId, actorId, db: d });
  if (notLead) throw new EvidenceImportFailed([{ line: 0, field: null, message: notLead }]);
  const s = await recordEvidenceEvents({ events: evidenceEvents(projectId, check), actorId, ip, at, db: d });
  return { recorded: s.recorded, duplicates: s.duplicates, refused: s.refused, cases: check.cases };
}

/** One result entered by hand (the lead's form). */
export async function recordEvidence(args: {
  caseId: string;
  actorId: string;
  finding: string | null;
  kind: EvidenceKind;
  date: string;
  resultCode?: string | null;
  text?: string | null;
  clientRequestId?: string;
  ip?: string | null;
  db?: Db;
}): Promise<SendResult> {
  return sendCaseEvent({
    db: args.db,
    caseId: args.caseId,
    actorId: args.actorId,
    ip: args.ip ?? null,
    clientRequestId: args.clientRequestId ?? `ui:${randomUUID()}`,
    event: {
      type: 'evidence.record',
      finding: args.finding,
      kind: args.kind,
      date: args.date,
      ...(args.resultCode ? { resultCode: args.resultCode } : {}),
      ...(args.text ? { text: args.text } : {}),
      extraction: { method: 'manual' },
    },
  });
}

/** Withdraws a case (consent withdrawn): workflow command `case.withdraw`. */
export async function withdrawCase(args: { caseId: string; actorId: string; reason: string; clientRequestId?: string; ip?: string | null; db?: Db }): Promise<SendResult> {
  return sendCaseEvent({
    db: args.db,
    caseId: args.caseId,
    actorId: args.actorId,
    ip: args.ip ?? null,
    clientRequestId: args.clientRequestId ?? `ui:${randomUUID()}`,
    event: { type: 'case.withdraw', reason: args.reason },
  });
}

/** What the evidence page shows for one case of a project (null when it is not in the project). */
export async function evidencePageData({ projectId, caseId, db }: { projectId: string; caseId: string; db?: Db }) {
  if (!isUuid(caseId)) return null;
  const d = db ?? getDb();
  const [c] = await d
    .select({
      id: cases.id,
      externalId: cases.externalId,
      studyDate: cases.studyDate,
      withdrawnAt: cases.withdrawnAt,
      projectVersion: cases.projectVersion,
      state: caseWorkflows.state,
    })
    .from(cases)
    .leftJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id))
    .where(and(eq(cases.id, caseId), eq(cases.projectId, projectId)));
  if (!c) return null;
  const fs = await d.select({ id: findings.id, key: findings.key, label: findings.label }).from(findings).where(eq(findings.caseId, caseId));
  const ev = await d
    .select({
      id: evidence.id,
      kind: evidence.kind,
      date: evidence.evidenceDate,
      resultCode: evidence.resultCode,
      text: evidence.text,
      findingId: evidence.findingId,
      createdAt: evidence.createdAt,
    })
    .from(evidence)
    .where(eq(evidence.caseId, caseId))
    .orderBy(evidence.createdAt);
  return {
    case: { id: c.id, externalId: c.externalId, studyDate: c.studyDate, withdrawnAt: c.withdrawnAt?.toISOString() ?? null, projectVersion: c.projectVersion, state: c.state },
    findings: fs.sort((a, b) => a.key.localeCompare(b.key)),
    evidence: ev.map((e) => ({ ...e, finding: fs.find((f) => f.id === e.findingId)?.key ?? null, createdAt: e.createdAt.toISOString() })),
  };
}

/** The project a slug names (CLI). */
export async function projectBySlug(slug: string, db?: Db) {
  const [p] = await (db ?? getDb()).select().from(projects).where(eq(projects.slug, slug));
  return p ?? null;
}
