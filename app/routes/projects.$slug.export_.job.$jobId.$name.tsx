/** GET /projects/:slug/export/job/:jobId/:name — a finished complete export's file, streamed from the database and audited. */
import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireProjectRole } from '~/permissions.server.ts';
import { clientIp } from '~/request.server.ts';
import { exportJobFile } from '~/models/export-job.server.ts';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const f = await exportJobFile({ projectId: project.id, jobId: params.jobId ?? '', name: params.name ?? '', actorId: user.id, ip: clientIp(request) });
  if (!f) throw new Response('No such export file in this project.', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  return new Response(f.body, {
    headers: { 'Content-Type': f.contentType, 'Content-Disposition': `attachment; filename="${project.slug}-${f.fileName}"`, 'Cache-Control': 'no-store' },
  });
}
