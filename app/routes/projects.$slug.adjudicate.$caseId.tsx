import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { randomUUID } from 'node:crypto';
import { useRef, useState } from 'react';
import { requireProjectRole } from '~/permissions.server.ts';
import { decideAdjudication, getAdjudicationCase, requestAnotherRead } from '~/models/adjudication.server.ts';
import { alreadyRecorded } from '~/models/requests.server.ts';
import { describeAnswer, describeDispute, itemLabel } from '~/lib/reader-form.ts';
import { parseReadForm } from '~/lib/reader-form.server.ts';
import { decisionSchema } from '~/forms/reading.server.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { formError, notFoundAs404 } from '~/lib/errors.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { clientIp } from '~/request.server.ts';
import { ImageViewer, usePrefetchNext, type ViewerApi } from '~/components/image-viewer.tsx';
import { nextAdjudicationImages } from '~/models/case-images.server.ts';
import { ReaderFormFields } from '~/components/reader-form-fields.tsx';
import { ReaderErrorSummary } from '~/components/reader-error-summary.tsx';
import { formItems } from '../../workflows/form-items.ts';
import { MarksAdjudication, useAdjudicationMarks } from '~/components/marks-adjudication.tsx';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `Adjudicate case ${data.view.case.id.slice(0, 8)} — Truthline` : 'Adjudicate a case — Truthline' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'adjudicator');
  const view = await getAdjudicationCase({ projectId: project.id, caseId: params.caseId ?? '', userId: user.id }).catch(notFoundAs404);
  // Disputes in the form's words (the stored reasons name raw values).
  const disputes = view.disputes.map((d) => describeDispute(view.readerForm, d));
  const next = await nextAdjudicationImages({ projectId: project.id, userId: user.id, caseId: view.case.id });
  return json({ project: { slug: project.slug, name: project.name }, view, disputes, next, clientRequestId: randomUUID() });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'adjudicator');
  const caseId = params.caseId ?? '';
  const fd = await request.formData();
  const p = decisionSchema.safeParse(Object.fromEntries([...fd.entries()].filter(([, v]) => typeof v === 'string')));
  const base = `/projects/${project.slug}/adjudicate`;
  // The same form submitted twice: the first decided the case, which has left the queue since.
  if (p.success && (await alreadyRecorded({ caseId, actorId: user.id, clientRequestId: p.data.clientRequestId })))
    return redirectWithFlash(base, { kind: 'success', message: 'Decision recorded with your rationale.' });
  const view = await getAdjudicationCase({ projectId: project.id, caseId, userId: user.id }).catch(notFoundAs404);
  if (!p.success) {
    const errors: Record<string, string[]> = {};
    for (const i of p.error.issues) (errors[String(i.path[0] ?? '_form')] ??= []).push(i.message);
    return validationFailed(errors);
  }
  const ip = clientIp(request);
  try {
    if (p.data.intent === 'more') {
      await requestAnotherRead({ caseId, userId: user.id, clientRequestId: p.data.clientRequestId, rationale: p.data.rationale, ip });
      return redirectWithFlash(base, { kind: 'success', message: 'One more read was requested; the case returns to the readers.' });
    }
    if (p.data.mode === 'pick') {
      if (!p.data.pickReadId || !view.reads.some((r) => r.id === p.data.pickReadId)) return validationFailed({ pickReadId: ['Choose one of the reads'] });
      await decideAdjudication({ caseId, userId: user.id, clientRequestId: p.data.clientRequestId, pickReadId: p.data.pickReadId, rationale: p.data.rationale, ip });
    } else {
      // Adjudicators have no "cannot assess": the message asks for a value.
      const parsed = parseReadForm(view.readerForm, fd, { only: view.disputedItems, missingMessage: 'Enter a value for this disputed item' });
      if (!parsed.ok) return validationFailed(parsed.errors);
      if (parsed.values === null) return validationFailed({ _form: ['Enter a value for each disputed item'] });
      await decideAdjudication({ caseId, userId: user.id, clientRequestId: p.data.clientRequestId, values: parsed.values, rationale: p.data.rationale, ip });
    }
    return redirectWithFlash(base, { kind: 'success', message: 'Decision recorded with your rationale.' });
  } catch (e) {
    return formError(e);
  }
}

