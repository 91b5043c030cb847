/**
 * /projects/:slug/reports/runs/:jobId — one run of the project's report rules: its progress, then
 * the random sample per status for the lead to accept or correct, the sample's agreement, and
 * recording the labels as evidence once every sampled label is reviewed.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { clientIp } from '~/request.server.ts';
import { parseForm, type FieldErrors } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { formError } from '~/lib/errors.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { FormErrors } from '~/components/field.tsx';
import { JobProgress } from '~/components/job-progress.tsx';
import { labelReviewSchema } from '~/forms/reports.server.ts';
import { labelRunView, reviewLabel, startRecording, type RecordResult } from '~/models/report-labels.server.ts';
import { kickJobs } from '../../jobs/runner.ts';

export const meta: MetaFunction = () => [{ title: 'Review report labels — Truthline' }];

/** The statuses a label can have (the same list as reports/extract.ts, kept here so the page's JavaScript needs nothing of the engine). */
const STATUS_OPTIONS = ['present', 'negated', 'uncertain', 'historical', 'not_mentioned'] as const;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const view = await labelRunView({ projectId: project.id, jobId: params.jobId ?? '' });
  if (!view) throw new Response('No such labelling run in this project.', { status: 404 });
  return json({ project: { slug: project.slug, name: project.name }, roles, view });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const jobId = params.jobId ?? '';
  const p = parseForm(labelReviewSchema, await request.formData());
  if (!p.ok) return validationFailed(p.errors);
  try {
    if (p.data.intent === 'review') {
      const review = await reviewLabel({ projectId: project.id, jobId, labelId: p.data.labelId, status: p.data.status, actorId: user.id });
      return json({ ok: true as const, labelId: p.data.labelId, review });
    }
    await startRecording({ projectId: project.id, jobId, actorId: user.id, ip: clientIp(request) });
    kickJobs();
    return redirectWithFlash(`/projects/${project.slug}/reports/runs/${jobId}`, { kind: 'success', message: 'Recording the labels as evidence.' });
  } catch (e) {
    return formError(e);
  }
}

const BADGE: Record<string, string> = { present: 'badge-info', negated: '', uncertain: 'badge-warn', historical: '', not_mentioned: '' };

/** The sentence with the matched words in bold (first occurrence, whatever the case). */
function Highlight({ sentence, matched }: { sentence: string; matched: string }) {
  const i = matched ? sentence.toLowerCase().indexOf(matched.toLowerCase()) : -1;
  if (i < 0) return <>{sentence || '—'}</>;
  return (
    <>
      {sentence.slice(0, i)}
      <mark>{sentence.slice(i, i + matched.length)}</mark>
      {sentence.slice(i + matched.length)}
    </>
  );
}

