/**
 * /projects/:slug/releases — the lead freezes the test set (a release job: truth files, chain
 * heads, split, STARD counts, Croissant card), lists and compares releases. A member the lead
 * named for a sequestered release sees that release's downloads here, nothing else.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json, redirect } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { requireProjectMember, requireProjectRole } from '~/permissions.server.ts';
import { clientIp } from '~/request.server.ts';
import { diffReleases, listReleases, readinessText, releaseReadiness, releasesGrantedTo, startRelease } from '~/models/releases.server.ts';
import { projectJob } from '~/models/jobs.server.ts';
import { kickJobs } from '../../jobs/runner.ts';
import { JobProgress } from '~/components/job-progress.tsx';
import { ProjectNav } from '~/components/project-nav.tsx';
import { FormErrors } from '~/components/field.tsx';
import { releaseFormSchema } from '~/forms/lead.server.ts';
import { parseForm, type FieldErrors } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';

export const meta: MetaFunction = () => [{ title: 'Releases — Truthline' }];

const num = (s: string | null) => (s && /^\d{1,9}$/.test(s) ? Number(s) : null);

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, project, roles } = await requireProjectMember(request, params.slug);
  const base = { project: { slug: project.slug, name: project.name }, roles };
  if (!roles.includes('lead')) {
    return json({ ...base, lead: false as const, granted: await releasesGrantedTo({ projectId: project.id, userId: user.id }) });
  }
  const url = new URL(request.url);
  const jobId = url.searchParams.get('job');
  const job = jobId ? await projectJob({ projectId: project.id, jobId }) : null;
  if (jobId && (!job || job.kind !== 'release.build')) throw new Response('No such release job in this project.', { status: 404 });
  const [from, to] = [num(url.searchParams.get('from')), num(url.searchParams.get('to'))];
  const diff = from && to ? await diffReleases({ projectId: project.id, from, to }) : null;
  const readiness = await releaseReadiness({ projectId: project.id });
  return json({
    ...base,
    lead: true as const,
    releases: await listReleases({ projectId: project.id }),
    readiness: { ...readiness, text: readiness.pending ? readinessText(readiness) : '' },
    job,
    diff,
  });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const p = parseForm(releaseFormSchema, await request.formData());
  if (!p.ok) return validationFailed(p.errors);
  const readiness = await releaseReadiness({ projectId: project.id });
  if (readiness.pending > 0 && !p.data.confirm)
    return validationFailed({ confirm: [`${readinessText(readiness)} are not settled. Tick the box to release them as pending (the counts are recorded), or settle them first.`] });
  const job = await startRelease({ projectId: project.id, actorId: user.id, ip: clientIp(request), confirmPending: Boolean(p.data.confirm), sequester: Boolean(p.data.sequester) });
  kickJobs();
  return redirect(`/projects/${project.slug}/releases?job=${job.id}`);
}

const kb = (n: number) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`);

export default function Releases() {
  const data = useLoaderData<typeof loader>();
  const act = useActionData<typeof action>() as unknown as { ok: false; errors: FieldErrors } | undefined;
  const nav = useNavigation();
  const base = `/projects/${data.project.slug}/releases`;
  if (!data.lead) {
    return (
      <>
        <h1>{data.project.name}</h1>
        <ProjectNav slug={data.project.slug} roles={data.roles} />
        <h2>Releases</h2>
        {data.granted.length ? (
          <ul>
            {data.granted.map((n) => (
              <li key={n}>
                <Link to={`${base}/${n}`}>Release {n}</Link> — the lead named you to download it; every download is logged.
              </li>
            ))}
          </ul>
        ) : (
          <p>The lead has not named you for any release of this project.</p>
        )}
      </>
    );
  }
  const { releases, readiness, job, diff } = data;
  const errors = act && 'errors' in act ? act.errors : null;
  const result = job?.status === 'succeeded' ? (job.result as { number: number; sequestered: boolean } | null) : null;
  return (
    <>
      <h1>{data.project.name}</h1>
      <ProjectNav slug={data.project.slug} roles={data.roles} />
      <h2>Releases</h2>
      <p className="muted">
        A release freezes the test set: the truth of every case with its provenance (CSV, JSON Lines, W3C PROV), each case's hash-chain head, the split per patient, the STARD flow
        counts and an MLCommons Croissant 1.1 card describing it all. Releases are numbered and never change.
      </p>
      {job ? <JobProgress key={job.id} slug={data.project.slug} job={job} /> : null}
      {result ? (
        <div className="flash flash-success" role="status">
          Release {result.number} is ready{result.sequestered ? ' (test split held back)' : ''}. <Link to={`${base}/${result.number}`}>Open it</Link>
        </div>
      ) : null}
      <FormErrors errors={errors} />
      <section className="panel">
        <h3>Make a release</h3>
        {readiness.pending ? (
          <div className="flash flash-warning" role="status">
            Not settled yet: {readiness.text}. They would be released as pending.
          </div>
        ) : (
          <p className="hint">All {readiness.cases} cases are settled.</p>
        )}
        <Form method="post" className="stack">
          {readiness.pending ? (
            <label>
              <input type="checkbox" name="confirm" aria-invalid={Boolean(errors?.confirm)} /> Release anyway, with {readiness.pending} case{readiness.pending === 1 ? '' : 's'}{' '}
              pending (the counts are recorded in the release and its card)
            </label>
          ) : null}
          {errors?.confirm ? <div className="field-error">{errors.confirm[0]}</div> : null}
          <label>
            <input type="checkbox" name="sequester" /> Sequester the test split: its truth goes to separate files only the leads and the people named may download, every download
            logged; plain exports and later releases withhold it too
          </label>
          <div>
            <button type="submit" name="intent" value="release" disabled={nav.state === 'submitting' || Boolean(job && !job.finished)}>
              Make release {(releases[0]?.number ?? 0) + 1}
            </button>
          </div>
        </Form>
      </section>
      {releases.length === 0 ? (
        <p>No release yet.</p>
      ) : (
        <table>
          <caption className="sr-only">Releases</caption>
          <thead>
            <tr>
              <th>Release</th>
              <th>Made</th>
              <th>Content hash</th>
              <th>Pending at release</th>
              <th>Files</th>
            </tr>
          </thead>
          <tbody>
            {releases.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to={`${base}/${r.number}`}>Release {r.number}</Link> {r.sequestered ? <span className="badge badge-warn">test split held back</span> : null}
                </td>
                <td>{r.createdAt.slice(0, 16).replace('T', ' ')}</td>
                <td>
                  <code title={r.contentHash}>{r.contentHash.slice(0, 12)}…</code>
                </td>
                <td>{r.pending}</td>
                <td>
                  {r.files.map((f) => (
                    <span key={f.name} style={{ marginRight: '0.75rem', display: 'inline-block' }}>
                      <a href={`${base}/${r.number}/${f.name}`} download>
                        {f.name}
                      </a>{' '}
                      <span className="hint">
                        {kb(f.bytes)}
                        {f.sequestered ? ', held back' : ''}
                      </span>
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {releases.length > 1 ? (
        <section className="panel" aria-labelledby="diff-h">
          <h3 id="diff-h">Compare releases</h3>
          <Form method="get" className="row" style={{ alignItems: 'flex-end' }}>
            <div>
              <label htmlFor="d-from">From</label>
              <select id="d-from" name="from" defaultValue={diff?.from ?? releases[1].number}>
                {releases.map((r) => (
                  <option key={r.number} value={r.number}>
                    Release {r.number}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label htmlFor="d-to">To</label>
              <select id="d-to" name="to" defaultValue={diff?.to ?? releases[0].number}>
                {releases.map((r) => (
                  <option key={r.number} value={r.number}>
                    Release {r.number}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit" className="secondary">
              Compare
            </button>
          </Form>
          {diff ? (
            <div>
              <p>
                From release {diff.from} to {diff.to}: {diff.added.count} case{diff.added.count === 1 ? '' : 's'} added, {diff.removed.count} removed, truth changed for{' '}
                {diff.changed.count} subject{diff.changed.count === 1 ? '' : 's'}.
              </p>
              {diff.added.count ? <p className="hint">Added: {diff.added.first.join(', ')}</p> : null}
              {diff.removed.count ? <p className="hint">Removed: {diff.removed.first.join(', ')}</p> : null}
              {diff.changed.count ? (
                <table>
                  <caption className="sr-only">Truth changed</caption>
                  <thead>
                    <tr>
                      <th>Case / finding</th>
                      <th>Release {diff.from}</th>
                      <th>Release {diff.to}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {diff.changed.first.map((c) => (
                      <tr key={c.subject}>
                        <td>{c.subject}</td>
                        <td>{c.from}</td>
                        <td>{c.to}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : null}
            </div>
          ) : null}
        </section>
      ) : null}
      <p className="muted">
        Also from the command line: <code>npx truthline release --project {data.project.slug} --out DIR [--confirm-pending] [--sequester]</code>.
      </p>
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
