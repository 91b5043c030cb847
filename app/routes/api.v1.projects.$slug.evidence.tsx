/**
 * POST /api/v1/projects/:slug/evidence — evidence submission. The evidence workflow (issue 7)
 * does not exist yet, so after the access check this answers 501: nothing is faked or stored.
 */
import { requireApiProjectRole } from '~/api/auth.server.ts';
import { ApiError, apiRoute } from '~/api/http.server.ts';

export const action = apiRoute(async ({ request, params }) => {
  await requireApiProjectRole(request, params.slug, 'lead');
  throw new ApiError('not_implemented', 'Evidence cannot be submitted through the API yet: the evidence workflow (issue 7) is not available. Nothing was stored.');
});
