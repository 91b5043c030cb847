/** GET /api/v1/projects/:slug/truth — truth labels with provenance, per case (leads only). */
import { requireApiProjectRole } from '~/api/auth.server.ts';
import { apiRoute, decodeCursor, encodeCursor, jsonResponse, parseQuery } from '~/api/http.server.ts';
import { truthByCase } from '~/api/serialisers.ts';
import { casesAfter } from '~/models/cases-keyset.server.ts';
import { currentTruth, truthHistory } from '~/models/truth.server.ts';
import { truthQuery } from '~/api/schemas.ts';

export const loader = apiRoute(async ({ request, params }) => {
  const { project } = await requireApiProjectRole(request, params.slug, 'lead');
  const q = parseQuery(truthQuery, request);
  const page = await casesAfter({ projectId: project.id, after: decodeCursor(q.cursor), limit: q.limit, withdrawn: 'exclude' });
  const caseIds = page.rows.map((r) => r.c.id);
  const truth = truthByCase(caseIds, q.history === 'true' ? await truthHistory({ caseIds }) : await currentTruth({ caseIds }));
  return jsonResponse({
    cases: page.rows.map((r) => ({ id: r.c.id, case_id: r.c.externalId, state: r.state ?? null, truth: truth.get(r.c.id) ?? [] })),
    next_cursor: page.next ? encodeCursor(page.next) : null,
  });
});
