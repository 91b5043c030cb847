/** The API's JSON views of model rows (snake_case, ISO dates); no queries here. */
import type { z } from 'zod';
import type { casesAfter } from '../models/cases-keyset.server.ts';
import type { VisibleRead } from '../models/cases-reads.server.ts';
import type { CurrentTruth } from '../models/truth.server.ts';
import type { caseSchema, readSchema, truthLabelSchema } from './schemas.ts';

type CaseJson = z.infer<typeof caseSchema>;
type ReadJson = z.infer<typeof readSchema>;
type TruthJson = z.infer<typeof truthLabelSchema>;
type CaseRow = Awaited<ReturnType<typeof casesAfter>>['rows'][number];

/** A withdrawn case keeps its row for the audit trail; nothing that identifies the patient or the study is served from it. */
export function caseJson(r: CaseRow): CaseJson {
  const gone = r.c.withdrawnAt !== null;
  return {
    id: r.c.id,
    case_id: r.c.externalId,
    patient_id: gone ? null : r.patient,
    study_date: gone ? null : r.c.studyDate,
    modality: r.c.modality,
    body_part: r.c.bodyPart,
    split: r.split,
    images: gone ? [] : r.c.images,
    metadata: gone ? {} : (r.c.metadata as Record<string, unknown>),
    project_version: r.c.projectVersion,
    state: r.state ?? null,
    withdrawn: gone,
    created_at: r.c.createdAt.toISOString(),
  };
}

export function readToJson(r: VisibleRead): ReadJson {
  return {
    id: r.id,
    reader: r.reader,
    mine: r.mine,
    source: r.source,
    finding: r.finding,
    values: r.values as ReadJson['values'],
    cannot_assess_reason: r.cannotAssessReason,
    confidence: r.confidence,
    comment: r.comment,
    supersedes_id: r.supersedesId,
    amendment_reason: r.amendmentReason,
    created_at: r.createdAt.toISOString(),
  };
}

export function truthJson(l: CurrentTruth): TruthJson {
  return {
    id: l.id,
    finding: l.findingKey,
    version: l.version,
    state: l.state,
    value: l.value ?? null,
    method: l.method,
    derived_from_reads: l.derivedFromReads,
    derived_from_evidence: l.derivedFromEvidence,
    policy_version: l.policyVersion,
    rule_version: l.ruleVersion,
    decider_id: l.deciderId,
    rationale: l.rationale,
    supersedes_id: l.supersedesId,
    event_seq: l.eventSeq,
    created_at: l.createdAt.toISOString(),
  };
}

/** Truth labels grouped per case (every case asked for gets a list), by finding then version. */
export function truthByCase(caseIds: readonly string[], labels: CurrentTruth[]): Map<string, TruthJson[]> {
  const out = new Map<string, TruthJson[]>(caseIds.map((id) => [id, []]));
  for (const l of labels) out.get(l.caseId)?.push(truthJson(l));
  for (const list of out.values()) list.sort((a, b) => (a.finding ?? '').localeCompare(b.finding ?? '') || a.version - b.version);
  return out;
}
