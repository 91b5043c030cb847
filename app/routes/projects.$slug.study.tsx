import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { getStudySummary, setUpStudyUnits } from '~/models/study.server.ts';
import { studySetupSchema } from '~/forms/study.server.ts';
import { parseForm } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { formError } from '~/lib/errors.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { FormErrors } from '~/components/field.tsx';
import { StudySummary } from '~/components/study-summary.tsx';

export const meta: MetaFunction = () => [{ title: 'Reader study — Truthline' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const summary = await getStudySummary({ projectId: project.id });
  return json({ project: { slug: project.slug, name: project.name }, roles, summary });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const q = parseForm(studySetupSchema, await request.formData());
  if (!q.ok) return validationFailed(q.errors);
  try {
    const r = await setUpStudyUnits({ projectId: project.id, actorId: user.id });
    return redirectWithFlash(`/projects/${project.slug}/study`, {
      kind: 'success',
      message: `${r.units} reading unit${r.units === 1 ? '' : 's'} set up (${r.cases} case${r.cases === 1 ? '' : 's'}, ${r.calibration} calibration).`,
    });
  } catch (e) {
    return formError(e);
  }
}

export default function StudyPage() {
  const { project, roles, summary } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const nav = useNavigation();
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <h2>Reader study</h2>
      <FormErrors errors={data && !data.ok ? data.errors : null} />
      {!summary ? (
        <div className="empty">
          This project is not a reader study. Add a <code>study</code> section (arms, washout, re-reads, calibration) to a new version of its definition on the{' '}
          <Link to={`/projects/${project.slug}/settings`}>Setup</Link> page.
        </div>
      ) : (
        <>
          <StudySummary summary={summary} slug={project.slug} />
          {summary.units.pending > 0 && summary.locked ? (
            <div className="panel flash-warning" data-testid="study-locked">
              <p>
                {summary.units.pending} case{summary.units.pending === 1 ? ' was' : 's were'} imported after readers started. They are not part of this study and no reader is
                offered them: the study's cases were locked when the first reader started, so that every reader reads the same cases in every arm under the same washout (a
                regulatory reader study fixes its case set before reading begins). Read them in a new study project.
              </p>
            </div>
          ) : summary.units.pending > 0 ? (
            <Form method="post" className="panel">
              <p>
                {summary.units.pending} imported case{summary.units.pending === 1 ? ' is' : 's are'} not yet reading units. Set them up before readers start: the study's cases are
                locked when the first reader asks for a case (each reader's plan is made then, and every plan holds the same cases).
              </p>
              <button type="submit" name="intent" value="setup" disabled={nav.state !== 'idle'}>
                Set up reading units
              </button>
            </Form>
          ) : null}
        </>
      )}
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
