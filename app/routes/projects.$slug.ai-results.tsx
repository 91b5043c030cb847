import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { AI_RESULT_COLUMNS, importAiResults, listAiModels } from '~/models/ai-results.server.ts';
import { aiResultsFormSchema } from '~/forms/study.server.ts';
import { parseForm } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { formError } from '~/lib/errors.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { Field, FormErrors } from '~/components/field.tsx';

export const meta: MetaFunction = () => [{ title: 'AI results — Truthline' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  return json({ project: { slug: project.slug, name: project.name }, roles, models: await listAiModels({ projectId: project.id }), columns: AI_RESULT_COLUMNS });
}

const MAX_BYTES = 5_000_000;

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const fd = await request.formData();
  const q = parseForm(aiResultsFormSchema, fd);
  if (!q.ok) return validationFailed(q.errors);
  const file = fd.get('file');
  if (!file || typeof file === 'string' || file.size === 0) return validationFailed({ file: ['Choose a file'] });
  if (file.size > MAX_BYTES) return validationFailed({ file: ['The file is larger than 5 MB'] });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await file.arrayBuffer());
  } catch {
    return validationFailed({ file: ['The file is not UTF-8 text'] });
  }
  try {
    const r = await importAiResults({ projectId: project.id, actorId: user.id, format: q.data.format, text });
    return redirectWithFlash(`/projects/${project.slug}/ai-results`, {
      kind: 'success',
      message: `${r.rows} AI result${r.rows === 1 ? '' : 's'} imported for ${r.cases} case${r.cases === 1 ? '' : 's'} (${r.models.join(', ')}).`,
    });
  } catch (e) {
    return formError(e);
  }
}

export default function AiResults() {
  const { project, roles, models, columns } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const errors = data && !data.ok ? data.errors : null;
  const nav = useNavigation();
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <h2>AI results</h2>
      <p className="muted">
        One result per case and model version, shown to readers only in the study's aided arms (<Link to={`/projects/${project.slug}/study`}>study</Link>). A file is checked whole:
        one bad line and nothing is stored.
      </p>
      {models.length ? (
        <table>
          <thead>
            <tr>
              <th>Model</th>
              <th>Version</th>
              <th>Cases</th>
              <th>Last import</th>
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <tr key={`${m.modelName} ${m.modelVersion}`}>
                <td>{m.modelName}</td>
                <td>{m.modelVersion}</td>
                <td>{m.cases}</td>
                <td>{m.at.slice(0, 16)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <div className="empty">No AI results yet.</div>
      )}
      <Form method="post" encType="multipart/form-data" className="panel">
        <FormErrors errors={errors && !errors.file ? errors : null} />
        <Field name="format" label="Format" errors={errors}>
          {(a) => (
            <select name="format" {...a} defaultValue="csv">
              <option value="csv">CSV</option>
              <option value="json">JSON</option>
            </select>
          )}
        </Field>
        <Field
          name="file"
          label="File"
          errors={errors}
          hint={
            <>
              CSV with the header <code>{columns.join(',')}</code>, or JSON: an array of objects with those keys. <code>case_id</code> is the case id you imported.
            </>
          }
        >
          {(a) => <input type="file" name="file" accept=".csv,.json,text/csv,application/json" {...a} />}
        </Field>
        <button type="submit" disabled={nav.state !== 'idle'}>
          Import AI results
        </button>
      </Form>
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
