import { randomUUID } from 'node:crypto';
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { clientIp } from '~/request.server.ts';
import { closeDiscordance, listReviews, listWithdrawn, resolveExclusion } from '~/models/reviews.server.ts';
import { getCase } from '~/models/cases.server.ts';
import { discordanceSchema, exclusionSchema } from '~/forms/lead.server.ts';
import { parseForm } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { FormErrors } from '~/components/field.tsx';
import { Pagination } from '~/components/pagination.tsx';
import { StateBadge } from '~/components/case-badges.tsx';
import { leadLinks } from '~/components/lead-links.ts';
import { formError } from '~/lib/errors.server.ts';
import { DISCORDANCE_OUTCOME_LABELS, DISCORDANCE_OUTCOMES } from '../../domain/vocabulary.ts';

export const links = leadLinks;
export const meta: MetaFunction = () => [{ title: 'Reviews — Truthline' }];

const page = (url: URL, k: string) => Math.max(1, Number(url.searchParams.get(k)) || 1);

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const url = new URL(request.url);
  const [exclusions, discordances, closedExclusions, closedDiscordances, withdrawn] = await Promise.all([
    listReviews({ projectId: project.id, kind: 'exclusion', page: page(url, 'page') }),
    listReviews({ projectId: project.id, kind: 'discordance', page: page(url, 'dpage') }),
    listReviews({ projectId: project.id, kind: 'exclusion', open: false, pageSize: 10 }),
    listReviews({ projectId: project.id, kind: 'discordance', open: false, pageSize: 10 }),
    listWithdrawn({ projectId: project.id }),
  ]);
  return json({
    project: { slug: project.slug, name: project.name },
    roles,
    outcomes: DISCORDANCE_OUTCOMES,
    // One request id per form, minted here: a double submit is one request (the runtime's idempotency).
    exclusions: { ...exclusions, rows: exclusions.rows.map((r) => ({ ...r, requestId: randomUUID() })) },
    discordances: { ...discordances, rows: discordances.rows.map((r) => ({ ...r, requestId: randomUUID() })) },
    closed: [...closedExclusions.rows, ...closedDiscordances.rows].sort((a, b) => (b.closedAt ?? '').localeCompare(a.closedAt ?? '')).slice(0, 10),
    withdrawn,
  });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const fd = await request.formData();
  if (fd.get('intent') === 'discordance') {
    const q = parseForm(discordanceSchema, fd);
    if (!q.ok) return validationFailed(q.errors, { caseId: String(fd.get('reviewId') ?? '') });
    if (q.data.outcome === 'truth_changed' && !q.data.value) return validationFailed({ value: ['Say what the truth is now'] }, { caseId: q.data.reviewId });
    try {
      await closeDiscordance({
        reviewId: q.data.reviewId,
        projectId: project.id,
        actorId: user.id,
        outcome: q.data.outcome,
        value: q.data.value ? q.data.value === 'positive' : undefined,
        reason: q.data.reason,
        clientRequestId: q.data.clientRequestId,
        ip: clientIp(request),
      });
    } catch (e) {
      return formError(e, { caseId: q.data.reviewId });
    }
    return redirectWithFlash(`/projects/${project.slug}/reviews`, { kind: 'success', message: `Discordance closed: ${q.data.outcome.replace(/_/g, ' ')}.` });
  }
  const p = parseForm(exclusionSchema, fd);
  if (!p.ok) return validationFailed(p.errors, { caseId: String(fd.get('caseId') ?? '') });
  const c = await getCase({ projectId: project.id, caseId: p.data.caseId });
  if (!c) return validationFailed({ _form: ['There is no such case in this project.'] }, { caseId: p.data.caseId });
  try {
    await resolveExclusion({
      caseId: c.c.id,
      actorId: user.id,
      exclude: p.data.decision === 'exclude',
      reason: p.data.reason,
      clientRequestId: p.data.clientRequestId,
      ip: clientIp(request),
    });
  } catch (e) {
    return formError(e, { caseId: p.data.caseId });
  }
  return redirectWithFlash(`/projects/${project.slug}/reviews`, {
    kind: 'success',
    message: p.data.decision === 'exclude' ? `Case ${c.c.externalId ?? ''} excluded.` : `Case ${c.c.externalId ?? ''} kept: it goes back for reads.`,
  });
}

