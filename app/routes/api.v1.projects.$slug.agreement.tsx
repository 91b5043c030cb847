/** GET /api/v1/projects/:slug/agreement?item=KEY — the stats/ JSON document for one reader-form item (leads). */
import { requireApiProjectRole } from '~/api/auth.server.ts';
import { ApiError, apiRoute, jsonResponse, parseQuery } from '~/api/http.server.ts';
import { agreementQuery } from '~/api/schemas.ts';
import { AgreementUnavailable, projectAgreement } from '~/models/agreement.server.ts';

export const loader = apiRoute(async ({ request, params }) => {
  const { project } = await requireApiProjectRole(request, params.slug, 'lead');
  const q = parseQuery(agreementQuery, request);
  try {
    const { item, report } = await projectAgreement({ projectId: project.id, item: q.item });
    return jsonResponse(report, 200, { 'X-Truthline-Item': item });
  } catch (e) {
    if (e instanceof AgreementUnavailable) throw new ApiError(e.reason === 'unknown_item' ? 'bad_request' : 'validation_failed', e.message, { reason: e.reason });
    throw e;
  }
});
