/** One image file of a case (DICOM Part 10 or PNG/JPEG), only for those who may see the case. */
import type { LoaderFunctionArgs } from '@remix-run/node';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { requireProjectMember } from '~/permissions.server.ts';
import { caseImageFile } from '~/models/case-images.server.ts';
import { notFoundAs404 } from '~/lib/errors.server.ts';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, project, roles } = await requireProjectMember(request, params.slug);
  const img = await caseImageFile({ projectId: project.id, caseId: params.caseId ?? '', userId: user.id, roles, index: params.index ?? '' }).catch(notFoundAs404);
  const body = Readable.toWeb(fs.createReadStream(img.file)) as ReadableStream<Uint8Array>;
  return new Response(body, {
    headers: {
      'Content-Type': img.contentType,
      'Content-Length': String(img.size),
      // Per person: a shared cache must never hand one reader's image to another.
      'Cache-Control': 'private, max-age=3600',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}
