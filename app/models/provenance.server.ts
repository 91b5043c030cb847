/**
 * A case's provenance: everything that shaped its truth, in order — the workflow events (the
 * hash chain), the reads each event recorded (with amendments), the truth versions each event
 * wrote (method, rule and policy versions, what they derive from, decider, rationale), evidence
 * (with the extraction rule version), reviews, and the audit rows that are not workflow events.
 * Who and why are resolved to names. Used by the case page and by export.
 */
import { and, asc, eq, inArray, not, like } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { auditLog, cases, evidence, extractionRules, findings, projectMembers, projectVersions, reads, reviews, truthLabels, users, workflowEvents } from '../../db/schema.ts';
import { caseProvenance, type CaseProvInput, type ProvDocument } from '../../workflows/prov.ts';
import { currentTruth } from './truth.server.ts';

export type Person = { id: string; name: string; email: string } | null;

export type TimelineRead = {
  id: string;
  source: string;
  author: Person;
  values: unknown;
  cannotAssessReason: string | null;
  confidence: number | null;
  comment: string | null;
  timeSpentMs: number | null;
  supersedesId: string | null;
  amendmentReason: string | null;
  findingKey: string | null;
  at: string;
};
export type TimelineTruth = {
  id: string;
  findingKey: string | null;
  version: number;
  state: string;
  value: unknown;
  method: string;
  derivedFromReads: string[];
  derivedFromEvidence: string[];
  policyVersion: number;
  ruleVersion: string;
  decider: Person;
  rationale: string | null;
  supersedesId: string | null;
  eventSeq: number | null;
  at: string;
};
export type TimelineItem =
  | {
      kind: 'event';
      at: string;
      seq: number;
      type: string;
      actor: Person;
      machineVersion: string;
      hash: string;
      prevHash: string;
      why: string | null;
      reads: TimelineRead[];
      truth: TimelineTruth[];
    }
  | {
      kind: 'evidence';
      at: string;
      id: string;
      evidenceKind: string;
      date: string;
      findingKey: string | null;
      resultCode: string | null;
      text: string | null;
      extraction: unknown;
      rule: { name: string; version: number } | null;
      enteredBy: Person;
    }
  | { kind: 'review'; at: string; id: string; reviewKind: string; phase: 'opened' | 'closed'; reason: string; outcome: string | null; by: Person; findingKey: string | null }
  | { kind: 'audit'; at: string; action: string; actor: Person; why: string | null; details: unknown };

export type Provenance = {
  pinnedVersion: { version: number; note: string; createdAt: string; createdBy: Person } | null;
  timeline: TimelineItem[];
  reads: TimelineRead[];
  truth: TimelineTruth[];
  /** Highest version per subject (case or finding). */
  currentTruth: TimelineTruth[];
};

