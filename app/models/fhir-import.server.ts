/**
 * Evidence from FHIR R4 (DiagnosticReport, pathology Observation) for the lead's import page,
 * the CLI and tests. Pure parsing lives in reports/fhir; here each resource is matched to a case
 * of the project (accession = the case's external id, else StudyInstanceUID, else patient
 * pseudonym + study date), its coded results are mapped through the project's reference-standard
 * mapping, its text goes through the extraction rules when given, and each result lands as an
 * `evidence.record` event through the workflow runtime with its provenance (resource id and
 * version, rule and trigger-list version). A file with any problem records nothing; a valid one is
 * recorded in short chunks, like the evidence CSV import.
 */
import { createHash } from 'node:crypto';
import { and, desc, eq, inArray, or } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { caseWorkflows, cases, patients, projectVersions } from '../../db/schema.ts';
import { definitionOf } from './projects.server.ts';
import { leadProblem, recordEvidenceEvents, type EvidenceEvent } from './evidence-record.server.ts';
import type { Mapping } from '../../workflows/definition.ts';
import { parseFhir, formatFhirError, type FhirCode, type FhirError, type FhirEvidence } from '../../reports/fhir/parse.ts';
import { extractLabel, extractReport, extractionRecord, type CompiledRules } from '../../reports/index.ts';

export const MAX_FHIR_RESOURCES = 20_000;
const MAX_TEXT = 20_000;

export { formatFhirError, type FhirError };

export class FhirImportFailed extends Error {
  constructor(readonly errors: FhirError[]) {
    super(`${errors.length} problem(s) in the FHIR file; nothing was imported`);
    this.name = 'FhirImportFailed';
  }
}

/** One evidence event to record (the preview shows these). */
export interface FhirEvidenceRow {
  resource: string;
  versionId: string | null;
  caseId: string;
  /** The case as the lead knows it (external id), for the preview. */
  caseRef: string;
  /** How the case was found. */
  matchedBy: 'accession' | 'study_uid' | 'patient_date';
  kind: 'report' | 'pathology';
  date: string;
  resultCode: string | null;
  /** Where the result code came from: a code of the resource (mapped or not) or the text rules. */
  source: 'code' | 'mapped_code' | 'rules' | 'text';
  /** For rule-derived rows: the finding status and the trigger that decided it. */
  status: string | null;
  trigger: string | null;
  text: string | null;
  extraction: Record<string, unknown>;
}

export interface FhirPreview {
  rows: FhirEvidenceRow[];
  errors: FhirError[];
  resources: number;
  skipped: Record<string, number>;
}

const norm = (s: string) => s.trim().toLowerCase();

/** The mapping's own spelling of a code ("82711006" or "http://snomed.info/sct|82711006"), if it lists it. */
export function mappedCode(mapping: Mapping, kind: FhirEvidence['kind'], codes: readonly FhirCode[]): string | null {
  for (const c of codes) {
    for (const r of mapping.rules) {
      if (r.kind !== kind) continue;
      const hit = r.resultCodes.find((rc) => norm(rc) === norm(c.code) || (c.system && norm(rc) === norm(`${c.system}|${c.code}`)));
      if (hit) return hit;
    }
  }
  return null;
}

