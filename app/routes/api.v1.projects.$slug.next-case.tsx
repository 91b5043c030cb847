/** POST /api/v1/projects/:slug/next-case — the reader's next case (the reader page's assignment). */
import { requireApiProjectRole } from '~/api/auth.server.ts';
import { apiRoute, onlyMethods, jsonResponse } from '~/api/http.server.ts';
import { getReaderCase, takeNextCase } from '~/models/reading.server.ts';
import { requestSignal } from '~/lib/deadline.server.ts';
import { formItems } from '../../workflows/definition.ts';

export const loader = onlyMethods('POST');

export const action = apiRoute(async ({ request, params }) => {
  const { project, user } = await requireApiProjectRole(request, params.slug, 'reader');
  const a = await takeNextCase({ projectId: project.id, userId: user.id, signal: requestSignal(request) });
  if (!a) return jsonResponse({ assignment: null, case: null, reader_form: null, item_keys: [], next: null });
  const view = await getReaderCase({ projectId: project.id, caseId: a.caseId, userId: user.id });
  return jsonResponse({
    assignment: { id: a.assignmentId, expires_at: a.expiresAt?.toISOString() ?? null, reused: a.reused },
    case: { id: view.case.id, study_date: view.case.studyDate, modality: view.case.modality, body_part: view.case.bodyPart, images: view.case.images },
    reader_form: view.readerForm,
    item_keys: formItems(view.readerForm).map((i) => i.key),
    // The reserved next case: its id and images only (to prefetch), nothing another reader wrote.
    next: a.next ? { case_id: a.next.caseId, images: a.next.images } : null,
  });
});
