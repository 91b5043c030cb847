/** WADO-RS / QIDO-RS to the configured PACS for one case, checked per request (see case-images model). */
import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireProjectMember } from '~/permissions.server.ts';
import { proxyCaseDicomWeb } from '~/models/case-images.server.ts';
import { notFoundAs404 } from '~/lib/errors.server.ts';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, project, roles } = await requireProjectMember(request, params.slug);
  const url = new URL(request.url);
  return proxyCaseDicomWeb({
    projectId: project.id,
    caseId: params.caseId ?? '',
    userId: user.id,
    roles,
    path: params['*'] ?? '',
    search: url.search,
    accept: request.headers.get('Accept'),
  }).catch(notFoundAs404);
}
