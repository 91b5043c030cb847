import { and, desc, eq, inArray } from 'drizzle-orm';
import { getDb } from '../../db/index.ts';
import { projectCaseCounts, projectMembers, projects, projectVersions } from '../../db/schema.ts';
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
    // Each project's size from its counter (kept by triggers on cases): one row per project.
    const counts = await db
      .select({ projectId: projectCaseCounts.projectId, n: projectCaseCounts.cases })
      .from(projectCaseCounts)
      .where(inArray(projectCaseCounts.projectId, [...byId.keys()]));
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
