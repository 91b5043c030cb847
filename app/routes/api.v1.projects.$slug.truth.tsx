/** GET /api/v1/projects/:slug/truth — truth labels with provenance, per case (leads only). */
import { requireApiProjectRole } from '~/api/auth.server.ts';
import { apiRoute, jsonResponse, parseQuery } from '~/api/http.server.ts';
import { listTruthPage } from '~/api/data.server.ts';
import { truthQuery } from '~/api/schemas.ts';

export const loader = apiRoute(async ({ request, params }) => {
  const { project } = await requireApiProjectRole(request, params.slug, 'lead');
  const q = parseQuery(truthQuery, request);
  return jsonResponse(await listTruthPage({ projectId: project.id, cursor: q.cursor, limit: q.limit, history: q.history === 'true' }));
});
