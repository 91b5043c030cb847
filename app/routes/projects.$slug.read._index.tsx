import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json, redirect } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigation } from '@remix-run/react';
import { requestSignal } from '~/lib/deadline.server.ts';
import { requireProjectRole } from '~/permissions.server.ts';
import { getReaderProgress, listMyReads, takeNextCase } from '~/models/reading.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { errorMessage } from '~/lib/errors.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { getReaderStudyStatus } from '~/models/study.server.ts';
import { StudyReaderStatus } from '~/components/study-reader-status.tsx';

export const meta: MetaFunction = () => [{ title: 'Reading queue — Truthline' }];
const PAGE = 20;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, project, roles } = await requireProjectRole(request, params.slug, 'reader');
  const page = Math.max(1, Number(new URL(request.url).searchParams.get('page')) || 1);
  const [progress, mine, study] = await Promise.all([
    getReaderProgress({ projectId: project.id, userId: user.id }),
    listMyReads({ projectId: project.id, userId: user.id, limit: PAGE, offset: (page - 1) * PAGE }),
    getReaderStudyStatus({ projectId: project.id, userId: user.id }),
  ]);
  return json({ project: { slug: project.slug, name: project.name }, roles, progress, mine, study, page, pages: Math.max(1, Math.ceil(mine.total / PAGE)) });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'reader');
  const base = `/projects/${project.slug}/read`;
  try {
    const next = await takeNextCase({ projectId: project.id, userId: user.id, signal: requestSignal(request) });
    if (!next) return redirectWithFlash(base, { kind: 'info', message: 'No case is waiting for you right now. Well done — check back later.' });
    return redirect(`${base}/${next.caseId}`);
  } catch (e) {
    return redirectWithFlash(base, { kind: 'error', message: errorMessage(e) });
  }
}

export default function ReadQueue() {
  const { project, roles, progress, mine, study, page, pages } = useLoaderData<typeof loader>();
  const nav = useNavigation();
  const pct = progress.total ? Math.round((100 * progress.done) / progress.total) : 0;
  const resume = progress.open[0]?.caseId;
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      {study ? <StudyReaderStatus study={study} /> : null}
      <section className="panel">
        <div className="row">
          <div>
            <div className="stat">
              {progress.done}{' '}
              <span className="muted" style={{ fontSize: '1rem', fontWeight: 400 }}>
                read
              </span>
            </div>
            <div className="muted">
              {progress.open.length} open assignment{progress.open.length === 1 ? '' : 's'} · {progress.total} cases in the project
            </div>
          </div>
          <span className="spacer" />
          {resume ? (
            <Link className="button" to={`/projects/${project.slug}/read/${resume}`}>
              Resume where you left off
            </Link>
          ) : (
            <Form method="post">
              <button type="submit" disabled={nav.state !== 'idle'} autoFocus>
                {nav.state === 'submitting' ? 'Finding a case…' : 'Start the next case'}
              </button>
            </Form>
          )}
        </div>
        <div
          className="progress"
          role="progressbar"
          aria-label="Your share of the project read"
          aria-valuenow={pct}
          aria-valuemin={0}
          aria-valuemax={100}
          style={{ marginTop: '0.8rem' }}
        >
          <span style={{ width: `${pct}%` }} />
        </div>
        <p className="keys">
          On a case: <kbd>1</kbd>–<kbd>9</kbd> choose · <kbd>Enter</kbd> submit · <kbd>n</kbd> next case · <kbd>[</kbd> <kbd>]</kbd> images · <kbd>+</kbd> <kbd>−</kbd> zoom ·
          arrows pan · <kbd>0</kbd> reset
        </p>
      </section>
      <h2>Cases you have read</h2>
      {mine.items.length === 0 ? (
        <div className="empty">You have not read any case in this project yet.</div>
      ) : (
        <>
          <table>
            <thead>
              <tr>
                <th>Case</th>
                <th>Study date</th>
                <th>Your read</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {mine.items.map((r) => (
                <tr key={r.caseId}>
                  <td>
                    <code>{r.caseId.slice(0, 8)}</code>
                  </td>
                  <td>{r.studyDate}</td>
                  <td>
                    {new Date(r.at).toLocaleString()} {r.cannotAssess ? <span className="badge badge-warn">cannot assess</span> : null}{' '}
                    {r.amended ? <span className="badge">amended</span> : null}
                  </td>
                  <td>
                    <Link to={`/projects/${project.slug}/read/${r.caseId}`}>View or amend</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {pages > 1 ? (
            <nav className="row" aria-label="Pages" style={{ marginTop: '0.6rem' }}>
              {page > 1 ? <Link to={`?page=${page - 1}`}>‹ Newer</Link> : null}
              <span className="muted">
                Page {page} of {pages}
              </span>
              {page < pages ? <Link to={`?page=${page + 1}`}>Older ›</Link> : null}
            </nav>
          ) : null}
        </>
      )}
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
