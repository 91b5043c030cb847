/**
 * GET /api/v1/projects/:slug/export — truth with provenance as csv|jsonl|prov. The export
 * model (app/models/export.server.ts) does not exist yet, so after the access check this
 * answers 501 rather than inventing a format.
 */
import { requireApiProjectRole } from '~/api/auth.server.ts';
import { ApiError, apiRoute, parseQuery } from '~/api/http.server.ts';
import { exportQuery } from '~/api/schemas.ts';

export const loader = apiRoute(async ({ request, params }) => {
  await requireApiProjectRole(request, params.slug, 'lead');
  parseQuery(exportQuery, request);
  throw new ApiError('not_implemented', 'Export is not available yet (the export of truth with provenance is a later issue). Use GET /api/v1/projects/{slug}/truth meanwhile.');
});
