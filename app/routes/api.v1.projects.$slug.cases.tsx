/**
 * GET  /api/v1/projects/:slug/cases — the project's cases (leads), cursor pagination.
 * POST /api/v1/projects/:slug/cases — bulk create (leads), all or nothing, through the same
 *      importer as the lead's import page (app/models/import.server.ts).
 */
import { requireApiProjectRole } from '~/api/auth.server.ts';
import { ApiError, apiRoute, BULK_BODY_LIMIT, decodeCursor, encodeCursor, issuesOf, jsonResponse, parseBody, parseQuery, readJson } from '~/api/http.server.ts';
import { caseJson } from '~/api/serialisers.ts';
import { casesAfter } from '~/models/cases-keyset.server.ts';
import { bulkCreateCasesSchema, caseInputSchema, pageQuery } from '~/api/schemas.ts';
import { ImportFailed, importManifest } from '~/models/import.server.ts';
import { clientIp } from '~/request.server.ts';
import { getCaseWorkflow } from '../../workflows/runtime.ts';

export const loader = apiRoute(async ({ request, params }) => {
  const { project } = await requireApiProjectRole(request, params.slug, 'lead');
  const q = parseQuery(pageQuery, request);
  const page = await casesAfter({ projectId: project.id, after: decodeCursor(q.cursor), limit: q.limit, withdrawn: 'include' });
  return jsonResponse({ cases: page.rows.map(caseJson), next_cursor: page.next ? encodeCursor(page.next) : null });
});

export const action = apiRoute(async ({ request, params }) => {
  const { project, user } = await requireApiProjectRole(request, params.slug, 'lead');
  const body = parseBody(bulkCreateCasesSchema, await readJson(request, BULK_BODY_LIMIT));
  // Every row first: all problems in one answer, each naming the row (0-based index) and field.
  const details: { index: number; field: string | null; message: string }[] = [];
  const rows = body.cases.map((raw, index) => {
    const r = caseInputSchema.safeParse(raw);
    if (!r.success) for (const i of issuesOf(r.error)) details.push({ index, field: i.path.length ? String(i.path[0]) : null, message: i.message });
    return r.success ? r.data : null;
  });
  if (details.length) throw new ApiError('invalid_rows', `${new Set(details.map((d) => d.index)).size} of ${rows.length} rows are not valid; nothing was created.`, details);
  try {
    const result = await importManifest({
      projectId: project.id,
      // The rows as sent (not zod's output with defaults filled in): the importer tells an absent
      // split from an explicit one when it checks a patient's existing split.
      text: JSON.stringify(body.cases),
      format: 'json',
      actorId: user.id,
      ip: clientIp(request),
    });
    const states = await Promise.all(result.caseIds.map((id) => getCaseWorkflow({ caseId: id })));
    return jsonResponse({ created: result.cases, cases: result.caseIds.map((id, i) => ({ id, case_id: rows[i]!.case_id, state: states[i]?.state ?? 'none' })) }, 201);
  } catch (e) {
    if (e instanceof ImportFailed) {
      const errs = e.preview.errors.map((x) => ({ index: x.row > 0 ? x.row - 1 : null, field: x.field, message: x.message }));
      throw new ApiError('invalid_rows', `${errs.length} problem(s); nothing was created.`, errs);
    }
    throw e;
  }
});
