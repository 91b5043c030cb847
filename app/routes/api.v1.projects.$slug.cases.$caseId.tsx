/** GET /api/v1/projects/:slug/cases/:caseId — one case as the caller may see it (blinding as in the UI). */
import { requireApiProjectRole } from '~/api/auth.server.ts';
import { apiRoute, jsonResponse } from '~/api/http.server.ts';
import { caseView } from '~/api/case-view.server.ts';

export const loader = apiRoute(async ({ request, params }) => {
  const access = await requireApiProjectRole(request, params.slug, ['reader', 'lead']);
  return jsonResponse(await caseView({ access, caseId: params.caseId }));
});
