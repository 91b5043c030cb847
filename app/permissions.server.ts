/**
 * Project access: membership is (project, user, role). Admins get nothing here unless they are
 * members. Every project loader/action starts with requireProjectRole.
 */
import { and, eq, or } from 'drizzle-orm';
import { getDb } from '../db/index.ts';
import { projectMembers, projects } from '../db/schema.ts';
import { requireUser, type SessionUser } from './auth.server.ts';
import { isUuid, type ProjectRole } from '../domain/vocabulary.ts';

export type { ProjectRole };
export type ProjectAccess = {
  user: SessionUser;
  project: typeof projects.$inferSelect;
  roles: ProjectRole[];
};

export async function getProjectRoles(args: { projectId: string; userId: string }): Promise<ProjectRole[]> {
  const rows = await getDb()
    .select({ role: projectMembers.role })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, args.projectId), eq(projectMembers.userId, args.userId)));
  return rows.map((r) => r.role);
}

/** Resolves a project by slug or id for a user, or null when it doesn't exist. */
export async function findProject(ref: string) {
  const db = getDb();
  const [p] = await db
    .select()
    .from(projects)
    .where(isUuid(ref) ? or(eq(projects.id, ref), eq(projects.slug, ref)) : eq(projects.slug, ref));
  return p ?? null;
}

/**
 * The project by slug or id and the user's roles in it, in one statement (every project request
 * asks both); null when there is no such project.
 */
export async function findProjectWithRoles({ ref, userId }: { ref: string; userId: string }): Promise<{ project: typeof projects.$inferSelect; roles: ProjectRole[] } | null> {
  const rows = await getDb()
    .select({ project: projects, role: projectMembers.role })
    .from(projects)
    .leftJoin(projectMembers, and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, userId)))
    .where(isUuid(ref) ? or(eq(projects.id, ref), eq(projects.slug, ref)) : eq(projects.slug, ref));
  if (rows.length === 0) return null;
  const project = rows[0].project;
  const roles = rows.filter((r) => r.project.id === project.id && r.role !== null).map((r) => r.role as ProjectRole);
  return { project, roles };
}

/**
 * Throws a redirect to sign-in (anonymous), 404 (no such project — also for non-members, so
 * project names don't leak), or 403 (member without any of the roles).
 */
export async function requireProjectRole(request: Request, projectRef: string | undefined, role: ProjectRole | ProjectRole[]): Promise<ProjectAccess> {
  const user = await requireUser(request);
  const found = projectRef ? await findProjectWithRoles({ ref: projectRef, userId: user.id }) : null;
  if (!found) throw new Response('There is no such project, or you are not a member of it.', { status: 404 });
  const { project, roles } = found;
  if (roles.length === 0) throw new Response('There is no such project, or you are not a member of it.', { status: 404 });
  const wanted = Array.isArray(role) ? role : [role];
  if (!wanted.some((r) => roles.includes(r))) {
    throw new Response(`This page is for the project's ${wanted.join(' or ')}s. Your role here: ${roles.join(', ')}.`, { status: 403 });
  }
  return { user, project, roles };
}

/** Any member of the project. */
export async function requireProjectMember(request: Request, projectRef: string | undefined) {
  return requireProjectRole(request, projectRef, ['reader', 'adjudicator', 'lead']);
}
