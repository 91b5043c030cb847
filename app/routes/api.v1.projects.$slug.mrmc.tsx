/** GET /api/v1/projects/:slug/mrmc?version=N — the project's MRMC document (stats/mrmc.schema.json), the dashboard's analysis (leads). */
import { requireApiProjectRole } from '~/api/auth.server.ts';
import { apiRoute, jsonResponse, parseQuery } from '~/api/http.server.ts';
import { mrmcQuery } from '~/api/schemas.ts';
import { projectMrmc } from '~/models/mrmc.server.ts';

export const loader = apiRoute(async ({ request, params }) => {
  const { project } = await requireApiProjectRole(request, params.slug, 'lead');
  const q = parseQuery(mrmcQuery, request);
  const { version, document } = await projectMrmc({ projectId: project.id, version: q.version });
  return jsonResponse(document, 200, { 'X-Truthline-Version': String(version) });
});
