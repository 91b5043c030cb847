import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { formatCount } from '~/components/values.ts';
import { Link, useLoaderData } from '@remix-run/react';
import { requireUser } from '~/auth.server.ts';
import { listProjectsForUser } from '~/models/projects.server.ts';

export const meta: MetaFunction = () => [{ title: 'Projects — Truthline' }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const projects = await listProjectsForUser({ userId: user.id });
  return json({ projects, isAdmin: user.isAdmin, canCreateProjects: user.canCreateProjects, name: user.name, mustChangePassword: user.mustChangePassword });
}

const roleLabel: Record<string, string> = { reader: 'Reader', adjudicator: 'Adjudicator', lead: 'Lead' };

export default function Index() {
  const { projects, isAdmin, canCreateProjects, name, mustChangePassword } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="row">
        <h1>Your projects</h1>
        <span className="spacer" />
        {canCreateProjects ? (
          <Link className="button secondary" to="/projects/new">
            New project
          </Link>
        ) : null}
      </div>
      <p className="muted">Signed in as {name}.</p>
      {mustChangePassword ? (
        <div className="flash flash-info" role="status">
          You are using a one-time password. <Link to="/account">Choose your own password</Link>.
        </div>
      ) : null}
      {projects.length === 0 ? (
        <div className="empty">
          <p>You are not a member of any project yet.</p>
          {isAdmin ? (
            <p>
              As an administrator you manage <Link to="/admin/users">accounts</Link>; project data is visible only to project members.
            </p>
          ) : (
            <p>Ask a project lead to add you.</p>
          )}
        </div>
      ) : (
        <div className="grid">
          {projects.map((p) => (
            <article key={p.id} className="card">
              <h2>
                <Link to={`/projects/${p.slug}`}>{p.name}</Link>
              </h2>
              <p className="muted">{p.description}</p>
              <div className="row">
                {p.roles.map((r) => (
                  <span key={r} className="badge badge-info">
                    {roleLabel[r] ?? r}
                  </span>
                ))}
                <span className="spacer" />
                <span className="muted">{formatCount(p.caseCount)} cases</span>
              </div>
            </article>
          ))}
        </div>
      )}
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
