/** The view names ("L CC") of a case's DICOM images by SOP Instance UID, for those who may see the case. */
import type { LoaderFunctionArgs } from '@remix-run/node';
import { json } from '@remix-run/node';
import { requireProjectMember } from '~/permissions.server.ts';
import { caseImageViews } from '~/models/marks-images.server.ts';
import { notFoundAs404 } from '~/lib/errors.server.ts';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, project, roles } = await requireProjectMember(request, params.slug);
  const views = await caseImageViews({ projectId: project.id, caseId: params.caseId ?? '', userId: user.id, roles }).catch(notFoundAs404);
  // Per person, like the images themselves.
  return json({ views }, { headers: { 'Cache-Control': 'private, max-age=3600' } });
}
