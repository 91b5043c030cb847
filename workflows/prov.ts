/**
 * W3C PROV-JSON (https://www.w3.org/submissions/prov-json/) for one case's truth, pure: given
 * the rows of a case (workflow events, reads, evidence, truth versions, reviews), returns a
 * document whose
 * - entities are the reads, the evidence, the truth versions (and the case);
 * - activities are the workflow events (typed reading / adjudication / review / evidence entry /
 *   extraction / inference / follow-up window / withdrawal …), each carrying its chain hash;
 * - agents are people (pseudonymised: readers and adjudicators never appear by account id),
 *   and the rule versions that decided (agreement rules, evidence mapping, extraction rules).
 * Relations: wasGeneratedBy, used, wasDerivedFrom (prov:Revision between versions),
 * wasAttributedTo, wasAssociatedWith (rules as prov:plan), actedOnBehalfOf is not used.
 */
import { sha256Hex } from './canonical-json.ts';

export type ProvEventRow = { seq: number; type: string; actorId: string | null; occurredAt: string; hash: string; payload: Record<string, unknown> };
export type ProvReadRow = {
  id: string;
  source: string;
  authorId: string | null;
  values: unknown;
  createdAt: Date | string;
  supersedesId?: string | null;
  amendmentReason?: string | null;
};
export type ProvEvidenceRow = {
  id: string;
  kind: string;
  findingId: string | null;
  resultCode: string | null;
  evidenceDate?: string | null;
  extraction: unknown;
  extractionRule?: { id: string; name: string; version: number } | null;
  enteredBy: string | null;
  createdAt: Date | string;
};
export type ProvTruthRow = {
  id: string;
  findingId: string | null;
  version: number;
  state: string;
  value: unknown;
  method: string;
  derivedFromReads: string[];
  derivedFromEvidence: string[];
  policyVersion: number;
  ruleVersion: string;
  deciderId: string | null;
  rationale: string | null;
  supersedesId: string | null;
  eventSeq: number | null;
  createdAt: Date | string;
};
export type ProvReviewRow = {
  id: string;
  kind: string;
  findingId: string | null;
  evidenceId: string | null;
  reason: string;
  openedAt: Date | string;
  outcome: string | null;
  outcomeReason: string | null;
  closedBy: string | null;
  closedAt: Date | string | null;
};

export type CaseProvInput = {
  caseId: string;
  /** Finding id → key ("left"), for readable labels. */
  findings?: Record<string, string>;
  events: ProvEventRow[];
  reads: ProvReadRow[];
  evidence: ProvEvidenceRow[];
  truth: ProvTruthRow[];
  reviews?: ProvReviewRow[];
  /** Account id → role in the project (reader, adjudicator, lead), when known. */
  roles?: Record<string, string>;
  /** Pseudonym of an account; default a salted digest (`salt` defaults to the case id). */
  pseudonym?: (userId: string) => string;
  salt?: string;
  /** Omit evidence dates (withdrawn cases, or exports that must not carry dates). */
  omitDates?: boolean;
};

export type ProvDocument = {
  prefix: Record<string, string>;
  entity: Record<string, Record<string, unknown>>;
  activity: Record<string, Record<string, unknown>>;
  agent: Record<string, Record<string, unknown>>;
  wasGeneratedBy: Record<string, Record<string, unknown>>;
  used: Record<string, Record<string, unknown>>;
  wasDerivedFrom: Record<string, Record<string, unknown>>;
  wasAttributedTo: Record<string, Record<string, unknown>>;
  wasAssociatedWith: Record<string, Record<string, unknown>>;
};

const iso = (d: Date | string) => (typeof d === 'string' ? new Date(d).toISOString() : d.toISOString());
const qn = (s: string) => ({ $: s, type: 'prov:QUALIFIED_NAME' });

/** What kind of activity a workflow event is. */
export function activityKind(type: string, payload: Record<string, unknown> = {}): string {
  switch (type) {
    case 'read.submit':
    case 'read.amend':
      return 'tl:Reading';
    case 'adjudication.decide':
    case 'adjudication.requestRead':
      return 'tl:Adjudication';
    case 'exclusion.resolve':
    case 'discordance.close':
      return 'tl:Review';
    case 'evidence.record':
      return 'tl:EvidenceEntry';
    case 'window.close':
      return 'tl:FollowUpWindowClose';
    case 'case.withdraw':
      return 'tl:Withdrawal';
    case 'case.reopen':
      return 'tl:Reopening';
    case 'case.start':
      return 'tl:CaseStart';
    case 'workflow.migrate':
      return 'tl:MachineMigration';
    default:
      return payload && 'readId' in payload ? 'tl:Reading' : 'tl:WorkflowEvent';
  }
}

