/**
 * Loads the rows `caseProvenance` (workflows/prov.ts) needs for one case. Kept apart from the pure
 * function so that exports can batch their own queries and still call it.
 */
import { asc, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { getDb } from '../db/index.ts';
import { cases, evidence, extractionRules, findings, projectMembers, reads, reviews, truthLabels, workflowEvents } from '../db/schema.ts';
import { caseProvenance, type CaseProvInput, type ProvDocument } from './prov.ts';

export async function loadCaseProvInput({ caseId, db }: { caseId: string; db?: Tx }): Promise<CaseProvInput | null> {
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
export async function provenanceOfCase({ caseId, db }: { caseId: string; db?: Tx }): Promise<ProvDocument | null> {
  const input = await loadCaseProvInput({ caseId, db });
  return input ? caseProvenance(input) : null;
}