export default function ReviewRun() {
  const { project, roles, view } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>() as unknown as { ok: false; errors: FieldErrors } | { ok: true } | undefined;
  const nav = useNavigation();
  const busy = nav.state !== 'idle';
  const fieldErrors = data && 'errors' in data ? data.errors : null;
  const { run, rule, result, sample, agreement, pending, recording } = view;
  const recorded = recording?.status === 'succeeded' ? (recording.result as RecordResult) : null;
  const closed = Boolean(recording);
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <p>
        <Link to={`/projects/${project.slug}/reports`}>← Report rules</Link>
      </p>
      <h2>Review report labels{rule ? `: ${rule.name} v${rule.version}` : ''}</h2>
      {!run.finished || run.status !== 'succeeded' ? <JobProgress key={run.id} slug={project.slug} job={run} /> : null}
      <FormErrors errors={fieldErrors} />
      {result ? (
        <>
          <p className="muted">
            {result.reports.toLocaleString('en')} report{result.reports === 1 ? '' : 's'} gave {result.labels.toLocaleString('en')} label{result.labels === 1 ? '' : 's'}. Read each
            sampled sentence and accept the status the rules gave, or correct it. The labels become evidence only when the whole sample is reviewed; a correction replaces the
            rules&apos; status for that label, and the agreement below says how far to trust the rest.
          </p>
          <table aria-label="Sample agreement per status">
            <thead>
              <tr>
                <th>Status (rules)</th>
                <th>Labels</th>
                <th>Sampled</th>
                <th>Reviewed</th>
                <th>Accepted</th>
              </tr>
            </thead>
            <tbody>
              {agreement.map((a) => (
                <tr key={a.status}>
                  <td>{a.status}</td>
                  <td>{a.total.toLocaleString('en')}</td>
                  <td>{a.sampled}</td>
                  <td>{a.reviewed}</td>
                  <td>{a.reviewed ? `${a.accepted} of ${a.reviewed} (${Math.round((100 * a.accepted) / a.reviewed)}%)` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>

          <section className="panel" aria-labelledby="sample-h">
            <h3 id="sample-h">
              Sample ({sample.length - pending} of {sample.length} reviewed)
            </h3>
            <table>
              <thead>
                <tr>
                  <th>Case</th>
                  <th>Finding</th>
                  <th>Sentence</th>
                  <th>Rules say</th>
                  <th>Deciding trigger</th>
                  <th>Your answer</th>
                </tr>
              </thead>
              <tbody>
                {sample.map((l) => (
                  <tr key={l.id} data-label={l.id} data-review={l.review}>
                    <td>{l.caseRef}</td>
                    <td>{l.finding}</td>
                    <td className="hint" style={{ maxWidth: '28rem' }}>
                      {l.sentence ? (
                        <Highlight sentence={l.sentence} matched={l.matched} />
                      ) : (
                        <>
                          <em>Not found in the report:</em> {l.report}
                        </>
                      )}
                    </td>
                    <td>
                      <span className={`badge ${BADGE[l.status] ?? ''}`}>{l.status}</span>
                    </td>
                    <td className="hint">{l.trigger || (l.status === 'present' ? 'no trigger: affirmed' : '')}</td>
                    <td>
                      {closed ? (
                        <span>{l.review === 'corrected' ? `corrected to ${l.reviewedStatus}` : l.review}</span>
                      ) : (
                        <div className="row" style={{ gap: '0.4rem', flexWrap: 'nowrap', alignItems: 'center' }}>
                          <Form method="post" preventScrollReset>
                            <input type="hidden" name="intent" value="review" />
                            <input type="hidden" name="labelId" value={l.id} />
                            <input type="hidden" name="status" value={l.status} />
                            <button type="submit" disabled={busy} style={{ whiteSpace: 'nowrap' }} aria-label={`Accept ${l.status} for ${l.finding} in ${l.caseRef}`}>
                              {l.review === 'accepted' ? '✓ Accepted' : 'Accept'}
                            </button>
                          </Form>
                          <Form method="post" preventScrollReset className="row" style={{ gap: '0.4rem', flexWrap: 'nowrap' }}>
                            <input type="hidden" name="intent" value="review" />
                            <input type="hidden" name="labelId" value={l.id} />
                            <select
                              name="status"
                              aria-label={`Correct ${l.finding} in ${l.caseRef} to`}
                              defaultValue={l.reviewedStatus ?? STATUS_OPTIONS.find((s) => s !== l.status)}
                              key={`${l.id}-${l.reviewedStatus ?? ''}`}
                              disabled={busy}
                            >
                              {STATUS_OPTIONS.filter((s) => s !== l.status).map((s) => (
                                <option key={s} value={s}>
                                  {s}
                                </option>
                              ))}
                            </select>
                            <button type="submit" className="secondary" disabled={busy} style={{ whiteSpace: 'nowrap' }} aria-label={`Correct ${l.finding} in ${l.caseRef}`}>
                              {l.review === 'corrected' ? `✓ Corrected` : 'Correct'}
                            </button>
                          </Form>
                        </div>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>

          {recording ? (
            <>
              {!recording.finished ? <JobProgress key={recording.id} slug={project.slug} job={recording} /> : null}
              {recorded ? (
                <div className="flash flash-success" role="status">
                  {recorded.recorded.toLocaleString('en')} label{recorded.recorded === 1 ? '' : 's'} recorded as evidence
                  {recorded.duplicates ? ` (${recorded.duplicates} already recorded)` : ''}
                  {recorded.skipped ? `; ${recorded.skipped} skipped: ${recorded.problems.slice(0, 3).join('; ')}` : ''}. Labels that say &quot;not_mentioned&quot; are no evidence
                  and are not recorded.
                </div>
              ) : null}
            </>
          ) : (
            <Form method="post">
              <input type="hidden" name="intent" value="record" />
              <button type="submit" disabled={busy || pending > 0}>
                Record the labels as evidence
              </button>{' '}
              <span className="hint">{pending > 0 ? `Review the ${pending} sampled label${pending === 1 ? '' : 's'} left first.` : 'Every sampled label is reviewed.'}</span>
            </Form>
          )}
        </>
      ) : null}
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
