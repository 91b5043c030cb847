import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { projectJobs } from '~/models/jobs.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { JobProgress, STATUS_TEXT } from '~/components/job-progress.tsx';

export const meta: MetaFunction = () => [{ title: 'Jobs — Truthline' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const jobs = await projectJobs({ projectId: project.id, limit: 50 });
  return json({ project: { slug: project.slug, name: project.name }, roles, jobs });
}

export default function Jobs() {
  const { project, roles, jobs } = useLoaderData<typeof loader>();
  const active = jobs.filter((j) => !j.finished);
  const past = jobs.filter((j) => j.finished);
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <h2>Jobs</h2>
      <p className="muted">Imports, exports and releases run in the background; the server stays usable meanwhile. The 50 most recent are listed.</p>
      {jobs.length === 0 ? <p>No jobs yet. Importing cases or evidence, exports and releases appear here.</p> : null}
      {active.map((j) => (
        <JobProgress key={j.id} slug={project.slug} job={j} />
      ))}
      {past.length ? (
        <table>
          <caption className="sr-only">Finished jobs</caption>
          <thead>
            <tr>
              <th>Job</th>
              <th>Result</th>
              <th>Started</th>
              <th>Took</th>
              <th>Details</th>
            </tr>
          </thead>
          <tbody>
            {past.map((j) => (
              <tr key={j.id}>
                <td>{j.label}</td>
                <td>
                  <span className={`badge ${j.status === 'succeeded' ? 'badge-ok' : j.status === 'failed' ? 'badge-bad' : 'badge-info'}`}>{STATUS_TEXT[j.status]}</span>
                </td>
                <td>{j.startedAt ? new Date(j.startedAt).toISOString().slice(0, 16).replace('T', ' ') : '—'}</td>
                <td>{j.startedAt && j.finishedAt ? `${Math.max(0, Math.round((Date.parse(j.finishedAt) - Date.parse(j.startedAt)) / 1000))} s` : '—'}</td>
                <td className="hint">{j.error ?? j.phase}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