export function caseProvenance(input: CaseProvInput): ProvDocument {
  const salt = input.salt ?? input.caseId;
  const pseudo = input.pseudonym ?? ((id: string) => sha256Hex(`${salt}:${id}`).slice(0, 12));
  const doc: ProvDocument = {
    prefix: { tl: 'urn:truthline:', case: `urn:truthline:case:${input.caseId}:`, agent: 'urn:truthline:agent:', rule: 'urn:truthline:rule:' },
    entity: {},
    activity: {},
    agent: {},
    wasGeneratedBy: {},
    used: {},
    wasDerivedFrom: {},
    wasAttributedTo: {},
    wasAssociatedWith: {},
  };
  let n = 0;
  const rel = () => `_:r${++n}`;
  const finding = (id: string | null) => (id ? (input.findings?.[id] ?? id) : null);
  const person = (userId: string, role?: string) => {
    const q = `agent:${pseudo(userId)}`;
    const r = role ?? input.roles?.[userId];
    const a = (doc.agent[q] ??= { 'prov:type': qn('prov:Person') });
    if (r) {
      const roles = new Set(
        String(a['tl:role'] ?? '')
          .split(' ')
          .filter(Boolean),
      );
      roles.add(r);
      a['tl:role'] = [...roles].sort().join(' ');
    }
    return q;
  };
  const rule = (name: string) => {
    const q = `rule:${name.replace(/[^A-Za-z0-9_.@:-]/g, '_')}`;
    doc.agent[q] ??= { 'prov:type': qn('prov:SoftwareAgent'), 'tl:ruleVersion': name };
    return q;
  };
  const caseQ = `case:case`;
  doc.entity[caseQ] = { 'prov:type': qn('tl:Case'), 'tl:case': input.caseId };
  const eventQ = (seq: number) => `case:event-${seq}`;

  for (const e of input.events) {
    const q = eventQ(e.seq);
    doc.activity[q] = {
      'prov:type': qn(activityKind(e.type, e.payload)),
      'tl:eventType': e.type,
      'tl:seq': e.seq,
      'tl:hash': e.hash,
      'prov:startTime': e.occurredAt,
      'prov:endTime': e.occurredAt,
      ...(typeof e.payload.reason === 'string' ? { 'tl:reason': e.payload.reason } : {}),
      ...(typeof e.payload.rationale === 'string' ? { 'tl:rationale': e.payload.rationale } : {}),
      ...(typeof e.payload.outcome === 'string' ? { 'tl:outcome': e.payload.outcome } : {}),
    };
    if (e.actorId) {
      const role = e.type.startsWith('read.')
        ? 'reader'
        : e.type.startsWith('adjudication.')
          ? 'adjudicator'
          : ['evidence.record', 'discordance.close', 'exclusion.resolve', 'case.reopen', 'case.withdraw'].includes(e.type)
            ? 'lead'
            : undefined;
      doc.wasAssociatedWith[rel()] = { 'prov:activity': q, 'prov:agent': person(e.actorId, role) };
    } else if (e.type === 'window.close') {
      doc.wasAssociatedWith[rel()] = { 'prov:activity': q, 'prov:agent': rule('scheduler') };
    }
    doc.used[rel()] = { 'prov:activity': q, 'prov:entity': caseQ, 'prov:time': e.occurredAt };
  }
  const eventOf = (pred: (p: Record<string, unknown>) => boolean) => input.events.find((e) => pred(e.payload));

  for (const r of input.reads) {
    const q = `case:read-${r.id}`;
    doc.entity[q] = {
      'prov:type': qn('tl:Read'),
      'tl:source': r.source,
      'tl:values': JSON.stringify(r.values ?? null),
      'prov:generatedAtTime': iso(r.createdAt),
      ...(r.amendmentReason ? { 'tl:amendmentReason': r.amendmentReason } : {}),
    };
    if (r.authorId)
      doc.wasAttributedTo[rel()] = {
        'prov:entity': q,
        'prov:agent': person(r.authorId, r.source === 'adjudicator' ? 'adjudicator' : r.source === 'reader' ? 'reader' : undefined),
      };
    const ev = eventOf((p) => p.readId === r.id);
    if (ev) doc.wasGeneratedBy[rel()] = { 'prov:entity': q, 'prov:activity': eventQ(ev.seq), 'prov:time': ev.occurredAt };
    if (r.supersedesId) doc.wasDerivedFrom[rel()] = { 'prov:generatedEntity': q, 'prov:usedEntity': `case:read-${r.supersedesId}`, 'prov:type': qn('prov:Revision') };
  }

  for (const e of input.evidence) {
    const q = `case:evidence-${e.id}`;
    doc.entity[q] = {
      'prov:type': qn('tl:Evidence'),
      'tl:kind': e.kind,
      ...(e.resultCode ? { 'tl:resultCode': e.resultCode } : {}),
      ...(finding(e.findingId) ? { 'tl:finding': finding(e.findingId) } : {}),
      ...(e.evidenceDate && !input.omitDates ? { 'tl:date': e.evidenceDate } : {}),
      'tl:extraction': JSON.stringify(e.extraction ?? null),
      'prov:generatedAtTime': iso(e.createdAt),
    };
    const ev = eventOf((p) => p.evidenceId === e.id);
    if (ev) {
      doc.wasGeneratedBy[rel()] = { 'prov:entity': q, 'prov:activity': eventQ(ev.seq), 'prov:time': ev.occurredAt };
      if (e.extractionRule) {
        doc.activity[eventQ(ev.seq)]['prov:type'] = qn('tl:Extraction');
        doc.wasAssociatedWith[rel()] = { 'prov:activity': eventQ(ev.seq), 'prov:agent': rule(`extraction:${e.extractionRule.name}@${e.extractionRule.version}`) };
      }
    }
    if (e.enteredBy) doc.wasAttributedTo[rel()] = { 'prov:entity': q, 'prov:agent': person(e.enteredBy, 'lead') };
  }

  for (const t of [...input.truth].sort((a, b) => a.version - b.version)) {
    const q = `case:truth-${t.id}`;
    doc.entity[q] = {
      'prov:type': qn('tl:TruthLabel'),
      'tl:subject': finding(t.findingId) ?? 'case',
      'tl:version': t.version,
      'tl:state': t.state,
      'tl:value': JSON.stringify(t.value ?? null),
      'tl:method': t.method,
      'tl:policyVersion': t.policyVersion,
      'tl:ruleVersion': t.ruleVersion,
      ...(t.rationale ? { 'tl:rationale': t.rationale } : {}),
      'prov:generatedAtTime': iso(t.createdAt),
    };
    if (t.eventSeq !== null) {
      const act = eventQ(t.eventSeq);
      doc.wasGeneratedBy[rel()] = { 'prov:entity': q, 'prov:activity': act, 'prov:time': iso(t.createdAt) };
      // The decision part of an event is an inference under a rule version.
      if (t.ruleVersion)
        doc.wasAssociatedWith[rel()] = { 'prov:activity': act, 'prov:agent': rule(t.ruleVersion), 'prov:plan': `rule:${t.ruleVersion.replace(/[^A-Za-z0-9_.@:-]/g, '_')}` };
      for (const r of t.derivedFromReads) doc.used[rel()] = { 'prov:activity': act, 'prov:entity': `case:read-${r}` };
      for (const x of t.derivedFromEvidence) doc.used[rel()] = { 'prov:activity': act, 'prov:entity': `case:evidence-${x}` };
    }
    for (const r of t.derivedFromReads) doc.wasDerivedFrom[rel()] = { 'prov:generatedEntity': q, 'prov:usedEntity': `case:read-${r}` };
    for (const x of t.derivedFromEvidence) doc.wasDerivedFrom[rel()] = { 'prov:generatedEntity': q, 'prov:usedEntity': `case:evidence-${x}` };
    if (t.supersedesId) doc.wasDerivedFrom[rel()] = { 'prov:generatedEntity': q, 'prov:usedEntity': `case:truth-${t.supersedesId}`, 'prov:type': qn('prov:Revision') };
    if (t.deciderId) doc.wasAttributedTo[rel()] = { 'prov:entity': q, 'prov:agent': person(t.deciderId) };
  }

  for (const r of input.reviews ?? []) {
    const q = `case:review-${r.id}`;
    doc.entity[q] = {
      'prov:type': qn('tl:Review'),
      'tl:kind': r.kind,
      'tl:reason': r.reason,
      ...(finding(r.findingId) ? { 'tl:finding': finding(r.findingId) } : {}),
      ...(r.outcome ? { 'tl:outcome': r.outcome } : {}),
      ...(r.outcomeReason ? { 'tl:outcomeReason': r.outcomeReason } : {}),
      'prov:generatedAtTime': iso(r.openedAt),
      ...(r.closedAt ? { 'prov:invalidatedAtTime': iso(r.closedAt) } : {}),
    };
    if (r.evidenceId) doc.wasDerivedFrom[rel()] = { 'prov:generatedEntity': q, 'prov:usedEntity': `case:evidence-${r.evidenceId}` };
    if (r.closedBy) doc.wasAttributedTo[rel()] = { 'prov:entity': q, 'prov:agent': person(r.closedBy, 'lead') };
  }
  return doc;
}
