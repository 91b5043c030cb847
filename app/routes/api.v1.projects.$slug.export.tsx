/**
 * GET /api/v1/projects/:slug/export?format=csv|jsonl|prov — truth with provenance, the same file
 * as the lead's export page (app/models/export.server.ts; withdrawn cases are never included),
 * with the same audit row (`truth.export`), streamed.
 */
import { requireApiProjectRole } from '~/api/auth.server.ts';
import { apiRoute, parseQuery } from '~/api/http.server.ts';
import { exportQuery } from '~/api/schemas.ts';
import { streamTruth } from '~/models/export-stream.server.ts';
import { recordExport } from '~/models/releases.server.ts';
import { clientIp } from '~/request.server.ts';

export const loader = apiRoute(async ({ request, params }) => {
  const { project, user } = await requireApiProjectRole(request, params.slug, 'lead');
  const { format } = parseQuery(exportQuery, request);
  const ip = clientIp(request);
  // Streamed; the audit row is written once the last piece has been produced.
  const file = streamTruth({ projectId: project.id, format, onDone: (records) => recordExport({ projectId: project.id, actorId: user.id, format, records, ip }) });
  const stamp = new Date().toISOString().slice(0, 10);
  return new Response(file.body, {
    status: 200,
    headers: {
      'Content-Type': file.contentType,
      'Content-Disposition': `attachment; filename="${project.slug}-truth-${stamp}.${file.extension}"`,
      'Cache-Control': 'no-store',
    },
  });
});
