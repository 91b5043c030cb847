import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { formatCount } from '~/components/values.ts';
import { Link, useLoaderData } from '@remix-run/react';
import { requireProjectMember } from '~/permissions.server.ts';
import { getProjectOverview, type OverviewStateRow } from '~/models/overview.server.ts';
import { STATE_LABEL } from '../../domain/workflow-states.ts';
import { ProjectNav } from '~/components/project-nav.tsx';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.project.name ?? 'Project'} — Truthline` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, project, roles } = await requireProjectMember(request, params.slug);
  const overview = await getProjectOverview({ projectId: project.id, userId: user.id, isLead: roles.includes('lead') });
  return json({ project: { slug: project.slug, name: project.name, description: project.description, licence: project.licence }, roles, overview });
}

function stateLabel(state: OverviewStateRow['state']): string {
  if (state === 'notStarted') return 'Not started';
  return STATE_LABEL[state] ?? state;
}

export default function ProjectOverview() {
  const { project, roles, overview } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <p>{project.description}</p>
      <div className="grid">
        <div className="card">
          <div className="muted">Cases</div>
          <div className="stat">{formatCount(overview.total)}</div>
        </div>
        {roles.includes('reader') ? (
          <div className="card">
            <div className="muted">Cases you have read</div>
            <div className="stat">{formatCount(overview.mine)}</div>
            <Link className="button" to={`/projects/${project.slug}/read`}>
              Go to your reading queue
            </Link>
          </div>
        ) : null}
        {roles.includes('adjudicator') ? (
          <div className="card">
            <div className="muted">Adjudication</div>
            <p>Resolve disputed cases.</p>
            <Link className="button" to={`/projects/${project.slug}/adjudicate`}>
              Open the adjudication queue
            </Link>
          </div>
        ) : null}
      </div>
      {roles.includes('lead') ? (
        <>
          <h2>Workflow</h2>
          {overview.byState.length === 0 ? (
            <div className="empty">No case has started its workflow yet.</div>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>State</th>
                  <th>Cases</th>
                </tr>
              </thead>
              <tbody>
                {overview.byState.map((s) => (
                  <tr key={s.state}>
                    <td>{stateLabel(s.state)}</td>
                    <td>{formatCount(s.n)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <td>
                    <strong>All cases</strong>
                  </td>
                  <td>
                    <strong>{formatCount(overview.total)}</strong>
                  </td>
                </tr>
              </tfoot>
            </table>
          )}
          {overview.withdrawn > 0 ? (
            <p className="muted">
              {formatCount(overview.withdrawn)} withdrawn case{overview.withdrawn === 1 ? ' is' : 's are'} not counted.
            </p>
          ) : null}
          <h2>Members</h2>
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Email</th>
                <th>Role</th>
              </tr>
            </thead>
            <tbody>
              {overview.members.map((m) => (
                <tr key={m.email + m.role}>
                  <td>{m.name}</td>
                  <td>{m.email}</td>
                  <td>{m.role}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted">Licence: {project.licence || 'not set'}</p>
        </>
      ) : null}
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
