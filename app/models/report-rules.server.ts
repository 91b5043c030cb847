/**
 * A project's report rules, stored and versioned (extraction_rules): a lead starts from the
 * example and the shipped trigger lists, extends them, and each save is a new version. Labels
 * produced by a version point at it (report_labels.rule_id, evidence.extraction_rule_id), so a
 * label always names the exact rules that made it. The tester runs on the server: the page's
 * JavaScript carries neither zod nor the rules engine.
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { writeAudit } from '../../db/audit.ts';
import { extractionRules, projects } from '../../db/schema.ts';
import { AppError } from '../../domain/errors.ts';
import { compileRules, extractReport, parseRulesText, RulesError, SHIPPED_TRIGGERS, TRIGGER_KINDS, type CompiledRules, type FindingRow } from '../../reports/index.ts';
import { EXAMPLE_RULES } from '../forms/reports.ts';

export type { CompiledRules, FindingRow };

export type RuleVersion = { id: string; name: string; version: number; createdAt: string; text: string; labels: number };

const MAX_VERSIONS_SHOWN = 30;

/** The shipped trigger lists in brief, for the rules page: counts per kind and where they came from. */
export function shippedTriggers() {
  const counts: Record<string, number> = {};
  for (const t of SHIPPED_TRIGGERS.triggers) counts[t.kind] = (counts[t.kind] ?? 0) + 1;
  return {
    name: SHIPPED_TRIGGERS.name,
    version: SHIPPED_TRIGGERS.version,
    count: SHIPPED_TRIGGERS.triggers.length,
    kinds: [...TRIGGER_KINDS, 'pseudo', 'terminate'].map((k) => ({ kind: k, count: counts[k] ?? 0 })),
    headings: SHIPPED_TRIGGERS.sections.length,
    sources: Object.values(SHIPPED_TRIGGERS.sources).map((s) => `${s.title} — ${s.licence}`),
  };
}

/** The project's rule versions, newest first, each with how many labels it produced. */
export async function ruleVersions({ projectId, db }: { projectId: string; db?: Db }): Promise<RuleVersion[]> {
  const d = db ?? getDb();
  const rows = await d
    .select({
      id: extractionRules.id,
      name: extractionRules.name,
      version: extractionRules.version,
      createdAt: extractionRules.createdAt,
      rules: extractionRules.rules,
      labels: sql<number>`(select count(*)::int from report_labels l where l.rule_id = "extraction_rules"."id")`,
    })
    .from(extractionRules)
    .where(eq(extractionRules.projectId, projectId))
    .orderBy(desc(extractionRules.version))
    .limit(MAX_VERSIONS_SHOWN);
  return rows.map((r) => ({ id: r.id, name: r.name, version: r.version, createdAt: r.createdAt.toISOString(), text: JSON.stringify(r.rules, null, 2), labels: Number(r.labels) }));
}

/** The text the rules page starts from: the newest saved version, else the example. */
export async function currentRulesText({ projectId, db }: { projectId: string; db?: Db }): Promise<string> {
  const [latest] = await ruleVersions({ projectId, db });
  return latest?.text ?? EXAMPLE_RULES;
}

/** A stored version of this project, compiled; not_found for another project's rules. */
export async function loadRules({ projectId, ruleId, db }: { projectId: string; ruleId: string; db?: Db }): Promise<{ id: string; rules: CompiledRules }> {
  const d = db ?? getDb();
  const [row] = /^[0-9a-f-]{36}$/i.test(ruleId)
    ? await d
        .select()
        .from(extractionRules)
        .where(and(eq(extractionRules.id, ruleId), eq(extractionRules.projectId, projectId)))
    : [];
  if (!row) throw new AppError('not_found', 'No such rules version in this project.');
  return { id: row.id, rules: compileRules(row.rules) };
}

/** Rules text compiled; invalid rules: AppError('invalid') on the field "rules", naming the JSON path. */
export function compileRulesText(text: string): CompiledRules {
  try {
    return parseRulesText(text);
  } catch (e) {
    if (e instanceof RulesError) throw new AppError('invalid', e.message, { field: 'rules' });
    throw e;
  }
}

/**
 * Saves the rules as the project's next version (the version in the text is replaced by it, so
 * two saves never share a number). Invalid rules: AppError naming the JSON path, nothing saved.
 */
export async function saveRules({ projectId, text, actorId, ip = null, db }: { projectId: string; text: string; actorId: string; ip?: string | null; db?: Db }) {
  compileRulesText(text);
  const doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as Record<string, unknown>;
  const d = db ?? getDb();
  return d.transaction(async (tx) => {
    // Serialises saves of one project, so the next version number is taken once.
    await tx.select({ id: projects.id }).from(projects).where(eq(projects.id, projectId)).for('update');
    const [{ max }] = await tx
      .select({ max: sql<number | null>`max(${extractionRules.version})` })
      .from(extractionRules)
      .where(eq(extractionRules.projectId, projectId));
    const version = Number(max ?? 0) + 1;
    const stored = { ...doc, version };
    const name = String(doc.name).trim();
    const [row] = await tx.insert(extractionRules).values({ projectId, name, version, rules: stored }).returning();
    await writeAudit(tx, { actorId, action: 'report-rules.save', projectId, ip, target: row.id, details: { name, version } });
    return { id: row.id, name, version };
  });
}

/** The tester: each finding's status in a pasted report and the trigger that decided it. */
export function testRules({ text, report }: { text: string; report: string }): FindingRow[] {
  return extractReport(compileRulesText(text), 'report', report);
}
