/**
 * /projects/:slug/froc — localisation scores of the readers' marks against the truth lesions
 * (wAFROC, FROC points, and between the arms of a reader study the JAFROC OR analysis). Never
 * computed on request: the lead starts a job that stores the figures; the page reads them.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json, redirect } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { requireProjectRole } from '~/permissions.server.ts';
import { frocForPage, queueFroc, referenceSources } from '~/models/froc.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { FrocTables } from '~/components/froc-tables.tsx';
import { MarksAgreementTables } from '~/components/marks-agreement-tables.tsx';
import { leadLinks } from '~/components/lead-links.ts';
import { parseForm } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';

export const links = leadLinks;
export const meta: MetaFunction = () => [{ title: 'FROC — Truthline' }];

export const frocFormSchema = z.object({ truthSource: z.string().max(200).optional().default('') });

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const truthSource = new URL(request.url).searchParams.get('truth') || null;
  const page = await frocForPage({ projectId: project.id, truthSource });
  return json({ project: { slug: project.slug, name: project.name }, roles, truthSource, ...page });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const p = parseForm(frocFormSchema, await request.formData());
  if (!p.ok) return validationFailed(p.errors);
  const truthSource = p.data.truthSource || null;
  if (truthSource && !(await referenceSources({ projectId: project.id })).includes(truthSource))
    return validationFailed({ truthSource: [`No imported reference source named ${truthSource} in this project`] });
  await queueFroc({ projectId: project.id, truthSource, actorId: user.id });
  return redirect(`/projects/${project.slug}/froc${truthSource ? `?truth=${encodeURIComponent(truthSource)}` : ''}`);
}

export default function Froc() {
  const { project, roles, truthSource, result, computing, hasMarks, sources, cocoAt } = useLoaderData<typeof loader>();
  const failed = useActionData<typeof action>() as { errors?: Record<string, string[]> } | undefined;
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <h2>Localisation (FROC)</h2>
      <p className="muted">
        Each reader's marks scored by location against the truth lesions: per marks item, marks are matched one-to-one to the lesions by the definition's match rule (the rule of
        agreement by location). A matched mark localises its lesion; every other mark is a non-lesion localisation. Cases counted: decided cases (verified or pending truth) whose
        truth holds a marks item; a case without truth lesions is a normal case. wAFROC weighs each lesion of a case 1/L. Marks are rated by the item's first ordinal or numeric
        lesion field.
      </p>
      {!hasMarks ? (
        <p>This project's reader form has no marks items.</p>
      ) : (
        <>
          <Form method="post" className="inline-form">
            <label>
              Truth lesions{' '}
              <select name="truthSource" defaultValue={truthSource ?? ''}>
                <option value="">the case's decided truth lesions</option>
                {sources.map((s) => (
                  <option key={s} value={s}>
                    imported reference: {s}
                  </option>
                ))}
              </select>
            </label>{' '}
            <button type="submit" disabled={computing}>
              {computing ? 'Computing…' : 'Compute FROC scores'}
            </button>
          </Form>
          {failed?.errors ? (
            <p role="alert" className="error">
              {Object.values(failed.errors).flat().join('; ')}
            </p>
          ) : null}
          {cocoAt ? (
            <p>
              <a href={`/projects/${project.slug}/froc/coco`} download>
                Download the truth lesions as COCO JSON
              </a>{' '}
              <span className="muted">
                (boxes and outlines of every decided case, each image with its case id; points and ellipses have no COCO form and are counted as left out; made{' '}
                {cocoAt.slice(0, 16).replace('T', ' ')} UTC by the last computation)
              </span>
            </p>
          ) : null}
          {computing ? <p role="status">A job is computing the scores; reload to see them.</p> : null}
          {!result ? <p>Not computed yet for this truth source.</p> : result.cases === 0 ? <p>No decided cases with marks yet.</p> : <FrocTables result={result} />}
          <MarksAgreementTables result={result?.agreement ?? null} />
        </>
      )}
    </>
  );
}
