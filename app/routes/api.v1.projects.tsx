/** GET /api/v1/projects — projects in the token's scope where the person is a member. */
import { requireApiUser } from '~/api/auth.server.ts';
import { apiRoute, jsonResponse } from '~/api/http.server.ts';
import { listProjectsForUser } from '~/models/projects.server.ts';
import type { ProjectRole } from '~/permissions.server.ts';

export const loader = apiRoute(async ({ request }) => {
  const { user, projectIds } = await requireApiUser(request);
  const all = await listProjectsForUser({ userId: user.id });
  const projects = all.filter((p) => projectIds.includes(p.id)).map((p) => ({ id: p.id, slug: p.slug, name: p.name, description: p.description, roles: p.roles as ProjectRole[] }));
  return jsonResponse({ projects });
});
