/**
 * A lead withdraws a case (consent withdrawn): `case.withdraw` purges its identifying metadata,
 * image references and free text in the event's transaction; the chain keeps its hashes; the case
 * leaves later exports and releases.
 */
import { randomUUID } from 'node:crypto';
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { evidencePageData, withdrawCase } from '~/models/evidence.server.ts';
import { withdrawFormSchema } from '~/forms/evidence.server.ts';
import { parseForm, useClientValidation } from '~/lib/forms.ts';
import { notFound, validationFailed } from '~/lib/http.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { Field, FormErrors } from '~/components/field.tsx';
import { formError } from '~/lib/errors.server.ts';

export const meta: MetaFunction = () => [{ title: 'Withdraw a case — Truthline' }];

async function load(projectId: string, caseId: string | undefined) {
  const data = caseId ? await evidencePageData({ projectId, caseId }) : null;
  if (!data) notFound('There is no such case in this project.');
  return data;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const data = await load(project.id, params.caseId);
  return json({ project: { slug: project.slug, name: project.name }, roles, case: data.case, clientRequestId: randomUUID() });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const data = await load(project.id, params.caseId);
  const p = parseForm(withdrawFormSchema, await request.formData());
  if (!p.ok) return validationFailed(p.errors);
  try {
    await withdrawCase({
      caseId: data.case.id,
      actorId: user.id,
      reason: p.data.reason,
      clientRequestId: p.data.clientRequestId,
      ip: request.headers.get('x-truthline-client-ip'),
    });
  } catch (e) {
    return formError(e);
  }
  return redirectWithFlash(`/projects/${project.slug}/cases`, { kind: 'success', message: 'The case was withdrawn; its identifying data were purged.' });
}

export default function Withdraw() {
  const { project, roles, case: c, clientRequestId } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const { clientErrors, onSubmit } = useClientValidation(withdrawFormSchema);
  const errors = clientErrors ?? (data && !data.ok ? data.errors : null);
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <p>
        <Link to={`/projects/${project.slug}/cases/${c.id}`}>← Case {c.externalId ?? '(withdrawn)'}</Link>
      </p>
      <h2>Withdraw this case</h2>
      {c.withdrawnAt ? (
        <p className="flash flash-info">This case was withdrawn on {c.withdrawnAt.slice(0, 10)}.</p>
      ) : (
        <section className="panel">
          <p>
            Withdrawing cannot be undone. The case leaves every later export and release; its accession, study UID, image references, catalogue metadata and free text (evidence
            text, reader comments) are purged now. Its workflow history keeps its hashes, so verification still passes.
          </p>
          <FormErrors errors={errors} />
          <Form method="post" onSubmit={onSubmit} noValidate>
            <input type="hidden" name="clientRequestId" value={clientRequestId} />
            <Field name="reason" label="Reason" errors={errors} hint="Recorded in the case's history: do not enter identifying details.">
              {(a) => <input {...a} name="reason" defaultValue="consent withdrawn" />}
            </Field>
            <Field name="confirm" label="I understand that identifying data will be purged" errors={errors}>
              {(a) => <input {...a} name="confirm" type="checkbox" value="yes" />}
            </Field>
            <button type="submit" className="danger">
              Withdraw the case
            </button>
          </Form>
        </section>
      )}
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
