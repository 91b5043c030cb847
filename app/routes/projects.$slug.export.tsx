import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json, redirect } from '@remix-run/node';
import { Form, useLoaderData } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { clientIp } from '~/request.server.ts';
import { CSV_COLUMNS } from '~/models/export.server.ts';
import { LESION_COLUMNS } from '~/models/marks-export.server.ts';
import { READ_COLUMNS, startExportJob, TRUTH_COLUMNS, type ExportJobResult } from '~/models/export-job.server.ts';
import { projectJob } from '~/models/jobs.server.ts';
import { kickJobs } from '../../jobs/runner.ts';
import { JobProgress } from '~/components/job-progress.tsx';
import { ProjectNav } from '~/components/project-nav.tsx';
import { exportJobFormSchema } from '~/forms/lead.server.ts';
import { parseForm } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';

export const meta: MetaFunction = () => [{ title: 'Export — Truthline' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  // Older links asked this page for the file; downloads live in their own resource route.
  const format = new URL(request.url).searchParams.get('format');
  if (format !== null) throw redirect(`/projects/${project.slug}/export/${encodeURIComponent(format)}`);
  const jobId = new URL(request.url).searchParams.get('job');
  const job = jobId ? await projectJob({ projectId: project.id, jobId }) : null;
  if (jobId && (!job || job.kind !== 'export.build')) throw new Response('No such export in this project.', { status: 404 });
  return json({
    project: { slug: project.slug, name: project.name },
    roles,
    columns: CSV_COLUMNS,
    truthColumns: TRUTH_COLUMNS,
    readColumns: READ_COLUMNS,
    lesionColumns: LESION_COLUMNS,
    job,
  });
}

/** Starts the complete export (truth + reads tables) as a background job. */
export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const p = parseForm(exportJobFormSchema, await request.formData());
  if (!p.ok) return validationFailed(p.errors);
  const job = await startExportJob({ projectId: project.id, format: p.data.format, actorId: user.id, ip: clientIp(request) });
  kickJobs();
  return redirect(`/projects/${project.slug}/export?job=${job.id}`);
}

export default function Export() {
  const { project, roles, columns, truthColumns, readColumns, lesionColumns, job } = useLoaderData<typeof loader>();
  const base = `/projects/${project.slug}/export`;
  const done = job?.status === 'succeeded' ? (job.result as ExportJobResult | null) : null;
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <h2>Export truth with provenance</h2>
      <p>
        One record per case — or per finding in finding-level projects — with its current truth: state, value, method, version, the policy and rule versions, the reads and evidence
        it derives from, who decided and why, and the case's hash-chain head. Cases without truth yet are listed as <code>pending</code>. Withdrawn cases are never included.
      </p>
      <div className="grid">
        <section className="card">
          <h3>CSV</h3>
          <p className="muted">One row per record; values as JSON text, lists separated by “;”.</p>
          <a className="button" href={`${base}/csv`} download>
            Download CSV
          </a>
        </section>
        <section className="card">
          <h3>JSON Lines</h3>
          <p className="muted">One object per line with the derived reads and evidence inlined.</p>
          <a className="button" href={`${base}/jsonl`} download>
            Download JSONL
          </a>
        </section>
        <section className="card">
          <h3>W3C PROV-JSON</h3>
          <p className="muted">Truth labels, reads and evidence as entities, workflow events as activities, people as agents.</p>
          <a className="button" href={`${base}/prov`} download>
            Download PROV-JSON
          </a>
        </section>
      </div>
      <section className="panel" aria-labelledby="full-h">
        <h3 id="full-h">Complete export, in the background</h3>
        <p className="muted">
          Two tables a data scientist can use without re-joining: <strong>truth</strong> (the columns below plus modality, body part, StudyInstanceUID, image references and the
          manifest's metadata) and <strong>reads</strong> (every read in long form: reader's opaque id, answers, confidence, time spent, amendments). Written page by page, so any
          project size works; truth held back by a sequestered release is withheld.
        </p>
        {job ? <JobProgress key={job.id} slug={project.slug} job={job} /> : null}
        {done ? (
          <ul>
            {done.files.map((f) => (
              <li key={f.name}>
                <a href={`${base}/job/${job!.id}/${f.name}`} download>
                  {f.name}
                </a>{' '}
                <span className="hint">
                  {f.rows.toLocaleString('en')} row{f.rows === 1 ? '' : 's'}
                </span>
              </li>
            ))}
          </ul>
        ) : null}
        <Form method="post" className="row" style={{ alignItems: 'flex-end' }}>
          <div>
            <label htmlFor="x-format">Format</label>
            <select id="x-format" name="format" defaultValue={done?.format ?? 'parquet'}>
              <option value="csv">CSV</option>
              <option value="jsonl">JSON Lines</option>
              <option value="parquet">Parquet</option>
            </select>
          </div>
          <button type="submit" disabled={Boolean(job && !job.finished)}>
            Build the export
          </button>
        </Form>
        <p className="hint">
          truth: <code>{truthColumns.join(', ')}</code>
          <br />
          reads: <code>{readColumns.join(', ')}</code>
          <br />
          lesions (projects whose readers mark images): <code>{lesionColumns.join(', ')}</code>
        </p>
      </section>
      <h3>CSV columns</h3>
      <p className="hint">
        <code>{columns.join(', ')}</code>
      </p>
      <p className="muted">
        Also from the command line: <code>npx truthline export --project {project.slug} --format csv|jsonl|prov</code>.
      </p>
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
