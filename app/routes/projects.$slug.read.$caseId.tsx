import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useSubmit } from '@remix-run/react';
import { randomUUID } from 'node:crypto';
import { useCallback, useEffect, useRef, useState } from 'react';
import { requestSignal } from '~/lib/deadline.server.ts';
import { requireProjectRole } from '~/permissions.server.ts';
import { amendReaderRead, getReaderCase, submitReaderRead, takeNextCase } from '~/models/reading.server.ts';
import { addVisibleTime, clampReport } from '~/models/time-on-case.server.ts';
import { describeAnswer, describeValues, itemLabel, unansweredItems } from '~/lib/reader-form.ts';
import { parseReadForm } from '~/lib/reader-form.server.ts';
import { readEnvelopeSchema } from '~/forms/reading.server.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { formError, notFoundAs404 } from '~/lib/errors.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { clientIp } from '~/request.server.ts';
import { ImageViewer, usePrefetchNext, type ViewerApi } from '~/components/image-viewer.tsx';
import { reservedNextImages } from '~/models/case-images.server.ts';
import { ReaderFormFields } from '~/components/reader-form-fields.tsx';
import { ReaderErrorSummary } from '~/components/reader-error-summary.tsx';
import { useReaderKeys } from '~/components/use-reader-keys.ts';
import { getReaderStudyCase, isCalibrationCase } from '~/models/study.server.ts';
import { StudyCasePanel } from '~/components/study-case-panel.tsx';
import { useVisibleTime } from '~/components/reader-visible-time.ts';
import { formItems } from '../../workflows/form-items.ts';
import { MarksFields, MarksSummary, useReaderMarks } from '~/components/marks-editor.tsx';

// The title names the case, so a new case is announced and tabs and history tell cases apart.
export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `Case ${data.view.case.id.slice(0, 8)} — Read — Truthline` : 'Read a case — Truthline' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'reader');
  const view = await getReaderCase({ projectId: project.id, caseId: params.caseId ?? '', userId: user.id }).catch(notFoundAs404);
  const study = await getReaderStudyCase({ projectId: project.id, caseId: view.case.id, userId: user.id });
  // A fresh id per page view: a double-submitted form records one read.
  const next = await reservedNextImages({ projectId: project.id, userId: user.id });
  return json({ project: { slug: project.slug, name: project.name }, view, study, next, clientRequestId: randomUUID() });
}

/** One answer whatever the case's progress: a reader must not learn it from the reply. */
const AMENDED = 'Your amendment is recorded and the earlier answer kept in the history. If the reads were already compared, it goes to the adjudicator as an amendment.';

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'reader');
  const caseId = params.caseId ?? '';
  const view = await getReaderCase({ projectId: project.id, caseId, userId: user.id }).catch(notFoundAs404);
  const fd = await request.formData();
  // Visible time the page counted since its last report; banked first, so a refused read keeps it.
  const visibleMs = clampReport(Number(fd.get('visibleMs') ?? 0));
  const banked = await addVisibleTime({ caseId, userId: user.id, ms: visibleMs });
  if (fd.get('intent') === 'time') return json({ ok: true as const });
  const env = readEnvelopeSchema.safeParse(Object.fromEntries([...fd.entries()].filter(([, v]) => typeof v === 'string')));
  if (!env.success) return validationFailed({ _form: env.error.issues.map((i) => i.message) });
  const parsed = parseReadForm(view.readerForm, fd);
  if (env.data.intent === 'amend' && !env.data.reason) {
    const errors = parsed.ok ? {} : parsed.errors;
    return validationFailed({ ...errors, reason: ['Say why you are changing your read'] });
  }
  if (!parsed.ok) return validationFailed(parsed.errors);
  // Time on the case: visible time since the assignment was first viewed (reloads included, hidden
  // time excluded); an amendment has no assignment and counts this page view.
  const timeSpentMs = banked ?? visibleMs;
  const read = { values: parsed.values, cannotAssessReason: parsed.cannotAssessReason, comment: parsed.comment, confidence: parsed.confidence, timeSpentMs };
  const base = `/projects/${project.slug}/read`;
  try {
    if (env.data.intent === 'amend') {
      await amendReaderRead({
        projectId: project.id,
        caseId,
        userId: user.id,
        clientRequestId: env.data.clientRequestId,
        supersedesReadId: env.data.supersedesReadId ?? '',
        reason: env.data.reason!,
        read,
        ip: clientIp(request),
      });
      return redirectWithFlash(`${base}/${caseId}`, { kind: 'success', message: AMENDED });
    }
    const r = await submitReaderRead({ projectId: project.id, caseId, userId: user.id, clientRequestId: env.data.clientRequestId, read, ip: clientIp(request) });
    const saved = r.status === 'duplicate' ? 'This read was already saved (the form was sent twice); it is recorded once.' : 'Read saved.';
    if (env.data.next === '0') return redirectWithFlash(base, { kind: 'success', message: saved });
    // A calibration case stays on screen after the read, with its known answer (study-case-panel).
    if (await isCalibrationCase({ projectId: project.id, caseId }))
      return redirectWithFlash(`${base}/${caseId}`, { kind: 'success', message: `${saved} Here is the known answer.` });
    const next = await takeNextCase({ projectId: project.id, userId: user.id, signal: requestSignal(request) });
    if (!next) return redirectWithFlash(base, { kind: 'success', message: `${saved} No more cases are waiting for you.` });
    return redirectWithFlash(`${base}/${next.caseId}`, { kind: 'success', message: `${saved} Here is your next case.` });
  } catch (e) {
    return formError(e);
  }
}

