/**
 * GET /projects/:slug/releases/:number/:file — one file of a release. The model decides who may
 * (leads; people the lead named for this release) and logs the download before it is sent.
 */
import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireProjectMember } from '~/permissions.server.ts';
import { clientIp } from '~/request.server.ts';
import { downloadReleaseFile } from '~/models/releases.server.ts';
import { AppError } from '../../domain/errors.ts';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, project } = await requireProjectMember(request, params.slug);
  const number = /^\d{1,9}$/.test(params.number ?? '') ? Number(params.number) : 0;
  try {
    const f = await downloadReleaseFile({ projectId: project.id, number, name: params.file ?? '', userId: user.id, ip: clientIp(request) });
    return new Response(f.content, {
      headers: {
        'Content-Type': f.contentType,
        'Content-Disposition': `attachment; filename="${project.slug}-release-${number}-${f.fileName}"`,
        'Cache-Control': 'no-store',
      },
    });
  } catch (e) {
    if (e instanceof AppError && (e.code === 'not_found' || e.code === 'forbidden'))
      throw new Response(e.message, { status: e.code === 'forbidden' ? 403 : 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
    throw e;
  }
}