export default function Reviews() {
  const { project, roles, outcomes, exclusions, discordances, closed, withdrawn } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const errors = data && !data.ok ? data.errors : null;
  const errorCase = data && 'caseId' in data ? data.caseId : null;
  const base = `/projects/${project.slug}`;
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <h2>Reviews</h2>
      <FormErrors errors={errors} />
      <section aria-labelledby="excl-h">
        <h3 id="excl-h">
          Exclusions to confirm <span className="badge">{exclusions.total}</span>
        </h3>
        <p className="muted">Cases that readers could not assess. Exclude them, or keep them and send them back for reads.</p>
        {exclusions.rows.length === 0 ? (
          <div className="empty">No exclusion is waiting for you.</div>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Case</th>
                <th>Why</th>
                <th>Opened</th>
                <th>Decision</th>
              </tr>
            </thead>
            <tbody>
              {exclusions.rows.map((r) => {
                const mine = errorCase === r.caseId ? errors : null;
                return (
                  <tr key={r.id}>
                    <td>
                      <Link to={`${base}/cases/${r.caseId}`}>{r.externalId}</Link>
                      <div className="hint">{r.patient}</div>
                    </td>
                    <td>{r.reason}</td>
                    <td>{r.openedAt.slice(0, 10)}</td>
                    <td>
                      <Form method="post" className="row" style={{ alignItems: 'flex-end' }}>
                        <input type="hidden" name="intent" value="exclusion" />
                        <input type="hidden" name="caseId" value={r.caseId} />
                        <input type="hidden" name="clientRequestId" value={r.requestId} />
                        <fieldset>
                          <legend className="sr-only">Decision for {r.externalId}</legend>
                          <label style={{ fontWeight: 400 }}>
                            <input type="radio" name="decision" value="exclude" /> Exclude
                          </label>
                          <label style={{ fontWeight: 400 }}>
                            <input type="radio" name="decision" value="keep" /> Keep (more reads)
                          </label>
                          {mine?.decision ? <div className="field-error">{mine.decision[0]}</div> : null}
                        </fieldset>
                        <div>
                          <label htmlFor={`reason-${r.id}`}>Reason</label>
                          <input id={`reason-${r.id}`} name="reason" type="text" required aria-invalid={Boolean(mine?.reason)} />
                          {mine?.reason ? <div className="field-error">{mine.reason[0]}</div> : null}
                        </div>
                        <button type="submit">Record</button>
                      </Form>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <Pagination page={exclusions.page} pages={exclusions.pages} />
      </section>

      <section aria-labelledby="disc-h">
        <h3 id="disc-h">
          Discordances <span className="badge">{discordances.total}</span>
        </h3>
        <p className="muted">
          Evidence that contradicts the current truth opens a discordance; the truth stays <em>discordant</em> until it is closed with a coded outcome (concordant, truth changed,
          resample, excision pending, upgraded).
        </p>
        {discordances.rows.length === 0 ? (
          <div className="empty">No open discordance.</div>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Case</th>
                <th>Evidence</th>
                <th>Why</th>
                <th>Opened</th>
                <th>State</th>
                <th>Close</th>
              </tr>
            </thead>
            <tbody>
              {discordances.rows.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`${base}/cases/${r.caseId}`}>{r.externalId}</Link>
                  </td>
                  <td>{r.evidence ? `${r.evidence.kind} ${r.evidence.date} ${r.evidence.resultCode ?? ''}` : '—'}</td>
                  <td>{r.reason}</td>
                  <td>{r.openedAt.slice(0, 10)}</td>
                  <td>{r.state ? <StateBadge state={r.state} /> : null}</td>
                  <td>
                    <Form method="post" className="stack" style={{ maxWidth: '20rem' }}>
                      <input type="hidden" name="intent" value="discordance" />
                      <input type="hidden" name="reviewId" value={r.id} />
                      <input type="hidden" name="clientRequestId" value={r.requestId} />
                      <div>
                        <label htmlFor={`outcome-${r.id}`}>Outcome</label>
                        <select id={`outcome-${r.id}`} name="outcome" defaultValue="">
                          <option value="" disabled>
                            choose…
                          </option>
                          {outcomes.map((o) => (
                            <option key={o} value={o}>
                              {DISCORDANCE_OUTCOME_LABELS[o]}
                            </option>
                          ))}
                        </select>
                        {errorCase === r.id && errors?.outcome ? <div className="field-error">{errors.outcome[0]}</div> : null}
                      </div>
                      <div>
                        <label htmlFor={`value-${r.id}`}>New truth (truth changed only)</label>
                        <select id={`value-${r.id}`} name="value" defaultValue="">
                          <option value="">—</option>
                          <option value="positive">positive</option>
                          <option value="negative">negative</option>
                        </select>
                        {errorCase === r.id && errors?.value ? <div className="field-error">{errors.value[0]}</div> : null}
                      </div>
                      <div>
                        <label htmlFor={`dreason-${r.id}`}>Reason</label>
                        <input id={`dreason-${r.id}`} name="reason" type="text" required />
                        {errorCase === r.id && errors?.reason ? <div className="field-error">{errors.reason[0]}</div> : null}
                      </div>
                      <div>
                        <button type="submit">Close discordance</button>
                      </div>
                    </Form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pagination page={discordances.page} pages={discordances.pages} param="dpage" />
      </section>

      <section aria-labelledby="closed-h">
        <h3 id="closed-h">Recently closed</h3>
        {closed.length === 0 ? (
          <div className="empty">Nothing closed yet.</div>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Case</th>
                <th>Review</th>
                <th>Outcome</th>
                <th>Reason</th>
                <th>By</th>
                <th>Closed</th>
              </tr>
            </thead>
            <tbody>
              {closed.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`${base}/cases/${r.caseId}`}>{r.externalId}</Link>
                  </td>
                  <td>{r.kind}</td>
                  <td>
                    <span className="badge badge-info">{r.outcome}</span>
                  </td>
                  <td>{r.outcomeReason}</td>
                  <td>{r.closedBy ?? '—'}</td>
                  <td>{r.closedAt?.slice(0, 10)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="wd-h">
        <h3 id="wd-h">
          Withdrawn cases <span className="badge">{withdrawn.length}</span>
        </h3>
        <p className="muted">Consent withdrawn: identifying metadata and image references are purged; the hash chain is kept; no later release or export includes them.</p>
        {withdrawn.length === 0 ? (
          <div className="empty">No case has been withdrawn.</div>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Case</th>
                <th>Patient</th>
                <th>Withdrawn</th>
              </tr>
            </thead>
            <tbody>
              {withdrawn.map((w) => (
                <tr key={w.id}>
                  <td>
                    <Link to={`${base}/cases/${w.id}`}>{w.id.slice(0, 8)}</Link>
                  </td>
                  <td>{w.patient}</td>
                  <td>{w.withdrawnAt.slice(0, 10)}</td>
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
