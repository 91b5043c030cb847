import { randomUUID } from 'node:crypto';
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction, SerializeFrom } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useOutlet } from '@remix-run/react';
import { Fragment } from 'react';
import { requireProjectRole } from '~/permissions.server.ts';
import { clientIp } from '~/request.server.ts';
import { getCase } from '~/models/cases.server.ts';
import { getProvenance, type Person } from '~/models/provenance.server.ts';
import { reopenCase, resolveExclusion } from '~/models/reviews.server.ts';
import { formError } from '~/lib/errors.server.ts';
import { exclusionSchema, reopenSchema } from '~/forms/lead.server.ts';
import { parseForm } from '~/lib/forms.ts';
import { notFound, validationFailed } from '~/lib/http.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { Field, FormErrors } from '~/components/field.tsx';
import { StateBadge, TruthBadge } from '~/components/case-badges.tsx';
import { formatValues } from '~/components/values.ts';
import { leadLinks } from '~/components/lead-links.ts';

export const links = leadLinks;

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Case ${data?.kase.externalId ?? ''} — Truthline` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const row = await getCase({ projectId: project.id, caseId: params.caseId ?? '' });
  if (!row) notFound('There is no such case in this project.');
  const full = await getProvenance({ caseId: row.c.id, projectId: project.id, projectVersion: row.c.projectVersion });
  // Consent withdrawn: the patient, the study date, images and reads are never shown again.
  const gone = row.c.withdrawnAt !== null;
  const prov = gone ? { ...full, reads: [] } : full;
  return json({
    project: { slug: project.slug, name: project.name },
    roles,
    kase: {
      id: row.c.id,
      externalId: row.c.externalId,
      studyInstanceUid: row.c.studyInstanceUid,
      studyDate: gone ? null : row.c.studyDate,
      modality: row.c.modality,
      bodyPart: row.c.bodyPart,
      metadata: gone ? {} : (row.c.metadata as Record<string, unknown>),
      images: gone ? [] : row.c.images,
      withdrawnAt: row.c.withdrawnAt?.toISOString() ?? null,
      projectVersion: row.c.projectVersion,
      patient: gone ? null : row.patient,
      split: row.split,
      state: row.state ?? 'none',
      eventCount: row.eventCount,
      headHash: row.headHash,
      machineVersion: row.machineVersion,
    },
    prov,
    requestIds: { exclusion: randomUUID(), reopen: randomUUID() },
  });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const row = await getCase({ projectId: project.id, caseId: params.caseId ?? '' });
  if (!row) notFound('There is no such case in this project.');
  const fd = await request.formData();
  const back = `/projects/${project.slug}/cases/${row.c.id}`;
  const intent = fd.get('intent');
  try {
    if (intent === 'exclusion') {
      const p = parseForm(exclusionSchema, fd);
      if (!p.ok) return validationFailed(p.errors, { intent });
      await resolveExclusion({
        caseId: row.c.id,
        actorId: user.id,
        exclude: p.data.decision === 'exclude',
        reason: p.data.reason,
        clientRequestId: p.data.clientRequestId,
        ip: clientIp(request),
      });
      return redirectWithFlash(back, { kind: 'success', message: p.data.decision === 'exclude' ? 'The case is excluded.' : 'Exclusion declined: the case goes on.' });
    }
    const p = parseForm(reopenSchema, fd);
    if (!p.ok) return validationFailed(p.errors, { intent: 'reopen' });
    await reopenCase({ caseId: row.c.id, actorId: user.id, reason: p.data.reason, clientRequestId: p.data.clientRequestId, ip: clientIp(request) });
    return redirectWithFlash(back, { kind: 'success', message: 'Case reopened: a new round of reads starts.' });
  } catch (e) {
    return formError(e, { intent });
  }
}

function name(p: Person) {
  return p ? p.name || p.email || p.id : 'system';
}

function short(id: string) {
  return id.slice(0, 8);
}

type TimelineItem = SerializeFrom<typeof loader>['prov']['timeline'][number];

function TimelineEntry({ item }: { item: TimelineItem }) {
  const when = <time dateTime={item.at}>{item.at.replace('T', ' ').slice(0, 19)}</time>;
  switch (item.kind) {
    case 'event':
      return (
        <li className="timeline-item">
          <div className="row" style={{ gap: '0.5rem' }}>
            <strong>
              #{item.seq} {item.type}
            </strong>
            <span className="muted">
              {when} · {name(item.actor)} · {item.machineVersion}
            </span>
          </div>
          {item.why ? <div>Why: {item.why}</div> : null}
          {item.reads.map((r) => (
            <div key={r.id} className="hint">
              Read <code>{short(r.id)}</code> ({r.source}) by {name(r.author)}: {r.values === null ? `cannot assess — ${r.cannotAssessReason ?? ''}` : formatValues(r.values)}
              {r.supersedesId ? ` · replaces ${short(r.supersedesId)} because “${r.amendmentReason ?? ''}”` : ''}
              {r.confidence !== null ? ` · confidence ${r.confidence}` : ''}
              {r.timeSpentMs !== null ? ` · ${Math.round(r.timeSpentMs / 1000)} s` : ''}
              {r.comment ? ` · “${r.comment}”` : ''}
            </div>
          ))}
          {item.truth.map((t) => (
            <div key={t.id} className="hint">
              Truth{t.findingKey ? ` (${t.findingKey})` : ''} v{t.version}: <TruthBadge state={t.state} /> {t.value === null ? '' : formatValues(t.value)} — {t.method}
              {t.ruleVersion ? `, rules ${t.ruleVersion}` : ''}, policy v{t.policyVersion}
              {t.derivedFromReads.length ? `, from reads ${t.derivedFromReads.map(short).join(', ')}` : ''}
              {t.derivedFromEvidence.length ? `, from evidence ${t.derivedFromEvidence.map(short).join(', ')}` : ''}
              {t.decider ? `, decided by ${name(t.decider)}` : ''}
              {t.rationale ? ` — “${t.rationale}”` : ''}
            </div>
          ))}
          <div className="hint" title={`previous ${item.prevHash}`}>
            hash <code>{item.hash.slice(0, 16)}…</code>
          </div>
        </li>
      );
    case 'evidence':
      return (
        <li className="timeline-item">
          <strong>Evidence: {item.evidenceKind}</strong>{' '}
          <span className="muted">
            {when} · dated {item.date}
            {item.findingKey ? ` · ${item.findingKey}` : ''} · entered by {name(item.enteredBy)}
          </span>
          <div>
            {item.resultCode ? <code>{item.resultCode}</code> : null} {item.text ? `“${item.text.slice(0, 300)}”` : ''}
          </div>
          <div className="hint">Extraction: {item.rule ? `rule ${item.rule.name} v${item.rule.version}` : JSON.stringify(item.extraction)}</div>
        </li>
      );
    case 'review':
      return (
        <li className="timeline-item">
          <strong>
            {item.reviewKind} review {item.phase}
          </strong>{' '}
          <span className="muted">
            {when}
            {item.by ? ` · ${name(item.by)}` : ''}
          </span>
          <div>
            {item.outcome ? (
              <>
                Outcome <span className="badge badge-info">{item.outcome}</span>{' '}
              </>
            ) : null}
            {item.reason}
          </div>
        </li>
      );
    case 'audit':
      return (
        <li className="timeline-item">
          <strong>{item.action}</strong>{' '}
          <span className="muted">
            {when} · {name(item.actor)}
          </span>
          {item.why ? <div>Why: {item.why}</div> : null}
        </li>
      );
  }
}

export default function CasePage() {
  // Child pages of a case (e.g. /evidence, /withdraw of the evidence workflow) render on their own.
  const outlet = useOutlet();
  if (outlet) return outlet;
  return <CaseDetail />;
}

function CaseDetail() {
  const { project, roles, kase, prov, requestIds } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const errors = data && !data.ok ? data.errors : null;
  const base = `/projects/${project.slug}`;
  const reads = prov.reads;
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <p>
        <Link to={`${base}/cases`}>← Cases</Link>
      </p>
      <div className="row">
        <h2 style={{ margin: 0 }}>Case {kase.externalId ?? `(withdrawn) ${kase.id.slice(0, 8)}`}</h2>
        <StateBadge state={kase.state} />
        {kase.withdrawnAt ? <span className="badge badge-bad">withdrawn {kase.withdrawnAt.slice(0, 10)}</span> : null}
      </div>
      <FormErrors errors={errors} />
      <div className="grid" style={{ marginTop: '1rem' }}>
        <section className="card" aria-labelledby="study-h">
          <h3 id="study-h">Study</h3>
          <dl className="facts">
            <dt>Patient</dt>
            <dd>
              {kase.patient ?? '(withdrawn)'} ({kase.split})
            </dd>
            <dt>Study date</dt>
            <dd>{kase.studyDate ?? '(withdrawn)'}</dd>
            <dt>Modality</dt>
            <dd>
              {kase.modality || '—'} {kase.bodyPart}
            </dd>
            {kase.studyInstanceUid ? (
              <>
                <dt>Study UID</dt>
                <dd style={{ wordBreak: 'break-all' }}>{kase.studyInstanceUid}</dd>
              </>
            ) : null}
            <dt>Images</dt>
            <dd>{kase.images.length}</dd>
            {Object.entries(kase.metadata).map(([k, v]) => (
              // A dl holds only dt/dd groups (a span between them breaks its semantics for screen readers).
              <Fragment key={k}>
                <dt>{k}</dt>
                <dd>{String(v)}</dd>
              </Fragment>
            ))}
          </dl>
        </section>
        <section className="card" aria-labelledby="truth-h">
          <h3 id="truth-h">Current truth</h3>
          {prov.currentTruth.length === 0 ? (
            <p className="muted">No truth yet: the case is {kase.state === 'none' ? 'not started' : 'still being read'}.</p>
          ) : (
            <ul className="plain">
              {prov.currentTruth.map((t) => (
                <li key={t.id}>
                  {t.findingKey ? <strong>{t.findingKey}: </strong> : null}
                  <TruthBadge state={t.state} /> {t.value === null ? '' : formatValues(t.value)}
                  <div className="hint">
                    v{t.version} · {t.method} · policy v{t.policyVersion}
                    {t.decider ? ` · ${name(t.decider)}` : ''}
                    {t.rationale ? ` — “${t.rationale}”` : ''}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card" aria-labelledby="chain-h">
          <h3 id="chain-h">Workflow</h3>
          <dl className="facts">
            <dt>Definition</dt>
            <dd>
              version {kase.projectVersion}
              {prov.pinnedVersion?.note ? ` — ${prov.pinnedVersion.note}` : ''}
            </dd>
            <dt>Machine</dt>
            <dd>{kase.machineVersion ?? '—'}</dd>
            <dt>Events</dt>
            <dd>{kase.eventCount ?? 0}</dd>
            <dt>Head hash</dt>
            <dd>
              <code title={kase.headHash ?? ''}>{kase.headHash ? `${kase.headHash.slice(0, 16)}…` : '—'}</code>
            </dd>
          </dl>
        </section>
      </div>

      {kase.state === 'exclusionReview' && !kase.withdrawnAt ? (
        <section className="panel" aria-labelledby="excl-h">
          <h3 id="excl-h">Confirm exclusion</h3>
          <p className="muted">Readers could not assess this case. Exclude it, or keep it and ask for more reads.</p>
          <Form method="post" className="stack">
            <input type="hidden" name="intent" value="exclusion" />
            <input type="hidden" name="caseId" value={kase.id} />
            <input type="hidden" name="clientRequestId" value={requestIds.exclusion} />
            <fieldset>
              <legend>Decision</legend>
              <label style={{ fontWeight: 400 }}>
                <input type="radio" name="decision" value="exclude" /> Exclude the case
              </label>
              <label style={{ fontWeight: 400 }}>
                <input type="radio" name="decision" value="keep" /> Keep it (more reads)
              </label>
              {errors?.decision ? <div className="field-error">{errors.decision[0]}</div> : null}
            </fieldset>
            <Field name="reason" label="Reason" errors={errors}>
              {(a) => <textarea {...a} name="reason" required />}
            </Field>
            <div>
              <button type="submit">Record decision</button>
            </div>
          </Form>
        </section>
      ) : null}
      {(kase.state === 'decided' || kase.state === 'excluded') && !kase.withdrawnAt ? (
        <details className="panel">
          <summary>Reopen this case</summary>
          <p className="muted">A new round of reads starts; the current truth goes back to pending. Everything so far is kept.</p>
          <Form method="post" className="stack">
            <input type="hidden" name="intent" value="reopen" />
            <input type="hidden" name="clientRequestId" value={requestIds.reopen} />
            <Field name="reason" label="Why reopen?" errors={errors}>
              {(a) => <textarea {...a} name="reason" required />}
            </Field>
            <div>
              <button type="submit" className="danger">
                Reopen
              </button>
            </div>
          </Form>
        </details>
      ) : null}

      <h3>Reads</h3>
      {reads.length === 0 ? (
        <div className="empty">No reads yet.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Read</th>
              <th>Source</th>
              <th>By</th>
              <th>Answer</th>
              <th>When</th>
              <th>Amends</th>
            </tr>
          </thead>
          <tbody>
            {reads.map((r) => (
              <tr key={r.id}>
                <td>
                  <code>{short(r.id)}</code>
                </td>
                <td>{r.source}</td>
                <td>{name(r.author)}</td>
                <td>{r.values === null ? <span className="badge badge-warn">cannot assess: {r.cannotAssessReason}</span> : formatValues(r.values)}</td>
                <td>{r.at.replace('T', ' ').slice(0, 16)}</td>
                <td>{r.supersedesId ? `${short(r.supersedesId)} — ${r.amendmentReason ?? ''}` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h3>Provenance</h3>
      <p className="muted">Every event of the case's hash chain with the reads and truth versions it wrote, evidence, reviews and other audited actions — who, when and why.</p>
      {prov.timeline.length === 0 ? (
        <div className="empty">Nothing has happened to this case yet.</div>
      ) : (
        <ol className="timeline">
          {prov.timeline.map((item, i) => (
            <TimelineEntry key={i} item={item} />
          ))}
        </ol>
      )}
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
