import type { ActionFunctionArgs } from '@remix-run/node';
import { requireProjectRole } from '~/permissions.server.ts';
import { skipStudyCase } from '~/models/study.server.ts';
import { takeNextCase } from '~/models/reading.server.ts';
import { studySkipSchema } from '~/forms/study.server.ts';
import { parseForm } from '~/lib/forms.ts';
import { errorMessage, notFoundAs404 } from '~/lib/errors.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { requestSignal } from '~/lib/deadline.server.ts';
import { isUuid, SKIP_REASON_LABELS } from '../../domain/vocabulary.ts';

/** A reader skips the study case they hold (with a reason) and goes on to their next case. */
export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'reader');
  const caseId = params.caseId ?? '';
  if (!isUuid(caseId)) throw new Response('There is no such case in your queue.', { status: 404 });
  const base = `/projects/${project.slug}/read`;
  const q = parseForm(studySkipSchema, await request.formData());
  if (!q.ok) return redirectWithFlash(`${base}/${caseId}`, { kind: 'error', message: 'Say why you skip this case: choose a reason.' });
  const r = await skipStudyCase({ projectId: project.id, caseId, userId: user.id, reason: q.data.reason, note: q.data.note }).catch(notFoundAs404);
  const said = `Skipped (${SKIP_REASON_LABELS[q.data.reason].toLowerCase()}): ${r.outcome === 'deferred' ? 'it comes back at the end of this session' : 'it will not be offered to you again'}.`;
  try {
    const next = await takeNextCase({ projectId: project.id, userId: user.id, signal: requestSignal(request) });
    if (!next) return redirectWithFlash(base, { kind: 'success', message: said });
    return redirectWithFlash(`${base}/${next.caseId}`, { kind: 'success', message: `${said} Here is your next case.` });
  } catch (e) {
    return redirectWithFlash(base, { kind: 'error', message: `${said} ${errorMessage(e)}` });
  }
}
