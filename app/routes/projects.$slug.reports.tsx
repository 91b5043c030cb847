/**
 * /projects/:slug/reports — the project's report rules (stored and versioned; a tester that shows
 * each finding's status and the trigger that decided it), runs of a saved version over the
 * imported reports (a background job, then the review page), and evidence from FHIR R4.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json, redirect } from '@remix-run/node';
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
import { fhirImportSchema, labelRunSchema, rulesSaveSchema, rulesTestSchema } from '~/forms/reports.server.ts';
import { FhirImportFailed, formatFhirError, importFhirEvidence, previewFhirImport, type FhirPreview } from '~/models/fhir-import.server.ts';
import { compileRulesText, currentRulesText, ruleVersions, saveRules, shippedTriggers, testRules, type CompiledRules, type FindingRow } from '~/models/report-rules.server.ts';
import { labelRuns, startLabelRun, type LabelRunResult } from '~/models/report-labels.server.ts';
import { kickJobs } from '../../jobs/runner.ts';
import { AppError } from '../../domain/errors.ts';

export const meta: MetaFunction = () => [{ title: 'Reports — Truthline' }];

const SHOW_ROWS = 200;
const SHOW_ERRORS = 200;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const [versions, runs, current] = await Promise.all([ruleVersions({ projectId: project.id }), labelRuns({ projectId: project.id }), currentRulesText({ projectId: project.id })]);
  return json({
    project: { slug: project.slug, name: project.name },
    roles,
    triggers: shippedTriggers(),
    versions,
    runs,
    current,
  });
}

function compile(text: string): { rules: CompiledRules } | { error: string } {
  try {
    return { rules: compileRulesText(text) };
  } catch (e) {
    if (e instanceof AppError) return { error: e.message };
    throw e;
  }
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const fd = await request.formData();
  const intent = fd.get('intent');
  if (intent === 'test') {
    const p = parseForm(rulesTestSchema, fd);
    if (!p.ok) return validationFailed(p.errors, { echo: { rules: String(fd.get('rules') ?? '') } });
    try {
      return json({ kind: 'test' as const, rows: testRules({ text: p.data.rules, report: p.data.report }), echo: { rules: p.data.rules, report: p.data.report } });
    } catch (e) {
      return formError(e, { echo: { rules: p.data.rules, report: p.data.report } });
    }
  }
  if (intent === 'save') {
    const p = parseForm(rulesSaveSchema, fd);
    if (!p.ok) return validationFailed(p.errors);
    try {
      const v = await saveRules({ projectId: project.id, text: p.data.rules, actorId: user.id, ip: clientIp(request) });
      return redirectWithFlash(`/projects/${project.slug}/reports`, { kind: 'success', message: `Saved the rules "${v.name}" as version ${v.version}.` });
    } catch (e) {
      return formError(e, { echo: { rules: p.data.rules, report: String(fd.get('report') ?? '') } });
    }
  }
  if (intent === 'run') {
    const p = parseForm(labelRunSchema, fd);
    if (!p.ok) return validationFailed(p.errors);
    try {
      const job = await startLabelRun({ projectId: project.id, ruleId: p.data.ruleId, samplePerStatus: p.data.sample, actorId: user.id, ip: clientIp(request) });
      kickJobs();
      return redirect(`/projects/${project.slug}/reports/runs/${job.id}`);
    } catch (e) {
      return formError(e);
    }
  }
  const p = parseForm(fhirImportSchema, fd);
  if (!p.ok) return validationFailed(p.errors);
  let text = p.data.text;
  const file = fd.get('file');
  if (file && typeof file !== 'string' && file.size > 0) {
    if (file.size > 10 * 1024 * 1024) return validationFailed({ file: ['The file is larger than 10 MB: split it'] });
    text = await file.text();
  }
  if (!text.trim()) return validationFailed({ file: ['Choose a FHIR Bundle (JSON) or NDJSON file, or paste it'] });
  let rules: CompiledRules | null = null;
  if (p.data.useRules) {
    const c = compile(p.data.rules);
    if ('error' in c) return validationFailed({ rules: [c.error] });
    rules = c.rules;
  }
  const echo = { text, rules: p.data.rules, useRules: Boolean(p.data.useRules) };
  if (p.data.intent === 'fhir-import') {
    try {
      const r = await importFhirEvidence({ projectId: project.id, text, rules, actorId: user.id, ip: clientIp(request) });
      return redirectWithFlash(`/projects/${project.slug}/cases`, {
        kind: 'success',
        message: `${r.recorded} evidence row${r.recorded === 1 ? '' : 's'} recorded from ${r.resources} FHIR resource${r.resources === 1 ? '' : 's'} on ${r.cases} case${r.cases === 1 ? '' : 's'}${r.duplicates ? ` (${r.duplicates} already recorded)` : ''}.`,
      });
    } catch (e) {
      if (e instanceof FhirImportFailed) return json(fhirPayload({ rows: [], errors: e.errors, resources: 0, skipped: {} }, echo, true), { status: 400 });
      throw e;
    }
  }
  const preview = await previewFhirImport({ projectId: project.id, text, rules });
  return json(fhirPayload(preview, echo, false), { status: preview.errors.length ? 400 : 200 });
}

function fhirPayload(p: FhirPreview, echo: { text: string; rules: string; useRules: boolean }, failedImport: boolean) {
  return {
    kind: 'fhir' as const,
    failedImport,
    total: p.rows.length,
    resources: p.resources,
    skipped: p.skipped,
    rows: p.rows.slice(0, SHOW_ROWS).map((r) => ({
      resource: r.resource,
      versionId: r.versionId,
      caseRef: r.caseRef,
      matchedBy: r.matchedBy,
      kind: r.kind,
      date: r.date,
      resultCode: r.resultCode,
      source: r.source,
      trigger: r.trigger,
    })),
    problems: p.errors.slice(0, SHOW_ERRORS).map((e) => formatFhirError(e)),
    problemCount: p.errors.length,
    echo,
  };
}

const STATUS_BADGE: Record<string, string> = { present: 'badge-info', negated: '', uncertain: 'badge-warn', historical: '', not_mentioned: '' };

export default function Reports() {
  const { project, roles, triggers, versions, runs, current } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>() as unknown as
    | { kind: 'test'; rows: FindingRow[]; echo: { rules: string; report: string } }
    | ReturnType<typeof fhirPayload>
    | { ok: false; errors: FieldErrors; echo?: { rules: string; report?: string } }
    | undefined;
  const nav = useNavigation();
  const busy = nav.state === 'submitting';
  const fieldErrors = data && 'errors' in data && data.errors && !('kind' in data) ? (data.errors as FieldErrors) : null;
  const test = data && 'kind' in data && data.kind === 'test' ? data : null;
  const fhir = data && 'kind' in data && data.kind === 'fhir' ? data : null;
  const failedEcho = data && 'ok' in data && data.ok === false ? data.echo : undefined;
  const rulesText = test?.echo.rules ?? fhir?.echo.rules ?? failedEcho?.rules ?? current;
  const reportText = test?.echo.report ?? failedEcho?.report ?? 'FINDINGS: No pneumothorax. Small left pleural effusion. A 4 mm nodule cannot be excluded.\nIMPRESSION: Effusion.';
  const latest = versions[0];
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <h2>Report rules</h2>
      <p className="muted">
        Findings to look for in report text: <code>phrases</code> match whole words whatever the case and spacing, <code>patterns</code> are RE2 regular expressions. Each mention
        is <strong>present</strong>, <strong>negated</strong>, <strong>uncertain</strong>, <strong>historical</strong>, or not the patient&apos;s (then{' '}
        <strong>not_mentioned</strong>), decided by the trigger lists {triggers.name}@{triggers.version} ({triggers.count} triggers from NegEx, ConText and pyConTextNLP); add or
        remove triggers under <code>triggers</code> (<code>add</code>: <code>{'{"phrase", "kind", "direction"}'}</code>; <code>remove</code>: phrases; <code>headings</code>). Each
        save is a new version of this project&apos;s rules; labels and evidence name the version that made them.
      </p>
      <p className="hint">
        {latest ? (
          <>
            In use: <strong>{latest.name}</strong> version {latest.version}, saved {latest.createdAt.slice(0, 16).replace('T', ' ')} UTC.
          </>
        ) : (
          <>No rules saved for this project yet: the editor starts from an example.</>
        )}{' '}
        Shipped triggers: {triggers.kinds.map((k) => `${k.count} ${k.kind}`).join(', ')}; {triggers.headings} section headings.
      </p>
      <FormErrors errors={fieldErrors} />
      <section className="panel">
        <Form method="post" className="stack" style={{ maxWidth: 'none' }}>
          <div style={{ display: 'grid', gridTemplateColumns: 'minmax(0, 1fr) minmax(0, 1fr)', gap: '1rem', width: '100%' }}>
            <div>
              <label htmlFor="r-rules">Rules (JSON)</label>
              <textarea
                id="r-rules"
                name="rules"
                rows={16}
                defaultValue={rulesText}
                key={rulesText}
                spellCheck={false}
                style={{ fontFamily: 'ui-monospace, monospace', width: '100%', boxSizing: 'border-box' }}
                aria-invalid={Boolean(fieldErrors?.rules)}
              />
              {fieldErrors?.rules ? <div className="field-error">{fieldErrors.rules[0]}</div> : null}
            </div>
            <div>
              <label htmlFor="r-report">Report to test</label>
              <textarea
                id="r-report"
                name="report"
                rows={16}
                defaultValue={reportText}
                key={reportText}
                spellCheck={false}
                style={{ width: '100%', boxSizing: 'border-box' }}
                aria-invalid={Boolean(fieldErrors?.report)}
              />
              {fieldErrors?.report ? <div className="field-error">{fieldErrors.report[0]}</div> : null}
            </div>
          </div>
          <div className="row">
            <button type="submit" name="intent" value="test" disabled={busy}>
              Test the rules
            </button>
            <button type="submit" name="intent" value="save" className="secondary" disabled={busy}>
              Save as version {latest ? latest.version + 1 : 1}
            </button>
          </div>
        </Form>
        {test ? (
          <table>
            <caption>Status of each finding in the report</caption>
            <thead>
              <tr>
                <th>Finding</th>
                <th>Status</th>
                <th>Matched</th>
                <th>Deciding trigger</th>
                <th>Sentence</th>
              </tr>
            </thead>
            <tbody>
              {test.rows.map((r) => (
                <tr key={r.finding}>
                  <td>{r.finding}</td>
                  <td>
                    <span className={`badge ${STATUS_BADGE[r.status] ?? ''}`}>{r.status}</span>
                  </td>
                  <td>{r.matched}</td>
                  <td className="hint">{r.trigger || (r.status === 'present' ? 'no trigger: affirmed' : '')}</td>
                  <td className="hint">{r.sentence}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>

      <h2>Label the imported reports</h2>
      <p className="muted">
        Runs a saved version over every report text of this project&apos;s evidence (reports and pathology), one label per report and finding, in the background. A random sample of
        each status is then yours to accept or correct; only after that are the labels recorded as evidence.
      </p>
      <section className="panel">
        {versions.length ? (
          <Form method="post" className="row" style={{ alignItems: 'end' }}>
            <div>
              <label htmlFor="run-rule">Rules version</label>
              <select id="run-rule" name="ruleId" defaultValue={latest?.id}>
                {versions.map((v) => (
                  <option key={v.id} value={v.id}>
                    {v.name} v{v.version}
                    {v.labels ? ` (${v.labels.toLocaleString('en')} labels)` : ''}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label htmlFor="run-sample">Review sample per status</label>
              <input id="run-sample" name="sample" type="number" min={1} max={50} defaultValue={10} style={{ width: '6rem' }} aria-invalid={Boolean(fieldErrors?.sample)} />
              {fieldErrors?.sample ? <div className="field-error">{fieldErrors.sample[0]}</div> : null}
            </div>
            <button type="submit" name="intent" value="run" disabled={busy}>
              Run over the imported reports
            </button>
          </Form>
        ) : (
          <p className="hint">Save the rules first: a run names the version it used.</p>
        )}
        {runs.length ? (
          <table>
            <caption>Runs</caption>
            <thead>
              <tr>
                <th>Started</th>
                <th>Rules</th>
                <th>Status</th>
                <th>Reports</th>
                <th>Labels</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => {
                const res = r.result as LabelRunResult | null;
                return (
                  <tr key={r.id}>
                    <td>{r.createdAt.slice(0, 16).replace('T', ' ')}</td>
                    <td>{res?.rule ?? ''}</td>
                    <td>{r.finished ? r.status : `${r.status} ${r.percent ?? 0}%`}</td>
                    <td>{res?.reports ?? ''}</td>
                    <td>{res?.labels ?? ''}</td>
                    <td>
                      <Link to={`/projects/${project.slug}/reports/runs/${r.id}`}>{r.status === 'succeeded' ? 'Review' : 'Open'}</Link>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
        {runs[0] && !runs[0].finished ? <JobProgress key={runs[0].id} slug={project.slug} job={runs[0]} /> : null}
      </section>

      <h2>Evidence from FHIR R4</h2>
      <p className="muted">
        A Bundle (JSON), one resource, or a bulk-export NDJSON file of <code>DiagnosticReport</code> and pathology <code>Observation</code> resources. Each is matched to a case by
        accession number (the case id), StudyInstanceUID, or patient pseudonym and date; coded results go through the project&apos;s mapping (write codes as <code>82711006</code>{' '}
        or <code>http://snomed.info/sct|82711006</code>); with the rules above, report text gives one row per mentioned finding (<code>finding:status</code>). Nothing is recorded
        until every resource is valid.
      </p>
      <section className="panel">
        <Form method="post" encType="multipart/form-data" className="stack" style={{ maxWidth: '48rem' }}>
          <textarea name="rules" defaultValue={rulesText} key={`f-${rulesText}`} hidden readOnly aria-hidden="true" tabIndex={-1} />
          <div>
            <label htmlFor="f-file">FHIR file</label>
            <input id="f-file" name="file" type="file" accept=".json,.ndjson,application/json,application/fhir+json,application/x-ndjson" />
            {fieldErrors?.file ? <div className="field-error">{fieldErrors.file[0]}</div> : null}
          </div>
          <div>
            <label htmlFor="f-text">…or paste it here</label>
            <textarea
              id="f-text"
              name="text"
              rows={6}
              defaultValue={fhir?.echo.text ?? ''}
              key={fhir?.echo.text ?? ''}
              spellCheck={false}
              style={{ fontFamily: 'ui-monospace, monospace' }}
            />
          </div>
          <label>
            <input type="checkbox" name="useRules" defaultChecked={fhir?.echo.useRules ?? true} /> Run the report rules above on the text
          </label>
          <div>
            <button type="submit" name="intent" value="fhir-preview" disabled={busy}>
              {busy ? 'Checking…' : 'Check and preview'}
            </button>
          </div>
        </Form>
        {fhir ? (
          <section aria-labelledby="fhir-preview-h">
            <h3 id="fhir-preview-h">Preview</h3>
            {fhir.problemCount > 0 ? (
              <div className="flash flash-error" role="alert">
                {fhir.failedImport ? 'Nothing was imported. ' : ''}
                {fhir.problemCount} problem{fhir.problemCount === 1 ? '' : 's'}: fix {fhir.problemCount === 1 ? 'it' : 'them'} and check again.
                <ul>
                  {fhir.problems.map((e, i) => (
                    <li key={i}>{e}</li>
                  ))}
                </ul>
                {fhir.problemCount > fhir.problems.length ? <p>…and {fhir.problemCount - fhir.problems.length} more.</p> : null}
              </div>
            ) : (
              <div className="flash flash-info" role="status">
                {fhir.resources} resource{fhir.resources === 1 ? '' : 's'} give {fhir.total} evidence row{fhir.total === 1 ? '' : 's'}
                {Object.keys(fhir.skipped).length
                  ? ` (ignored: ${Object.entries(fhir.skipped)
                      .map(([k, n]) => `${n} ${k}`)
                      .join(', ')})`
                  : ''}
                .
              </div>
            )}
            {fhir.problemCount === 0 && fhir.total > 0 ? (
              <Form method="post" encType="multipart/form-data" style={{ marginBottom: '1rem' }}>
                <textarea name="text" defaultValue={fhir.echo.text} hidden readOnly aria-hidden="true" tabIndex={-1} />
                <textarea name="rules" defaultValue={fhir.echo.rules} hidden readOnly aria-hidden="true" tabIndex={-1} />
                {fhir.echo.useRules ? <input type="hidden" name="useRules" value="on" /> : null}
                <button type="submit" name="intent" value="fhir-import" disabled={busy}>
                  {busy ? 'Recording…' : `Record ${fhir.total} evidence row${fhir.total === 1 ? '' : 's'}`}
                </button>
              </Form>
            ) : null}
            {fhir.rows.length ? (
              <table>
                <caption className="sr-only">Evidence rows to record</caption>
                <thead>
                  <tr>
                    <th>Resource</th>
                    <th>Case</th>
                    <th>Matched by</th>
                    <th>Kind</th>
                    <th>Date</th>
                    <th>Result code</th>
                    <th>From</th>
                  </tr>
                </thead>
                <tbody>
                  {fhir.rows.map((r, i) => (
                    <tr key={i}>
                      <td>
                        {r.resource}
                        {r.versionId ? <span className="hint"> v{r.versionId}</span> : null}
                      </td>
                      <td>{r.caseRef}</td>
                      <td>{r.matchedBy.replace('_', ' ')}</td>
                      <td>{r.kind}</td>
                      <td>{r.date}</td>
                      <td>
                        <code>{r.resultCode ?? '—'}</code>
                      </td>
                      <td className="hint">{r.source === 'rules' ? `rules: ${r.trigger ?? 'affirmed'}` : r.source.replace('_', ' ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
            {fhir.total > fhir.rows.length ? (
              <p className="muted">
                Showing the first {fhir.rows.length} of {fhir.total} rows.
              </p>
            ) : null}
          </section>
        ) : null}
      </section>
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
