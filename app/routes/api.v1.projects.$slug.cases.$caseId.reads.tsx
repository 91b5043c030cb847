/**
 * GET  /api/v1/projects/:slug/cases/:caseId/reads — reads as the caller may see them.
 * POST /api/v1/projects/:slug/cases/:caseId/reads — submit the reader's read: the reader page's
 *      rules (open assignment, reader form, workflow), idempotent by client_request_id.
 */
import { requireApiProjectRole } from '~/api/auth.server.ts';
import { ApiError, apiRoute, jsonResponse, parseBody, readJson } from '~/api/http.server.ts';
import { caseInProject } from '~/api/data.server.ts';
import { caseView } from '~/api/case-view.server.ts';
import { submitReadSchema } from '~/api/schemas.ts';
import { submitReaderRead } from '~/models/reading.server.ts';
import { hasOpenReaderAssignment, priorRequest } from '~/models/requests.server.ts';
import { clientIp } from '~/request.server.ts';

export const loader = apiRoute(async ({ request, params }) => {
  const access = await requireApiProjectRole(request, params.slug, ['reader', 'lead']);
  const v = await caseView({ access, caseId: params.caseId });
  return jsonResponse({ revealed: v.revealed, reads: v.reads });
});

export const action = apiRoute(async ({ request, params }) => {
  const { project, user } = await requireApiProjectRole(request, params.slug, 'reader');
  const kase = await caseInProject({ projectId: project.id, caseId: params.caseId });
  if (!kase || kase.c.withdrawnAt) throw new ApiError('not_found', 'There is no such case in this project.');
  const body = parseBody(submitReadSchema, await readJson(request));
  const prior = await priorRequest({ clientRequestId: body.client_request_id });
  if (prior && (prior.actorId !== user.id || prior.caseId !== kase.c.id)) {
    throw new ApiError('idempotency_conflict', 'This client_request_id was already used for another request. Use a new id for each read.');
  }
  if (!prior) {
    if (!(await hasOpenReaderAssignment({ caseId: kase.c.id, userId: user.id })))
      throw new ApiError('no_assignment', 'This case is not assigned to you (or the assignment expired). Ask for your next case: POST /api/v1/projects/{slug}/next-case.');
  }
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
  });
  const repeat = r.status === 'duplicate';
  // The case's new state is not returned: it would tell a reader whether the others agreed.
  return jsonResponse({ read_id: r.readId, case_id: kase.c.id, repeat }, repeat ? 200 : 201);
});
