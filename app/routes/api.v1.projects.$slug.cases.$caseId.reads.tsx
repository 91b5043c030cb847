/**
 * GET  /api/v1/projects/:slug/cases/:caseId/reads — reads as the caller may see them.
 * POST /api/v1/projects/:slug/cases/:caseId/reads — submit the reader's read: the reader page's
 *      rules (open assignment, reader form, workflow), idempotent by client_request_id.
 */
import { requireApiProjectRole } from '~/api/auth.server.ts';
import { ApiError, apiRoute, jsonResponse, parseBody, readJson } from '~/api/http.server.ts';
import { caseView } from '~/api/case-view.server.ts';
import { submitReadSchema } from '~/api/schemas.ts';
import { submitReaderRead } from '~/models/reading.server.ts';
import { getCase } from '~/models/cases.server.ts';
import { AppError } from '../../domain/errors.ts';
import { clientIp } from '~/request.server.ts';

export const loader = apiRoute(async ({ request, params }) => {
  const access = await requireApiProjectRole(request, params.slug, ['reader', 'lead']);
  const v = await caseView({ access, caseId: params.caseId });
  return jsonResponse({ revealed: v.revealed, reads: v.reads });
});

export const action = apiRoute(async ({ request, params }) => {
  const { project, user } = await requireApiProjectRole(request, params.slug, 'reader');
  const kase = await getCase({ projectId: project.id, caseId: params.caseId });
  if (!kase || kase.c.withdrawnAt) throw new ApiError('not_found', 'There is no such case in this project.');
  const body = parseBody(submitReadSchema, await readJson(request));
  // A repeated client_request_id is recognised (or refused as a conflict) by the model and the
  // workflow runtime, as for the reader page; a refusal of a read means the reader holds no assignment.
  const r = await submitReaderRead({
    projectId: project.id,
    caseId: kase.c.id,
    userId: user.id,
    clientRequestId: body.client_request_id,
    ip: clientIp(request),
    read: {
      values: body.values as never,
      ...(body.cannot_assess_reason !== undefined ? { cannotAssessReason: body.cannot_assess_reason } : {}),
      ...(body.comment !== undefined ? { comment: body.comment } : {}),
      ...(body.confidence !== undefined ? { confidence: body.confidence } : {}),
      ...(body.time_spent_ms !== undefined ? { timeSpentMs: body.time_spent_ms } : {}),
    },
  }).catch((e: unknown) => {
    if (e instanceof AppError && e.code === 'refused')
      throw new ApiError('no_assignment', `${e.message}. This case is not assigned to you (or the assignment expired): POST /api/v1/projects/{slug}/next-case.`);
    throw e;
  });
  const repeat = r.status === 'duplicate';
  // The case's new state is not returned: it would tell a reader whether the others agreed.
  return jsonResponse({ read_id: r.readId, case_id: kase.c.id, repeat }, repeat ? 200 : 201);
});
