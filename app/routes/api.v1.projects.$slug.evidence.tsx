/**
 * POST /api/v1/projects/:slug/evidence — one evidence result, recorded through the case workflow
 * exactly as the lead's evidence page does (app/models/evidence.server.ts recordEvidence → an
 * `evidence.record` event that writes the evidence row, truth versions and discordance reviews in
 * its transaction). Idempotent by client_request_id (the workflow's own idempotency key).
 */
import { requireApiProjectRole } from '~/api/auth.server.ts';
import { ApiError, apiRoute, onlyMethods, jsonResponse, parseBody, readJson } from '~/api/http.server.ts';
import { evidenceInputSchema } from '~/api/schemas.ts';
import { recordEvidence } from '~/models/evidence.server.ts';
import { clientIp } from '~/request.server.ts';
import { resolveCaseRef } from '~/models/requests.server.ts';

export const loader = onlyMethods('POST');

export const action = apiRoute(async ({ request, params }) => {
  const { project, user } = await requireApiProjectRole(request, params.slug, 'lead');
  const body = parseBody(evidenceInputSchema, await readJson(request));
  const caseId = await resolveCaseRef({ projectId: project.id, ref: body.case_id });
  if (!caseId) throw new ApiError('not_found', `There is no case "${body.case_id}" in this project.`, { field: 'case_id' });
  // A repeat (same person, case and command) or a conflict is decided by the workflow runtime.
  const r = await recordEvidence({
    caseId,
    actorId: user.id,
    finding: body.finding ?? null,
    kind: body.kind,
    date: body.date,
    resultCode: body.result_code?.trim() || null,
    text: body.text?.trim() ? body.text : null,
    clientRequestId: body.client_request_id,
    ip: clientIp(request),
  });
  if (!r.evidenceId) throw new Error(`evidence.record answered without an evidence id (case ${caseId})`);
  const repeat = r.status === 'duplicate';
  return jsonResponse({ evidence_id: r.evidenceId, case_id: caseId, state: r.state, repeat }, repeat ? 200 : 201);
});
