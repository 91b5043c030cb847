import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json, redirect } from '@remix-run/node';
import { Form, Link, useLoaderData } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { claimCase, listAdjudicationQueue, readerFormsOf } from '~/models/adjudication.server.ts';
import { claimSchema, queueAfterSchema } from '~/forms/reading.server.ts';
import { describeDispute } from '~/lib/reader-form.ts';
import { casesInProject } from '~/models/reading.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { parseForm } from '~/lib/forms.ts';
import { errorMessage } from '~/lib/errors.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';

export const meta: MetaFunction = () => [{ title: 'Adjudication — Truthline' }];

const PAGE = 50;

export async function loader({ request, params }: LoaderFunctionArgs) {
  // The lead sees the queue too, read-only (claiming stays with adjudicators: see the action).
  const { user, project, roles } = await requireProjectRole(request, params.slug, ['adjudicator', 'lead']);
  const q = new URL(request.url).searchParams;
  const a = queueAfterSchema.safeParse({ since: q.get('since'), case: q.get('case') });
  const after = a.success ? { since: a.data.since, caseId: a.data.case } : undefined;
  const queue = await listAdjudicationQueue({ projectId: project.id, userId: user.id, limit: PAGE, after });
  const last = queue[queue.length - 1];
  const nextPage = queue.length === PAGE && last ? `?${new URLSearchParams({ since: last.since, case: last.caseId })}` : null;
  // Disputes in the form's words: question labels and option labels, not keys and raw values.
  const forms = await readerFormsOf({ caseIds: queue.map((e) => e.caseId) });
  const rows = queue.map((e) => {
    const form = forms.get(e.caseId);
    return {
      caseId: e.caseId,
      since: e.since,
      claimedByMe: e.claimedByMe,
      disputes: e.disputes.map((d) => (form ? describeDispute(form, d) : { item: d.item, rule: d.rule, reason: d.reason })),
    };
  });
  return json({ project: { slug: project.slug, name: project.name }, roles, canClaim: roles.includes('adjudicator'), queue: rows, nextPage, paged: Boolean(after) });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'adjudicator');
  const p = parseForm(claimSchema, await request.formData());
  if (!p.ok) return validationFailed(p.errors);
  const base = `/projects/${project.slug}/adjudicate`;
  if ((await casesInProject({ projectId: project.id, caseIds: [p.data.caseId] })).length === 0)
    return redirectWithFlash(base, { kind: 'error', message: 'That case is not in this project.' });
  try {
    await claimCase({ caseId: p.data.caseId, userId: user.id });
  } catch (e) {
    return redirectWithFlash(base, { kind: 'error', message: errorMessage(e) });
  }
  return redirect(`${base}/${p.data.caseId}`);
}

export default function AdjudicationQueue() {
  const { project, roles, canClaim, queue, nextPage, paged } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <h2>Disputed cases{nextPage || paged ? '' : ` (${queue.length})`}</h2>
      <p className="muted">Oldest first. You never see cases you read yourself.{canClaim ? '' : ' Read-only: adjudicators resolve these cases.'}</p>
      {queue.length === 0 ? (
        <div className="empty">No disputed case is waiting for you.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Case</th>
              <th>Waiting since</th>
              <th>What is disputed</th>
              {canClaim ? (
                <th>
                  <span className="sr-only">Action</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {queue.map((q) => (
              <tr key={q.caseId}>
                <td>
                  <code>{q.caseId.slice(0, 8)}</code>
                </td>
                <td>{new Date(q.since).toLocaleDateString()}</td>
                <td>
                  <ul style={{ margin: 0, paddingLeft: '1.1rem' }}>
                    {q.disputes.map((d, i) => (
                      <li key={i}>
                        <strong>{d.item}</strong>: {d.reason} <span className="badge">{d.rule}</span>
                      </li>
                    ))}
                  </ul>
                </td>
                {canClaim ? (
                  <td>
                    <Form method="post">
                      <input type="hidden" name="caseId" value={q.caseId} />
                      <button type="submit">{q.claimedByMe ? 'Continue' : 'Adjudicate'}</button>
                    </Form>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {nextPage || paged ? (
        <p>
          {paged ? <Link to=".">← First page</Link> : null} {nextPage ? <Link to={nextPage}>Next {PAGE} →</Link> : null}
        </p>
      ) : null}
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