/** Resources → evidence rows for a project, without recording anything. */
export async function previewFhirImport({ projectId, text, rules, db }: { projectId: string; text: string; rules?: CompiledRules | null; db?: Db }): Promise<FhirPreview> {
  const d = db ?? getDb();
  const parsed = parseFhir(text);
  const errors = [...parsed.errors];
  const total = parsed.items.length + parsed.errors.length;
  if (total > MAX_FHIR_RESOURCES)
    return {
      rows: [],
      errors: [{ line: 0, resource: null, path: '', message: `more than ${MAX_FHIR_RESOURCES} resources; split the file` }],
      resources: total,
      skipped: parsed.skipped,
    };
  const [version] = await d.select().from(projectVersions).where(eq(projectVersions.projectId, projectId)).orderBy(desc(projectVersions.version)).limit(1);
  const mapping = version ? definitionOf(version).mapping : { rules: [], precedence: [] };

  const accessions = [...new Set(parsed.items.flatMap((i) => i.accessions))];
  const uids = [...new Set(parsed.items.flatMap((i) => i.studyUids))];
  const pseudonyms = [...new Set(parsed.items.map((i) => i.patient).filter((p): p is string => !!p))];
  const conds = [];
  if (accessions.length) conds.push(inArray(cases.externalId, accessions));
  if (uids.length) conds.push(inArray(cases.studyInstanceUid, uids));
  if (pseudonyms.length) conds.push(inArray(patients.pseudonym, pseudonyms));
  const found = conds.length
    ? await d
        .select({
          id: cases.id,
          externalId: cases.externalId,
          uid: cases.studyInstanceUid,
          studyDate: cases.studyDate,
          pseudonym: patients.pseudonym,
          withdrawnAt: cases.withdrawnAt,
          state: caseWorkflows.state,
        })
        .from(cases)
        .innerJoin(patients, eq(patients.id, cases.patientId))
        .leftJoin(caseWorkflows, eq(caseWorkflows.caseId, cases.id))
        .where(and(eq(cases.projectId, projectId), or(...conds)))
    : [];

  const rows: FhirEvidenceRow[] = [];
  for (const item of parsed.items) {
    const err = (path: string, message: string) => errors.push({ line: item.line, resource: item.resource, path: item.path ? `${item.path}.${path}` : path, message });
    let matchedBy: FhirEvidenceRow['matchedBy'] = 'accession';
    let hits = found.filter((c) => c.externalId && item.accessions.includes(c.externalId));
    if (!hits.length) {
      matchedBy = 'study_uid';
      hits = found.filter((c) => c.uid && item.studyUids.includes(c.uid));
    }
    if (!hits.length) {
      matchedBy = 'patient_date';
      hits = found.filter((c) => item.patient && c.pseudonym === item.patient && c.studyDate === item.date);
    }
    if (hits.length !== 1) {
      const tried = [
        item.accessions.length ? `accession ${item.accessions.join(', ')}` : '',
        item.studyUids.length ? `StudyInstanceUID ${item.studyUids.join(', ')}` : '',
        item.patient ? `patient ${item.patient} on ${item.date}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      err(
        hits.length ? 'subject' : item.accessions.length ? 'identifier' : item.studyUids.length ? 'imagingStudy' : 'subject',
        hits.length
          ? `matches ${hits.length} cases (${tried}); give an accession number`
          : `no case of this project matches (${tried || 'no accession, StudyInstanceUID or patient'})`,
      );
      continue;
    }
    const c = hits[0];
    if (c.withdrawnAt) {
      err('subject', `case ${c.externalId ?? c.id} is withdrawn`);
      continue;
    }
    if (!c.state) {
      err('subject', `case ${c.externalId ?? c.id} has no workflow`);
      continue;
    }
    if (item.text.length > MAX_TEXT) {
      err(item.resource.startsWith('Observation') ? 'valueString' : 'presentedForm', `text longer than ${MAX_TEXT} characters`);
      continue;
    }
    const base = { resource: item.resource, versionId: item.versionId, caseId: c.id, caseRef: c.externalId ?? c.id, matchedBy, kind: item.kind, date: item.date };
    const provenance = { method: 'fhir', resource: item.resource, ...(item.versionId ? { versionId: item.versionId } : {}) };
    const text = item.text || null;
    let any = false;
    if (item.codes.length) {
      // Each coded concept the mapping knows is its own case-wide result (a report concluding
      // "carcinoma" and "calcifications" says both); codings of one concept count once. When the
      // mapping knows none, the first code is kept as it is (recorded, no effect on truth).
      const seenCodes = new Set<string>();
      for (const concept of item.concepts) {
        const m = mappedCode(mapping, item.kind, concept.codes);
        if (!m || seenCodes.has(norm(m))) continue;
        seenCodes.add(norm(m));
        const coding = concept.codes.find((x) => norm(x.code) === norm(m) || norm(`${x.system}|${x.code}`) === norm(m)) ?? concept.codes[0];
        rows.push({
          ...base,
          resultCode: m,
          source: 'mapped_code',
          status: null,
          trigger: null,
          text,
          extraction: { ...provenance, code: coding, path: concept.path, scope: 'case' },
        });
      }
      if (!seenCodes.size) {
        const first = item.concepts[0];
        rows.push({
          ...base,
          resultCode: first.codes[0].code,
          source: 'code',
          status: null,
          trigger: null,
          text,
          extraction: { ...provenance, code: first.codes[0], path: first.path, scope: 'case' },
        });
      }
      any = true;
    }
    if (rules && item.text) {
      const record = { ...provenance, ...extractionRecord(rules), method: 'fhir+rule' };
      if (rules.labels) {
        const x = extractLabel(rules, item.text);
        rows.push({ ...base, resultCode: x.label || null, source: 'rules', status: null, trigger: x.matched || null, text, extraction: { ...record, matched: x.matched } });
      } else {
        for (const x of extractReport(rules, item.resource, item.text)) {
          if (x.status === 'not_mentioned') continue;
          rows.push({
            ...base,
            resultCode: `${x.finding}:${x.status}`,
            source: 'rules',
            status: x.status,
            trigger: x.trigger || null,
            text,
            extraction: { ...record, finding: x.finding, status: x.status, matched: x.matched, trigger: x.trigger },
          });
        }
      }
      any = true;
    }
    if (!any) rows.push({ ...base, resultCode: null, source: 'text', status: null, trigger: null, text, extraction: provenance });
  }
  errors.sort((a, b) => a.line - b.line);
  return { rows, errors, resources: parsed.items.length, skipped: parsed.skipped };
}

function requestId(projectId: string, r: FhirEvidenceRow): string {
  const h = createHash('sha256')
    .update(JSON.stringify([projectId, r.resource, r.versionId, r.resultCode, r.source]))
    .digest('hex');
  return `fhir-import:${h}`;
}

export type FhirImportResult = { recorded: number; duplicates: number; refused: number; cases: number; resources: number };

/** The preview's rows as the events to record, in file order. */
export function fhirEvidenceEvents(projectId: string, rows: readonly FhirEvidenceRow[]): EvidenceEvent[] {
  return rows.map((r) => ({
    line: 0,
    label: r.resource,
    caseId: r.caseId,
    requestId: requestId(projectId, r),
    event: {
      type: 'evidence.record',
      finding: null,
      kind: r.kind,
      date: r.date,
      ...(r.resultCode ? { resultCode: r.resultCode } : {}),
      ...(r.text ? { text: r.text } : {}),
      extraction: r.extraction,
    },
  }));
}

/**
 * Records every row of the preview when the whole file is valid (else nothing), in short chunks
 * (evidence-record.server.ts); importing the same resource version again is a no-op.
 */
export async function importFhirEvidence({
  projectId,
  text,
  rules,
  actorId,
  ip,
  db,
  at,
}: {
  projectId: string;
  text: string;
  rules?: CompiledRules | null;
  actorId: string;
  ip?: string | null;
  db?: Db;
  at?: Date | string;
}): Promise<FhirImportResult> {
  const d = db ?? getDb();
  const preview = await previewFhirImport({ projectId, text, rules, db: d });
  if (preview.errors.length) throw new FhirImportFailed(preview.errors);
  if (!preview.rows.length) throw new FhirImportFailed([{ line: 0, resource: null, path: '', message: 'no DiagnosticReport or Observation resources in the file' }]);
  const notLead = await leadProblem({ projectId, actorId, db: d });
  if (notLead) throw new FhirImportFailed([{ line: 0, resource: null, path: '', message: notLead }]);
  const s = await recordEvidenceEvents({ events: fhirEvidenceEvents(projectId, preview.rows), actorId, ip, at, db: d });
  return { recorded: s.recorded, duplicates: s.duplicates, refused: s.refused, cases: new Set(preview.rows.map((r) => r.caseId)).size, resources: preview.resources };
}
