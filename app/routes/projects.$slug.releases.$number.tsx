/**
 * /projects/:slug/releases/:number — one release: its files, its Croissant card in words, the
 * cases pending when it was made, STARD counts; for a sequestered release the people the lead
 * named and every download (who, when, which file). A named member sees only the files.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json, redirect } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { requireProjectMember, requireProjectRole } from '~/permissions.server.ts';
import { clientIp } from '~/request.server.ts';
import { grantReleaseAccess, listReleases, releaseDetail, releasesGrantedTo, revokeReleaseAccess } from '~/models/releases.server.ts';
import { listMembers } from '~/models/members.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { FormErrors } from '~/components/field.tsx';
import { releaseGrantSchema } from '~/forms/lead.server.ts';
import { parseForm, type FieldErrors } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { AppError } from '../../domain/errors.ts';

export const meta: MetaFunction = ({ params }) => [{ title: `Release ${params.number ?? ''} — Truthline` }];

const numberOf = (s: string | undefined) => (s && /^\d{1,9}$/.test(s) ? Number(s) : 0);

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, project, roles } = await requireProjectMember(request, params.slug);
  const number = numberOf(params.number);
  const lead = roles.includes('lead');
  if (!lead && !(await releasesGrantedTo({ projectId: project.id, userId: user.id })).includes(number))
    throw new Response('There is no such release, or the lead has not named you for it.', { status: 404 });
  const all = await listReleases({ projectId: project.id });
  const summary = all.find((r) => r.number === number);
  if (!summary) throw new Response('There is no such release in this project.', { status: 404 });
  const base = { project: { slug: project.slug, name: project.name }, roles, summary };
  if (!lead) return json({ ...base, lead: false as const });
  const detail = (await releaseDetail({ projectId: project.id, number }))!;
  const members = (await listMembers({ projectId: project.id }))
    .filter((m) => m.active && !m.roles.includes('lead'))
    .map((m) => ({ userId: m.userId, email: m.email, name: m.name }));
  return json({ ...base, lead: true as const, detail, members });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const number = numberOf(params.number);
  const p = parseForm(releaseGrantSchema, await request.formData());
  if (!p.ok) return validationFailed(p.errors);
  try {
    const args = { projectId: project.id, number, userId: p.data.userId, actorId: user.id, ip: clientIp(request) };
    if (p.data.intent === 'grant') await grantReleaseAccess(args);
    else await revokeReleaseAccess(args);
  } catch (e) {
    if (e instanceof AppError && e.code === 'not_found') throw new Response(e.message, { status: 404 });
    if (e instanceof AppError) return validationFailed({ userId: [e.message] });
    throw e;
  }
  return redirect(`/projects/${project.slug}/releases/${number}`);
}

type Card = Record<string, unknown> & { caseDistribution?: { bySplit: Record<string, number>; byClass: Record<string, Record<string, number>>; heldBack: string[] } };

export default function Release() {
  const data = useLoaderData<typeof loader>();
  const act = useActionData<typeof action>() as unknown as { ok: false; errors: FieldErrors } | undefined;
  const { summary: r } = data;
  const base = `/projects/${data.project.slug}/releases`;
  const files = (
    <table>
      <caption className="sr-only">Files of release {r.number}</caption>
      <thead>
        <tr>
          <th>File</th>
          <th>Size</th>
          <th>SHA-256</th>
        </tr>
      </thead>
      <tbody>
        {r.files.map((f) => (
          <tr key={f.name}>
            <td>
              <a href={`${base}/${r.number}/${f.name}`} download>
                {f.name}
              </a>{' '}
              {f.sequestered ? <span className="badge badge-warn">held back</span> : null}
            </td>
            <td>{f.bytes.toLocaleString('en')} B</td>
            <td>
              <code>{f.sha256}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
  if (!data.lead) {
    return (
      <>
        <h1>{data.project.name}</h1>
        <ProjectNav slug={data.project.slug} roles={data.roles} />
        <h2>Release {r.number}</h2>
        <p className="muted">The lead named you to download this release. Every download is logged with your name and the time.</p>
        {files}
      </>
    );
  }
  const { detail, members } = data;
  const card = (detail.card ?? {}) as Card;
  const dist = card.caseDistribution;
  const splits = dist ? Object.keys(dist.bySplit).sort() : [];
  const pending = detail.counts.pending;
  const stard = detail.counts.stard ?? {};
  const granted = new Set(detail.grants.map((g) => g.userId));
  return (
    <>
      <h1>{data.project.name}</h1>
      <ProjectNav slug={data.project.slug} roles={data.roles} />
      <p>
        <Link to={base}>← Releases</Link>
      </p>
      <h2>
        Release {r.number} {r.sequestered ? <span className="badge badge-warn">test split held back</span> : null}
      </h2>
      <p className="hint">
        Made {r.createdAt.slice(0, 16).replace('T', ' ')} UTC · content hash <code>{r.contentHash}</code>
      </p>
      {pending && pending.pending > 0 ? (
        <div className="flash flash-warning" role="status">
          Released with {pending.pending} case{pending.pending === 1 ? '' : 's'} pending (confirmed by the lead): {pending.undecided} undecided, {pending.inAdjudication} in
          adjudication, {pending.inReview} in review, {pending.discordant} discordant
          {pending.awaitingEvidence ? `, ${pending.awaitingEvidence} awaiting historical evidence` : ''}.
        </div>
      ) : null}
      {files}
      <section className="panel" aria-labelledby="card-h">
        <h3 id="card-h">Croissant card</h3>
        <dl className="facts">
          <dt>Name</dt>
          <dd>{String(card.name ?? '')}</dd>
          <dt>Licence</dt>
          <dd>{String(card.license ?? '')}</dd>
          <dt>Cite as</dt>
          <dd>{String(card.citeAs ?? '')}</dd>
          <dt>Modality, body part</dt>
          <dd>{[...((card.modality as string[]) ?? []), ...((card.bodyPart as string[]) ?? [])].join(', ') || '—'}</dd>
          <dt>How truth was established</dt>
          <dd>{String(card.measurementTechnique ?? '')}</dd>
          {card.conditionsOfAccess ? (
            <>
              <dt>Access</dt>
              <dd>{String(card.conditionsOfAccess)}</dd>
            </>
          ) : null}
        </dl>
        {dist ? (
          <table>
            <caption>Cases per split, and truth per class and split</caption>
            <thead>
              <tr>
                <th>Class</th>
                {splits.map((s) => (
                  <th key={s}>{s}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">cases</th>
                {splits.map((s) => (
                  <td key={s}>{dist.bySplit[s]}</td>
                ))}
              </tr>
              {Object.entries(dist.byClass).map(([cls, by]) => (
                <tr key={cls}>
                  <th scope="row">{cls}</th>
                  {splits.map((s) => (
                    <td key={s}>{dist.heldBack.includes(s) ? <span className="hint">held back</span> : (by[s] ?? 0)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      <section className="panel" aria-labelledby="stard-h">
        <h3 id="stard-h">STARD 2015 flow</h3>
        {Object.keys(stard).length === 0 ? <p className="hint">No counts (no definition version with cases).</p> : null}
        {Object.entries(stard).map(([v, s]) => {
          const x = s as { eligible: number; withdrawn: number; excludedByReview: number; analysed: number; inconclusive: number; reference: Record<string, number> };
          return (
            <p key={v}>
              <strong>{v}</strong>: {x.eligible} eligible, {x.withdrawn} withdrawn, {x.excludedByReview} excluded by review, {x.analysed} analysed; reference standard:{' '}
              {Object.entries(x.reference)
                .map(([k, n]) => `${n} ${k.replace(/([A-Z])/g, ' $1').toLowerCase()}`)
                .join(', ')}
              ; {x.inconclusive} inconclusive.
            </p>
          );
        })}
      </section>
      {r.sequestered ? (
        <section className="panel" aria-labelledby="grants-h">
          <h3 id="grants-h">Who may download the held-back truth</h3>
          <p className="hint">The project's leads, and the members you name here.</p>
          <FormErrors errors={act && 'errors' in act ? act.errors : null} />
          {detail.grants.length ? (
            <ul>
              {detail.grants.map((g) => (
                <li key={g.userId}>
                  {g.name || g.email}{' '}
                  <span className="hint">
                    ({g.email}, named {g.at.slice(0, 10)})
                  </span>{' '}
                  <Form method="post" style={{ display: 'inline' }}>
                    <input type="hidden" name="userId" value={g.userId} />
                    <button type="submit" name="intent" value="revoke" className="secondary">
                      Remove
                    </button>
                  </Form>
                </li>
              ))}
            </ul>
          ) : (
            <p>Nobody named yet.</p>
          )}
          <Form method="post" className="row" style={{ alignItems: 'flex-end' }}>
            <div>
              <label htmlFor="g-user">Name a member</label>
              <select id="g-user" name="userId" defaultValue="">
                <option value="" disabled>
                  Choose…
                </option>
                {members
                  .filter((m) => !granted.has(m.userId))
                  .map((m) => (
                    <option key={m.userId} value={m.userId}>
                      {m.name ? `${m.name} (${m.email})` : m.email}
                    </option>
                  ))}
              </select>
            </div>
            <button type="submit" name="intent" value="grant">
              Allow download
            </button>
          </Form>
        </section>
      ) : null}
      <section aria-labelledby="log-h">
        <h3 id="log-h">Downloads</h3>
        {detail.downloads.length === 0 ? (
          <p>No download yet.</p>
        ) : (
          <table>
            <caption className="sr-only">Downloads of release {r.number}, newest first</caption>
            <thead>
              <tr>
                <th>When (UTC)</th>
                <th>Who</th>
                <th>File</th>
              </tr>
            </thead>
            <tbody>
              {detail.downloads.map((d, i) => (
                <tr key={i}>
                  <td>{d.at.slice(0, 19).replace('T', ' ')}</td>
                  <td>{d.who}</td>
                  <td>
                    {d.file} {d.sequestered ? <span className="badge badge-warn">held back</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
