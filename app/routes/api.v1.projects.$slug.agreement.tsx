/** GET /api/v1/projects/:slug/agreement?item=KEY&arm=ARM — the stats/ JSON document for one reader-form item (leads). */
import { requireApiProjectRole } from '~/api/auth.server.ts';
import { ApiError, apiRoute, jsonResponse, parseQuery } from '~/api/http.server.ts';
import { agreementQuery } from '~/api/schemas.ts';
import { AgreementUnavailable, projectAgreement } from '~/models/agreement.server.ts';

export const loader = apiRoute(async ({ request, params }) => {
  const { project } = await requireApiProjectRole(request, params.slug, 'lead');
  const q = parseQuery(agreementQuery, request);
  try {
    const { item, arm, report } = await projectAgreement({ projectId: project.id, item: q.item, arm: q.arm });
    return jsonResponse(report, 200, { 'X-Truthline-Item': item, ...(arm ? { 'X-Truthline-Arm': arm } : {}) });
  } catch (e) {
    if (e instanceof AgreementUnavailable)
      throw new ApiError(e.reason === 'unknown_item' || e.reason === 'unknown_arm' ? 'bad_request' : 'validation_failed', e.message, { reason: e.reason });
    throw e;
  }
});
