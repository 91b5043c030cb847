import { and, count, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { getDb } from '../../db/index.ts';
import { caseWorkflows, cases, projectCaseCounts, projectMembers, projects, projectVersions, reads, users } from '../../db/schema.ts';
import { projectDefinitionSchema, type ProjectDefinition } from '../../workflows/definition.ts';

export async function listProjectsForUser({ userId }: { userId: string }) {
  const db = getDb();
  const rows = await db
    .select({ id: projects.id, slug: projects.slug, name: projects.name, description: projects.description, role: projectMembers.role })
    .from(projectMembers)
    .innerJoin(projects, eq(projects.id, projectMembers.projectId))
    .where(eq(projectMembers.userId, userId))
    .orderBy(projects.name);
  const byId = new Map<string, { id: string; slug: string; name: string; description: string; roles: string[]; caseCount: number }>();
  for (const r of rows) {
    const p = byId.get(r.id) ?? { id: r.id, slug: r.slug, name: r.name, description: r.description, roles: [], caseCount: 0 };
    p.roles.push(r.role);
    byId.set(r.id, p);
  }
  if (byId.size) {
    const counts = await db
      .select({ projectId: cases.projectId, n: count() })
      .from(cases)
      .where(and(inArray(cases.projectId, [...byId.keys()]), isNull(cases.withdrawnAt)))
      .groupBy(cases.projectId);
    for (const c of counts) byId.get(c.projectId)!.caseCount = c.n;
  }
  return [...byId.values()];
}

export async function getCurrentVersion({ projectId }: { projectId: string }) {
  const [v] = await getDb().select().from(projectVersions).where(eq(projectVersions.projectId, projectId)).orderBy(desc(projectVersions.version)).limit(1);
  return v ?? null;
}

export async function getProjectVersion({ projectId, version }: { projectId: string; version: number }) {
  const [v] = await getDb()
    .select()
    .from(projectVersions)
    .where(and(eq(projectVersions.projectId, projectId), eq(projectVersions.version, version)));
  return v ?? null;
}

export function definitionOf(v: typeof projectVersions.$inferSelect): ProjectDefinition {
  return projectDefinitionSchema.parse({
    readerForm: v.readerForm,
    referenceStandard: v.referenceStandard,
    mapping: v.mapping,
    truthPolicy: v.truthPolicy,
    study: v.study ?? undefined,
  });
}

/** Counts for the overview. Readers get only their own numbers (blinding). */
export async function getProjectOverview({ projectId, userId, isLead }: { projectId: string; userId: string; isLead: boolean }) {
  const db = getDb();
  // The project's size from its counter (kept by triggers on cases), not a count over its cases.
  const [counted] = await db.select({ total: projectCaseCounts.cases }).from(projectCaseCounts).where(eq(projectCaseCounts.projectId, projectId));
  const total = counted?.total ?? 0;
  const [{ mine }] = await db
    .select({ mine: sql<number>`count(distinct ${reads.caseId})::int` })
    .from(reads)
    .innerJoin(cases, eq(cases.id, reads.caseId))
    .where(and(eq(cases.projectId, projectId), eq(reads.authorId, userId), eq(reads.source, 'reader')));
  let byState: { state: string; n: number }[] = [];
  let members: { name: string; email: string; role: string }[] = [];
  if (isLead) {
    byState = await db
      .select({ state: caseWorkflows.state, n: count() })
      .from(caseWorkflows)
      .innerJoin(cases, eq(cases.id, caseWorkflows.caseId))
      .where(and(eq(cases.projectId, projectId), isNull(cases.withdrawnAt)))
      .groupBy(caseWorkflows.state);
    members = await db
      .select({ name: users.name, email: users.email, role: projectMembers.role })
      .from(projectMembers)
      .innerJoin(users, eq(users.id, projectMembers.userId))
      .where(eq(projectMembers.projectId, projectId))
      .orderBy(users.email);
  }
  return { total, mine, byState, members };
}