export async function getProvenance({ caseId, projectId, projectVersion, db }: { caseId: string; projectId: string; projectVersion: number; db?: Db }): Promise<Provenance> {
  const d = db ?? getDb();
  const [events, readRows, truthRows, evidenceRows, reviewRows, auditRows, findingRows, [pv]] = await Promise.all([
    d.select().from(workflowEvents).where(eq(workflowEvents.caseId, caseId)).orderBy(asc(workflowEvents.seq)),
    d.select().from(reads).where(eq(reads.caseId, caseId)).orderBy(asc(reads.createdAt)),
    d.select().from(truthLabels).where(eq(truthLabels.caseId, caseId)).orderBy(asc(truthLabels.createdAt), asc(truthLabels.version)),
    d
      .select({ e: evidence, ruleName: extractionRules.name, ruleVersion: extractionRules.version })
      .from(evidence)
      .leftJoin(extractionRules, eq(extractionRules.id, evidence.extractionRuleId))
      .where(eq(evidence.caseId, caseId))
      .orderBy(asc(evidence.createdAt)),
    d.select().from(reviews).where(eq(reviews.caseId, caseId)).orderBy(asc(reviews.openedAt)),
    d
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.caseId, caseId), not(like(auditLog.action, 'workflow.%'))))
      .orderBy(asc(auditLog.at)),
    d.select({ id: findings.id, key: findings.key }).from(findings).where(eq(findings.caseId, caseId)),
    d
      .select()
      .from(projectVersions)
      .where(and(eq(projectVersions.projectId, projectId), eq(projectVersions.version, projectVersion))),
  ]);
  const ids = new Set<string>();
  for (const e of events) if (e.actorId) ids.add(e.actorId);
  for (const r of readRows) if (r.authorId) ids.add(r.authorId);
  for (const t of truthRows) if (t.deciderId) ids.add(t.deciderId);
  for (const r of reviewRows) if (r.closedBy) ids.add(r.closedBy);
  for (const a of auditRows) if (a.actorId) ids.add(a.actorId);
  for (const e of evidenceRows) if (e.e.enteredBy) ids.add(e.e.enteredBy);
  if (pv?.createdBy) ids.add(pv.createdBy);
  const people = new Map<string, Person>();
  if (ids.size) {
    for (const u of await d
      .select({ id: users.id, name: users.name, email: users.email })
      .from(users)
      .where(inArray(users.id, [...ids])))
      people.set(u.id, u);
  }
  const who = (id: string | null): Person => (id ? (people.get(id) ?? { id, name: id, email: '' }) : null);
  const findingKey = new Map(findingRows.map((f) => [f.id, f.key]));
  const fk = (id: string | null) => (id ? (findingKey.get(id) ?? id) : null);

  const readViews: TimelineRead[] = readRows.map((r) => ({
    id: r.id,
    source: r.source,
    author: who(r.authorId),
    values: r.values,
    cannotAssessReason: r.cannotAssessReason,
    confidence: r.confidence,
    comment: r.comment,
    timeSpentMs: r.timeSpentMs,
    supersedesId: r.supersedesId,
    amendmentReason: r.amendmentReason,
    findingKey: fk(r.findingId),
    at: r.createdAt.toISOString(),
  }));
  const truthViews: TimelineTruth[] = truthRows.map((t) => ({
    id: t.id,
    findingKey: fk(t.findingId),
    version: t.version,
    state: t.state,
    value: t.value,
    method: t.method,
    derivedFromReads: t.derivedFromReads,
    derivedFromEvidence: t.derivedFromEvidence,
    policyVersion: t.policyVersion,
    ruleVersion: t.ruleVersion,
    decider: who(t.deciderId),
    rationale: t.rationale,
    supersedesId: t.supersedesId,
    eventSeq: t.eventSeq,
    at: t.createdAt.toISOString(),
  }));
  const readByRequest = new Map<string, TimelineRead[]>();
  for (const [i, r] of readRows.entries()) {
    const list = readByRequest.get(r.clientRequestId) ?? [];
    list.push(readViews[i]);
    readByRequest.set(r.clientRequestId, list);
  }
  const timeline: TimelineItem[] = [];
  const attached = new Set<string>();
  for (const e of events) {
    const p = e.payload as { reason?: string; rationale?: string };
    const rs = readByRequest.get(e.clientRequestId) ?? [];
    rs.forEach((r) => attached.add(r.id));
    timeline.push({
      kind: 'event',
      at: e.occurredAt,
      seq: e.seq,
      type: e.type,
      actor: who(e.actorId),
      machineVersion: e.machineVersion,
      hash: e.hash,
      prevHash: e.prevHash,
      why: p.reason ?? p.rationale ?? null,
      reads: rs,
      truth: truthViews.filter((t) => t.eventSeq === e.seq),
    });
  }
  // Truth written outside an event (e.g. by evidence recorded before evidence became events) still shows.
  for (const t of truthViews.filter((x) => x.eventSeq === null)) {
    timeline.push({
      kind: 'audit',
      at: t.at,
      action: `truth v${t.version} (${t.state})`,
      actor: t.decider,
      why: t.rationale,
      details: { method: t.method, value: t.value as never },
    });
  }
  for (const r of readViews.filter((x) => !attached.has(x.id))) {
    timeline.push({ kind: 'audit', at: r.at, action: `read from ${r.source}`, actor: r.author, why: r.amendmentReason, details: { values: r.values as never } });
  }
  for (const { e, ruleName, ruleVersion } of evidenceRows) {
    timeline.push({
      kind: 'evidence',
      at: e.createdAt.toISOString(),
      id: e.id,
      evidenceKind: e.kind,
      date: e.evidenceDate,
      findingKey: fk(e.findingId),
      resultCode: e.resultCode,
      text: e.text,
      extraction: e.extraction,
      rule: ruleName ? { name: ruleName, version: ruleVersion! } : null,
      enteredBy: who(e.enteredBy),
    });
  }
  for (const r of reviewRows) {
    timeline.push({
      kind: 'review',
      at: r.openedAt.toISOString(),
      id: r.id,
      reviewKind: r.kind,
      phase: 'opened',
      reason: r.reason,
      outcome: null,
      by: null,
      findingKey: fk(r.findingId),
    });
    if (r.closedAt)
      timeline.push({
        kind: 'review',
        at: r.closedAt.toISOString(),
        id: r.id,
        reviewKind: r.kind,
        phase: 'closed',
        reason: r.outcomeReason ?? '',
        outcome: r.outcome,
        by: who(r.closedBy),
        findingKey: fk(r.findingId),
      });
  }
  for (const a of auditRows) timeline.push({ kind: 'audit', at: a.at.toISOString(), action: a.action, actor: who(a.actorId), why: a.reason, details: a.details });
  // The chain's order is authoritative for events (their times may be back-dated, e.g. imported
  // reads); everything else is merged in by time before the first event that is later than it.
  const evs = timeline.filter((i): i is Extract<TimelineItem, { kind: 'event' }> => i.kind === 'event').sort((a, b) => a.seq - b.seq);
  const others = timeline.filter((i) => i.kind !== 'event').sort((a, b) => a.at.localeCompare(b.at));
  const merged: TimelineItem[] = [];
  let k = 0;
  for (const e of evs) {
    while (k < others.length && others[k].at < e.at) merged.push(others[k++]);
    merged.push(e);
  }
  while (k < others.length) merged.push(others[k++]);
  timeline.splice(0, timeline.length, ...merged);

  const current = new Set((await currentTruth({ caseIds: [caseId], db: d })).map((t) => t.id));
  return {
    pinnedVersion: pv ? { version: pv.version, note: pv.note, createdAt: pv.createdAt.toISOString(), createdBy: who(pv.createdBy) } : null,
    timeline,
    reads: readViews,
    truth: truthViews,
    currentTruth: truthViews.filter((t) => current.has(t.id)).sort((a, b) => (a.findingKey ?? '').localeCompare(b.findingKey ?? '')),
  };
}