export default function ReadCase() {
  const { project, view, study, next, clientRequestId } = useLoaderData<typeof loader>();
  usePrefetchNext(project.slug, next?.caseId === view.case.id ? null : next);
  const data = useActionData<typeof action>();
  const nav = useNavigation();
  const submit = useSubmit();
  const formRef = useRef<HTMLFormElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const viewer = useRef<ViewerApi | null>(null);
  const [amending, setAmending] = useState(false);
  const [cannot, setCannot] = useState(false);
  const [clientErrors, setClientErrors] = useState<Record<string, string[]> | null>(null);
  // A read on its way: no key and no second submit until the router has settled (see useReaderKeys).
  const sending = useRef(false);
  // State belongs to one page view (a fresh clientRequestId per load): a saved amendment or the
  // next case closes the amend form and clears what was typed.
  useEffect(() => {
    setAmending(false);
    setCannot(false);
    setClientErrors(null);
    sending.current = false;
  }, [clientRequestId]);
  // A new case: focus on its heading (announced with the new title), keys start on its first item.
  useEffect(() => {
    headingRef.current?.focus();
  }, [view.case.id]);
  const errors = clientErrors ?? (data && !data.ok ? (data.errors as Record<string, string[]>) : null);
  const editable = !view.myRead || amending;
  const onNext = useCallback(() => submit(null, { method: 'post', action: `/projects/${project.slug}/read` }), [submit, project.slug]);
  const busy = nav.state !== 'idle';
  // Settled: back on this page with the server's answer (errors), or on the next page (new id).
  const wasBusy = useRef(false);
  useEffect(() => {
    if (busy) wasBusy.current = true;
    else if (wasBusy.current) {
      wasBusy.current = false;
      sending.current = false;
    }
  }, [busy]);
  useReaderKeys({ formRef, viewer, onNext, ready: !busy, sending });
  const takeVisibleMs = useVisibleTime(`/projects/${project.slug}/read/${view.case.id}?_data=${encodeURIComponent('routes/projects.$slug.read.$caseId')}`, view.case.id);
  // Marks are drawn in the viewer: the saved read's are replayed there, locked, until amended.
  const marks = useReaderMarks({
    form: view.readerForm,
    images: view.case.images,
    caseUrl: `/projects/${project.slug}/cases/${view.case.id}`,
    values: editable && !amending ? null : view.myRead?.values,
    editable: editable && !cannot,
    viewer,
    reset: `${clientRequestId}:${editable}:${amending}`,
    imported: study?.aiMarks,
  });
  const startAmending = () => {
    setAmending(true);
    setCannot(view.myRead?.values === null);
  };

  return (
    <>
      <div className="row">
        <h1 style={{ margin: 0 }} tabIndex={-1} ref={headingRef}>
          Case {view.case.id.slice(0, 8)}
        </h1>
        <span className="spacer" />
        <Link to={`/projects/${project.slug}/read`}>Back to your queue</Link>
      </div>
      <div className="case-meta">
        <span>{project.name}</span>
        <span>Study date {view.case.studyDate}</span>
        <span>
          {view.case.modality} · {view.case.bodyPart}
          {view.case.view ? ` · ${view.case.view}` : ''}
        </span>
        {view.expiresAt ? <span>Assignment expires {new Date(view.expiresAt).toLocaleString()}</span> : null}
      </div>
      <div className="reader-layout">
        <ImageViewer
          images={view.case.images}
          caseUrl={`/projects/${project.slug}/cases/${view.case.id}`}
          protocol={view.readerForm.hangingProtocol}
          apiRef={viewer}
          marks={marks.viewerMarks}
        />
        <section className="panel read-panel" aria-label="Your read">
          {/* Only this part scrolls: the Submit bar below it never lies over a control of the form. */}
          <div className="read-panel-body">
            {study ? <StudyCasePanel study={study} slug={project.slug} caseId={view.case.id} onNext={onNext} /> : null}
            {view.myRead && !amending ? (
              <>
                <h2 style={{ marginTop: 0 }}>Your read</h2>
                {view.myRead.values === null ? (
                  <p>
                    <span className="badge badge-warn">Cannot assess</span> {view.myRead.cannotAssessReason}
                  </p>
                ) : (
                  <dl>
                    {formItems(view.readerForm).map((it) => (
                      <div key={it.key} className="row">
                        <dt style={{ minWidth: '10rem' }}>{itemLabel(view.readerForm, it.key)}</dt>
                        <dd style={{ margin: 0, fontWeight: 600 }}>{describeAnswer(it.field, view.myRead!.values![it.key])}</dd>
                      </div>
                    ))}
                  </dl>
                )}
                {view.myRead.confidence !== null ? <p className="muted">Confidence: {view.myRead.confidence}</p> : null}
                <MarksSummary form={view.readerForm} values={view.myRead.values} />
                {view.myRead.comment ? <p className="muted">Comment: {view.myRead.comment}</p> : null}
                <p className="muted">
                  Saved {new Date(view.myRead.at).toLocaleString()}.{view.myRead.timeSpentMs !== null ? ` Time on case: ${(view.myRead.timeSpentMs / 1000).toFixed(1)} s.` : ''}
                </p>
                {view.hasOwnRead ? (
                  <button type="button" className="secondary" onClick={startAmending}>
                    Amend my read
                  </button>
                ) : null}
                {view.revealed ? (
                  <div className="panel" style={{ marginTop: '1rem' }}>
                    <h3>Truth (shown after you finished, as this project allows)</h3>
                    <ul>
                      {view.revealed.truth.map((t) => {
                        const it = formItems(view.readerForm).find((i) => i.key === t.findingKey || i.finding?.key === t.findingKey);
                        return (
                          <li key={t.findingKey ?? 'case'}>
                            {t.findingKey ? (it?.finding?.label ?? (it ? itemLabel(view.readerForm, it.key) : t.findingKey)) : 'Case'}: {t.state.replace(/_/g, ' ')}{' '}
                            {t.value === null
                              ? ''
                              : typeof t.value === 'object' && !Array.isArray(t.value)
                                ? describeValues(view.readerForm, t.value as Record<string, unknown>)
                                : it
                                  ? describeAnswer(it.field, t.value)
                                  : String(t.value)}
                          </li>
                        );
                      })}
                    </ul>
                  </div>
                ) : null}
                {view.history.length > 1 ? (
                  <details>
                    <summary>History of your reads ({view.history.length})</summary>
                    <ul>
                      {view.history.map((h) => (
                        <li key={h.id}>
                          {new Date(h.at).toLocaleString()}: {describeValues(view.readerForm, h.values)} {h.amendmentReason ? `— amended: ${h.amendmentReason}` : ''}
                        </li>
                      ))}
                    </ul>
                  </details>
                ) : null}
              </>
            ) : null}
            {editable ? (
              <Form
                // A new case (or a fresh page view) gets a fresh form: uncontrolled inputs must not carry answers over.
                key={clientRequestId}
                method="post"
                id="read-form"
                ref={formRef}
                noValidate
                onSubmit={(e) => {
                  if (sending.current) {
                    e.preventDefault();
                    return;
                  }
                  const fd = new FormData(e.currentTarget);
                  const errs: Record<string, string[]> = unansweredItems(view.readerForm, fd);
                  if (amending && !String(fd.get('reason') ?? '').trim()) errs.reason = ['Say why you are changing your read'];
                  if (Object.keys(errs).length) {
                    e.preventDefault();
                    setClientErrors(errs);
                    return;
                  }
                  setClientErrors(null);
                  sending.current = true;
                  // The visible time since the last report goes with the read.
                  const t = e.currentTarget.elements.namedItem('visibleMs');
                  if (t instanceof HTMLInputElement) t.value = String(takeVisibleMs());
                }}
              >
                <input type="hidden" name="intent" value={amending ? 'amend' : 'read'} />
                <input type="hidden" name="clientRequestId" value={clientRequestId} />
                <input type="hidden" name="visibleMs" defaultValue="0" />
                {amending ? <input type="hidden" name="supersedesReadId" value={view.myRead?.id ?? ''} /> : null}
                <h2 style={{ marginTop: 0 }}>{amending ? 'Amend your read' : 'Your read'}</h2>
                <ReaderErrorSummary errors={errors} form={view.readerForm} />
                {/* While saving, the answers on screen are the ones being sent: nothing changes them. */}
                <fieldset className="plain" disabled={busy}>
                  {!cannot ? <ReaderFormFields form={view.readerForm} values={amending ? view.myRead?.values : null} errors={errors} /> : null}
                  {!cannot ? <MarksFields marks={marks.api} errors={errors} /> : null}
                  {view.readerForm.confidence && !cannot ? (
                    <div className="form-item">
                      <label htmlFor="confidence">Confidence (0–100, optional)</label>
                      <input
                        id="confidence"
                        name="confidence"
                        type="number"
                        min={0}
                        max={100}
                        style={{ maxWidth: '8rem' }}
                        defaultValue={amending ? (view.myRead?.confidence ?? undefined) : undefined}
                        aria-invalid={Boolean(errors?.confidence)}
                        aria-describedby={errors?.confidence ? 'confidence-err' : undefined}
                      />
                      {errors?.confidence ? (
                        <div className="field-error" id="confidence-err">
                          {errors.confidence[0]}
                        </div>
                      ) : null}
                    </div>
                  ) : null}
                  {view.readerForm.comment ? (
                    <div className="form-item">
                      <label htmlFor="comment">Comment (optional)</label>
                      <textarea id="comment" name="comment" defaultValue={amending ? (view.myRead?.comment ?? '') : undefined} />
                    </div>
                  ) : null}
                  <div className="form-item">
                    <label className="option">
                      <input type="checkbox" name="cannotAssess" checked={cannot} onChange={(e) => setCannot(e.target.checked)} />
                      <span>Cannot assess this case</span>
                    </label>
                    {cannot ? (
                      <>
                        <label htmlFor="cannotAssessReason">Why not?</label>
                        <input
                          id="cannotAssessReason"
                          name="cannotAssessReason"
                          type="text"
                          defaultValue={amending ? (view.myRead?.cannotAssessReason ?? '') : undefined}
                          aria-invalid={Boolean(errors?.cannotAssessReason)}
                          aria-describedby={errors?.cannotAssessReason ? 'cannotAssessReason-err' : undefined}
                        />
                        {errors?.cannotAssessReason ? (
                          <div className="field-error" id="cannotAssessReason-err">
                            {errors.cannotAssessReason[0]}
                          </div>
                        ) : null}
                      </>
                    ) : null}
                  </div>
                  {amending ? (
                    <div className="form-item">
                      <label htmlFor="reason">Reason for the amendment</label>
                      <input id="reason" name="reason" type="text" aria-invalid={Boolean(errors?.reason)} aria-describedby={errors?.reason ? 'reason-err' : undefined} />
                      {errors?.reason ? (
                        <div className="field-error" id="reason-err">
                          {errors.reason[0]}
                        </div>
                      ) : null}
                    </div>
                  ) : null}
                </fieldset>
                <p className="keys">
                  <kbd>1</kbd>–<kbd>9</kbd> choose · <kbd>Enter</kbd> submit · <kbd>n</kbd> next case · <kbd>[</kbd> <kbd>]</kbd> images · <kbd>+</kbd> <kbd>−</kbd> zoom · arrows
                  pan when zoomed · <kbd>i</kbd> invert · <kbd>w</kbd> window · <kbd>0</kbd> reset
                </p>
              </Form>
            ) : null}
          </div>
          {editable ? (
            <div className="row read-panel-bar">
              <button type="submit" form="read-form" disabled={busy}>
                {busy ? 'Saving…' : amending ? 'Save amendment' : 'Submit and next case'}
              </button>
              {amending ? (
                <button type="button" className="secondary" onClick={() => setAmending(false)}>
                  Cancel
                </button>
              ) : (
                <button type="submit" form="read-form" name="next" value="0" className="secondary" disabled={busy}>
                  Submit and stop
                </button>
              )}
            </div>
          ) : null}
        </section>
      </div>
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
