/**
 * GET /projects/:slug/export/:format — the Export page's downloads (csv, jsonl, prov) as a
 * resource route: the file is streamed page by page and the `truth.export` audit row written
 * once its last piece has been produced.
 */
import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireProjectRole } from '~/permissions.server.ts';
import { clientIp } from '~/request.server.ts';
import { EXPORT_FORMATS, type ExportFormat } from '~/models/export.server.ts';
import { streamTruth } from '~/models/export-stream.server.ts';
import { recordExport } from '~/models/releases.server.ts';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const format = params.format ?? '';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new Response(`Unknown export format "${format.slice(0, 40)}": use csv, jsonl or prov.`, { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  }
  const ip = clientIp(request);
  const file = streamTruth({
    projectId: project.id,
    format: format as ExportFormat,
    onDone: (records) => recordExport({ projectId: project.id, actorId: user.id, format, records, ip }),
  });
  const stamp = new Date().toISOString().slice(0, 10);
  return new Response(file.body, {
    headers: {
      'Content-Type': file.contentType,
      'Content-Disposition': `attachment; filename="${project.slug}-truth-${stamp}.${file.extension}"`,
      'Cache-Control': 'no-store',
    },
  });
}
