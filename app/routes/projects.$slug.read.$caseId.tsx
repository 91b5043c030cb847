import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useSubmit } from '@remix-run/react';
import { randomUUID } from 'node:crypto';
import { useCallback, useEffect, useRef, useState } from 'react';
import { z } from 'zod';
import { requestSignal } from '~/lib/deadline.server.ts';
import { uuidField } from '../../domain/vocabulary.ts';
import { requireProjectRole } from '~/permissions.server.ts';
import { amendReaderRead, getReaderCase, submitReaderRead, takeNextCase } from '~/models/reading.server.ts';
import { parseReadForm, describeAnswer } from '~/lib/reader-form.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { formError, notFoundAs404 } from '~/lib/errors.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { clientIp } from '~/request.server.ts';
import { ImageViewer, type ViewerApi } from '~/components/image-viewer.tsx';
import { ReaderFormFields } from '~/components/reader-form-fields.tsx';
import { useReaderKeys } from '~/components/use-reader-keys.ts';
import { MarksFields, MarksSummary } from '~/components/marks-editor.tsx';
import { formItems } from '../../workflows/definition.ts';

export const meta: MetaFunction = () => [{ title: 'Read a case — Truthline' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'reader');
  const view = await getReaderCase({ projectId: project.id, caseId: params.caseId ?? '', userId: user.id }).catch(notFoundAs404);
  // A fresh id per page view: a double-submitted form records one read.
  return json({ project: { slug: project.slug, name: project.name }, view, clientRequestId: randomUUID(), openedAt: Date.now() });
}

const envelope = z.object({
  intent: z.enum(['read', 'amend']),
  clientRequestId: uuidField('The form is out of date: reload the page'),
  openedAt: z.coerce.number().int().positive(),
  supersedesReadId: z.string().optional(),
  reason: z.string().trim().optional(),
  next: z.string().optional(),
});

/** One answer whatever the case's progress: a reader must not learn it from the reply. */
const AMENDED = 'Your amendment is recorded and the earlier answer kept in the history. If the reads were already compared, it goes to the adjudicator as an amendment.';

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'reader');
  const caseId = params.caseId ?? '';
  const view = await getReaderCase({ projectId: project.id, caseId, userId: user.id }).catch(notFoundAs404);
  const fd = await request.formData();
  const env = envelope.safeParse(Object.fromEntries([...fd.entries()].filter(([, v]) => typeof v === 'string')));
  if (!env.success) return validationFailed({ _form: env.error.issues.map((i) => i.message) });
  const parsed = parseReadForm(view.readerForm, fd);
  if (env.data.intent === 'amend' && !env.data.reason) {
    const errors = parsed.ok ? {} : parsed.errors;
    return validationFailed({ ...errors, reason: ['Say why you are changing your read'] });
  }
  if (!parsed.ok) return validationFailed(parsed.errors);
  // Time on the case, measured from when this page was served (clamped: tabs left open overnight).
  const timeSpentMs = Math.min(Math.max(0, Date.now() - env.data.openedAt), 4 * 3600_000);
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
    const next = await takeNextCase({ projectId: project.id, userId: user.id, signal: requestSignal(request) });
    if (!next) return redirectWithFlash(base, { kind: 'success', message: `${saved} No more cases are waiting for you.` });
    return redirectWithFlash(`${base}/${next.caseId}`, { kind: 'success', message: `${saved} Here is your next case.` });
  } catch (e) {
    return formError(e);
  }
}