/** The rows `caseProvenance` needs for one case (W3C PROV-JSON of its truth). */
export async function loadCaseProvInput({ caseId, db }: { caseId: string; db?: Db }): Promise<CaseProvInput | null> {
  const d = db ?? getDb();
  const [c] = await d.select({ projectId: cases.projectId, withdrawnAt: cases.withdrawnAt }).from(cases).where(eq(cases.id, caseId));
  if (!c) return null;
  const events = await d.select().from(workflowEvents).where(eq(workflowEvents.caseId, caseId)).orderBy(asc(workflowEvents.seq));
  const readRows = await d.select().from(reads).where(eq(reads.caseId, caseId));
  const evRows = await d.select().from(evidence).where(eq(evidence.caseId, caseId));
  const ruleIds = [...new Set(evRows.map((e) => e.extractionRuleId).filter((x): x is string => Boolean(x)))];
  const rules = ruleIds.length ? await d.select().from(extractionRules).where(inArray(extractionRules.id, ruleIds)) : [];
  const truth = await d.select().from(truthLabels).where(eq(truthLabels.caseId, caseId));
  const reviewRows = await d.select().from(reviews).where(eq(reviews.caseId, caseId));
  const fs = await d.select({ id: findings.id, key: findings.key }).from(findings).where(eq(findings.caseId, caseId));
  const members = await d.select({ userId: projectMembers.userId, role: projectMembers.role }).from(projectMembers).where(eq(projectMembers.projectId, c.projectId));
  const roles: Record<string, string> = {};
  for (const m of members) roles[m.userId] = roles[m.userId] ? `${roles[m.userId]} ${m.role}` : m.role;
  return {
    caseId,
    findings: Object.fromEntries(fs.map((f) => [f.id, f.key])),
    events: events.map((e) => ({ seq: e.seq, type: e.type, actorId: e.actorId, occurredAt: e.occurredAt, hash: e.hash, payload: e.payload as Record<string, unknown> })),
    reads: readRows,
    evidence: evRows.map((e) => {
      const r = rules.find((x) => x.id === e.extractionRuleId);
      return { ...e, extractionRule: r ? { id: r.id, name: r.name, version: r.version } : null };
    }),
    truth,
    reviews: reviewRows,
    roles,
    omitDates: Boolean(c.withdrawnAt),
  };
}

/** PROV-JSON of one case's truth, straight from the database. */
export async function provenanceOfCase({ caseId, db }: { caseId: string; db?: Db }): Promise<ProvDocument | null> {
  const input = await loadCaseProvInput({ caseId, db });
  return input ? caseProvenance(input) : null;
}
