/** The case's truth lesions as a DICOM SR measurement report (TID 1500), for the lead. */
import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireProjectRole } from '~/permissions.server.ts';
import { caseMarksSr } from '~/models/marks.server.ts';
import { notFoundAs404 } from '~/lib/errors.server.ts';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project } = await requireProjectRole(request, params.slug, 'lead');
  const bytes = await caseMarksSr({ projectId: project.id, caseId: params.caseId ?? '' }).catch(notFoundAs404);
  return new Response(new Uint8Array(bytes), {
    headers: {
      'Content-Type': 'application/dicom',
      'Content-Disposition': `attachment; filename="case-${(params.caseId ?? '').slice(0, 8)}-lesions.dcm"`,
      'Cache-Control': 'private, no-store',
    },
  });
}
