/**
 * /projects/:slug/froc/coco — the decided truth lesions of the project as COCO JSON (boxes and
 * outlines, with each image's case id), as the FROC job last stored it: the request reads one row.
 */
import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireProjectRole } from '~/permissions.server.ts';
import { storedTruthCoco } from '~/models/froc.server.ts';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project } = await requireProjectRole(request, params.slug, 'lead');
  const coco = await storedTruthCoco({ projectId: project.id });
  if (!coco) throw new Response('No COCO file yet: compute the FROC scores first (the job writes it).', { status: 404 });
  return new Response(JSON.stringify(coco), {
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Disposition': `attachment; filename="${project.slug}-truth-lesions.coco.json"`,
      'Cache-Control': 'no-store',
    },
  });
}