export default function ReadCase() {
  const { project, view, clientRequestId, openedAt } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const nav = useNavigation();
  const submit = useSubmit();
  const formRef = useRef<HTMLFormElement>(null);
  const viewer = useRef<ViewerApi | null>(null);
  const [amending, setAmending] = useState(false);
  const [cannot, setCannot] = useState(false);
  const [clientErrors, setClientErrors] = useState<Record<string, string[]> | null>(null);
  // State belongs to one case and one saved read: reset it when the reader moves on or a save lands.
  useEffect(() => {
    setAmending(false);
    setCannot(false);
    setClientErrors(null);
  }, [view.case.id, view.myRead?.id]);
  const errors = clientErrors ?? (data && !data.ok ? (data.errors as Record<string, string[]>) : null);
  const editable = !view.myRead || amending;
  const onNext = useCallback(() => submit(null, { method: 'post', action: `/projects/${project.slug}/read` }), [submit, project.slug]);
  useReaderKeys({ formRef, viewer, onNext });
  const busy = nav.state !== 'idle';

  return (
    <>
      <div className="row">
        <h1 style={{ margin: 0 }}>Case {view.case.id.slice(0, 8)}</h1>
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
        <ImageViewer images={view.case.images} caseUrl={`/projects/${project.slug}/cases/${view.case.id}`} protocol={view.readerForm.hangingProtocol} apiRef={viewer} />
        <section className="panel" aria-label="Your read">
          {errors?._form ? (
            <div className="flash flash-error" role="alert">
              {errors._form.join(' ')}
            </div>
          ) : null}
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
                      <dt style={{ minWidth: '10rem' }}>
                        {it.finding ? `${it.finding.label}: ` : ''}
                        {it.field.label}
                      </dt>
                      <dd style={{ margin: 0, fontWeight: 600 }}>{describeAnswer(it.field, view.myRead!.values![it.key])}</dd>
                    </div>
                  ))}
                </dl>
              )}
              <MarksSummary form={view.readerForm} values={view.myRead.values} />
              {view.myRead.comment ? <p className="muted">Comment: {view.myRead.comment}</p> : null}
              <p className="muted">Saved {new Date(view.myRead.at).toLocaleString()}.</p>
              {view.hasOwnRead ? (
                <button type="button" className="secondary" onClick={() => setAmending(true)}>
                  Amend my read
                </button>
              ) : null}
              {view.revealed ? (
                <div className="panel" style={{ marginTop: '1rem' }}>
                  <h3>Truth (shown after you finished, as this project allows)</h3>
                  <ul>
                    {view.revealed.truth.map((t) => (
                      <li key={t.findingKey ?? 'case'}>
                        {t.findingKey ?? 'Case'}: {t.state} {t.value !== null ? JSON.stringify(t.value) : ''}
                      </li>
                    ))}
                  </ul>
                </div>
              ) : null}
              {view.history.length > 1 ? (
                <details>
                  <summary>History of your reads ({view.history.length})</summary>
                  <ul>
                    {view.history.map((h) => (
                      <li key={h.id}>
                        {new Date(h.at).toLocaleString()}: {h.values ? JSON.stringify(h.values) : 'cannot assess'} {h.amendmentReason ? `— amended: ${h.amendmentReason}` : ''}
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
              ref={formRef}
              noValidate
              onSubmit={(e) => {
                const fd = new FormData(e.currentTarget);
                const { parseReadForm: parse } = { parseReadForm };
                const r = parse(view.readerForm, fd);
                const errs: Record<string, string[]> = r.ok ? {} : { ...r.errors };
                if (amending && !String(fd.get('reason') ?? '').trim()) errs.reason = ['Say why you are changing your read'];
                if (Object.keys(errs).length) {
                  e.preventDefault();
                  setClientErrors(errs);
                } else setClientErrors(null);
              }}
            >
              <input type="hidden" name="intent" value={amending ? 'amend' : 'read'} />
              <input type="hidden" name="clientRequestId" value={clientRequestId} />
              <input type="hidden" name="openedAt" value={openedAt} />
              {amending ? <input type="hidden" name="supersedesReadId" value={view.myRead?.id ?? ''} /> : null}
              <h2 style={{ marginTop: 0 }}>{amending ? 'Amend your read' : 'Your read'}</h2>
              {!cannot ? <ReaderFormFields form={view.readerForm} values={amending ? view.myRead?.values : null} errors={errors} /> : null}
              {!cannot ? (
                <MarksFields
                  form={view.readerForm}
                  images={view.case.images}
                  caseUrl={`/projects/${project.slug}/cases/${view.case.id}`}
                  values={amending ? view.myRead?.values : null}
                  errors={errors}
                />
              ) : null}
              {view.readerForm.confidence && !cannot ? (
                <div className="form-item">
                  <label htmlFor="confidence">Confidence (0–100, optional)</label>
                  <input id="confidence" name="confidence" type="number" min={0} max={100} style={{ maxWidth: '8rem' }} aria-invalid={Boolean(errors?.confidence)} />
                  {errors?.confidence ? <div className="field-error">{errors.confidence[0]}</div> : null}
                </div>
              ) : null}
              {view.readerForm.comment ? (
                <div className="form-item">
                  <label htmlFor="comment">Comment (optional)</label>
                  <textarea id="comment" name="comment" />
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
                    <input id="cannotAssessReason" name="cannotAssessReason" type="text" aria-invalid={Boolean(errors?.cannotAssessReason)} />
                    {errors?.cannotAssessReason ? <div className="field-error">{errors.cannotAssessReason[0]}</div> : null}
                  </>
                ) : null}
              </div>
              {amending ? (
                <div className="form-item">
                  <label htmlFor="reason">Reason for the amendment</label>
                  <input id="reason" name="reason" type="text" aria-invalid={Boolean(errors?.reason)} />
                  {errors?.reason ? <div className="field-error">{errors.reason[0]}</div> : null}
                </div>
              ) : null}
              <div className="row">
                <button type="submit" disabled={busy}>
                  {busy ? 'Saving…' : amending ? 'Save amendment' : 'Submit and next case'}
                </button>
                {amending ? (
                  <button type="button" className="secondary" onClick={() => setAmending(false)}>
                    Cancel
                  </button>
                ) : (
                  <button type="submit" name="next" value="0" className="secondary" disabled={busy}>
                    Submit and stop
                  </button>
                )}
              </div>
              <p className="keys">
                <kbd>1</kbd>–<kbd>9</kbd> choose · <kbd>Enter</kbd> submit · <kbd>n</kbd> next case · <kbd>[</kbd> <kbd>]</kbd> images · <kbd>i</kbd> invert · <kbd>w</kbd> window ·{' '}
                <kbd>0</kbd> reset
              </p>
            </Form>
          ) : null}
        </section>
      </div>
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