export default function AdjudicateCase() {
  const { project, view, disputes, next, clientRequestId } = useLoaderData<typeof loader>();
  // The next case of the queue loads into the viewer's cache while this one is adjudicated.
  usePrefetchNext(project.slug, next);
  const data = useActionData<typeof action>();
  const nav = useNavigation();
  const viewer = useRef<ViewerApi | null>(null);
  const [mode, setMode] = useState<'pick' | 'enter'>('pick');
  const errors = data && !data.ok ? (data.errors as Record<string, string[]>) : null;
  const items = formItems(view.readerForm);
  const busy = nav.state !== 'idle';
  // Every reader's marks overlaid in the viewer (masked, a colour each); new lesions drawn there.
  const marks = useAdjudicationMarks({
    form: view.readerForm,
    markRules: view.markRules,
    reads: view.reads,
    images: view.case.images,
    caseUrl: `/projects/${project.slug}/cases/${view.case.id}`,
    viewer,
  });
  const findingLabel = (key: string | undefined) => (key ? (view.readerForm.findings.find((f) => f.key === key)?.label ?? key) : 'Case');
  return (
    <>
      <div className="row">
        <h1 style={{ margin: 0 }}>Adjudicate case {view.case.id.slice(0, 8)}</h1>
        <span className="spacer" />
        <Link to={`/projects/${project.slug}/adjudicate`}>Back to the queue</Link>
      </div>
      <div className="case-meta">
        <span>{project.name}</span>
        <span>Study date {view.case.studyDate}</span>
        <span>
          {view.case.modality} · {view.case.bodyPart}
        </span>
        {view.votesNeeded > 1 ? <span>Panel: {view.votesNeeded} votes still needed</span> : null}
      </div>
      <div className="reader-layout">
        <ImageViewer
          images={view.case.images}
          caseUrl={`/projects/${project.slug}/cases/${view.case.id}`}
          protocol={view.readerForm.hangingProtocol}
          apiRef={viewer}
          marks={marks.viewerMarks}
        />
        <div>
          <section className="panel" aria-label="Dispute">
            <h2 style={{ marginTop: 0 }}>What is disputed</h2>
            <ul>
              {disputes.map((d, i) => (
                <li key={i}>
                  <strong>{d.item}</strong>: {d.reason} <span className="badge">{d.rule}</span>
                </li>
              ))}
            </ul>
          </section>
          <section className="panel" aria-label="Reads">
            <h2 style={{ marginTop: 0 }}>Reads {view.masked ? <span className="hint">(identities masked)</span> : null}</h2>
            <div className="reads-grid">
              {view.reads.map((r) => (
                <div key={r.id} className="card">
                  <h3>{r.label}</h3>
                  {r.values === null ? (
                    <p className="badge badge-warn">cannot assess</p>
                  ) : (
                    <dl>
                      {items.map((it) => (
                        <div key={it.key} className={view.disputedItems.includes(it.key) ? 'disputed' : undefined}>
                          <dt className="hint">{itemLabel(view.readerForm, it.key)}</dt>
                          <dd style={{ margin: 0, fontWeight: 600 }}>{describeAnswer(it.field, r.values![it.key])}</dd>
                        </div>
                      ))}
                    </dl>
                  )}
                  {r.confidence !== null ? <p className="hint">Confidence {r.confidence}</p> : null}
                  {r.comment ? <p className="hint">“{r.comment}”</p> : null}
                </div>
              ))}
            </div>
          </section>
          {view.amendments.length ? (
            <section className="panel" aria-label="Amendments">
              <h2 style={{ marginTop: 0 }}>Amendments after the reads were compared</h2>
              <p className="hint">Recorded, but they do not change the reads above or what is disputed: weigh them in your decision.</p>
              <div className="reads-grid">
                {view.amendments.map((a) => (
                  <div key={a.id} className="card">
                    <h3>
                      {a.label} <span className="badge badge-warn">amended</span>
                    </h3>
                    {a.values === null ? (
                      <p className="badge badge-warn">cannot assess</p>
                    ) : (
                      <dl>
                        {items.map((it) => (
                          <div key={it.key} className={view.disputedItems.includes(it.key) ? 'disputed' : undefined}>
                            <dt className="hint">{itemLabel(view.readerForm, it.key)}</dt>
                            <dd style={{ margin: 0, fontWeight: 600 }}>{describeAnswer(it.field, a.values![it.key])}</dd>
                          </div>
                        ))}
                      </dl>
                    )}
                    <p className="hint">Reason: “{a.reason}”</p>
                    {a.comment ? <p className="hint">“{a.comment}”</p> : null}
                  </div>
                ))}
              </div>
            </section>
          ) : null}
          {view.evidence ? (
            <section className="panel" aria-label="Evidence">
              <h2 style={{ marginTop: 0 }}>Evidence (informed truthing)</h2>
              {view.evidence.length === 0 ? (
                <p className="muted">No evidence has been recorded for this case.</p>
              ) : (
                <ul>
                  {view.evidence.map((e) => (
                    <li key={e.id}>
                      {e.date} · {e.kind.replace(/_/g, ' ')} · {findingLabel(view.findings.find((f) => f.id === e.findingId)?.key)}: <strong>{e.resultCode}</strong> {e.text}
                    </li>
                  ))}
                </ul>
              )}
            </section>
          ) : null}
          <section className="panel" aria-label="Decision">
            <h2 style={{ marginTop: 0 }}>Your decision</h2>
            <Form method="post" noValidate>
              <ReaderErrorSummary errors={errors} form={view.readerForm} />
              <input type="hidden" name="clientRequestId" value={clientRequestId} />
              <MarksAdjudication marks={marks.api} reads={view.reads} disputes={view.disputes} />
              <fieldset className="finding-section">
                <legend>How</legend>
                <label className="option">
                  <input type="radio" name="mode" value="pick" checked={mode === 'pick'} onChange={() => setMode('pick')} />
                  <span>Pick one read</span>
                </label>
                <label className="option">
                  <input type="radio" name="mode" value="enter" checked={mode === 'enter'} onChange={() => setMode('enter')} />
                  <span>Enter the value for the disputed items</span>
                </label>
              </fieldset>
              {mode === 'pick' ? (
                <fieldset className="finding-section">
                  <legend>Read</legend>
                  {view.reads
                    .filter((r) => r.values !== null)
                    .map((r) => (
                      <label key={r.id} className="option">
                        <input type="radio" name="pickReadId" value={r.id} />
                        <span>{r.label}</span>
                      </label>
                    ))}
                  {errors?.pickReadId ? (
                    <div className="field-error" id="pickReadId-err">
                      {errors.pickReadId[0]}
                    </div>
                  ) : null}
                </fieldset>
              ) : (
                <ReaderFormFields form={view.readerForm} only={view.disputedItems} errors={errors} />
              )}
              <div className="form-item">
                <label htmlFor="rationale">Rationale (required)</label>
                <textarea id="rationale" name="rationale" aria-invalid={Boolean(errors?.rationale)} aria-describedby={errors?.rationale ? 'rationale-err' : undefined} />
                {errors?.rationale ? (
                  <div className="field-error" id="rationale-err">
                    {errors.rationale[0]}
                  </div>
                ) : null}
              </div>
              <div className="row">
                <button type="submit" name="intent" value="decide" disabled={busy}>
                  Record decision
                </button>
                <button type="submit" name="intent" value="more" className="secondary" disabled={busy}>
                  Ask for one more read instead
                </button>
              </div>
            </Form>
          </section>
        </div>
      </div>
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
