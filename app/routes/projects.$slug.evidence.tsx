/**
 * /projects/:slug/evidence — upload an evidence file (CSV or FHIR, as `truthline import evidence|fhir`),
 * check it in the background, preview it (a bad row records nothing), then record it in chunks with
 * progress and cancel; the same steps as the case manifest import.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json, redirect, unstable_composeUploadHandlers, unstable_createMemoryUploadHandler, unstable_parseMultipartFormData } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { clientIp } from '~/request.server.ts';
import { evidenceJobForm, importCheckedEvidence, startEvidenceJob, type EvidenceFormat, type EvidenceJobResult } from '~/models/evidence-import.server.ts';
import { projectJob } from '~/models/jobs.server.ts';
import { storeInput } from '../../jobs/inputs.ts';
import { kickJobs } from '../../jobs/runner.ts';
import { JobProgress } from '~/components/job-progress.tsx';
import { evidenceUploadSchema } from '~/forms/lead.server.ts';
import { parseForm, type FieldErrors } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { TextFileError } from '../../formats/text-file.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { FormErrors } from '~/components/field.tsx';

export const meta: MetaFunction = () => [{ title: 'Import evidence — Truthline' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const jobId = new URL(request.url).searchParams.get('job');
  const job = jobId ? await projectJob({ projectId: project.id, jobId }) : null;
  if (jobId && (!job || !job.kind.startsWith('evidence.'))) throw new Response('No such evidence import in this project.', { status: 404 });
  const echo = job ? await evidenceJobForm({ projectId: project.id, jobId: job.id }) : null;
  return json({ project: { slug: project.slug, name: project.name }, roles, job, echo });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  let fileName: string | null = null;
  let fileChars = 0;
  const multipart = /^multipart\/form-data/i.test(request.headers.get('content-type') ?? '');
  let fd: FormData;
  try {
    fd = !multipart
      ? await request.formData()
      : await unstable_parseMultipartFormData(
          request,
          unstable_composeUploadHandlers(
            async ({ name, filename, data }) => {
              if (name !== 'file' || !filename) return undefined;
              const stored = await storeInput({ source: data, name: filename });
              fileName = filename;
              fileChars = stored.chars;
              return stored.inputId;
            },
            unstable_createMemoryUploadHandler({ maxPartSize: 2 * 1024 * 1024 }),
          ),
        );
  } catch (e) {
    if (e instanceof TextFileError) return validationFailed({ file: [e.message] });
    throw e;
  }
  const p = parseForm(evidenceUploadSchema, fd);
  if (!p.ok) return validationFailed(p.errors);
  const ip = clientIp(request);
  const base = `/projects/${project.slug}/evidence`;
  if (p.data.intent === 'import') {
    const job = await importCheckedEvidence({ projectId: project.id, checkJobId: String(fd.get('check') ?? ''), actorId: user.id, ip });
    if (!job) return validationFailed({ file: ['Check the file first: only a checked file without problems can be imported'] });
    kickJobs();
    return redirect(`${base}?job=${job.id}`);
  }
  const inputId = fd.get('file');
  let stored: string | null = typeof inputId === 'string' && inputId && fileChars > 0 ? inputId : null;
  if (!stored && p.data.text.trim()) stored = (await storeInput({ source: [p.data.text] })).inputId;
  if (!stored) return validationFailed({ file: ['Choose an evidence file or paste its contents'] });
  const format: EvidenceFormat | null = p.data.format === 'auto' ? null : p.data.format;
  const job = await startEvidenceJob({ projectId: project.id, inputId: stored, format, fileName, rulesText: p.data.rules, actorId: user.id, ip, dryRun: true });
  kickJobs();
  return redirect(`${base}?job=${job.id}`);
}

export default function ImportEvidence() {
  const { project, roles, job, echo } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>() as unknown as { ok: false; errors: FieldErrors } | undefined;
  const nav = useNavigation();
  const busy = nav.state === 'submitting';
  const fieldErrors = data && 'errors' in data && data.errors ? data.errors : null;
  const pv = job?.finished && job.result ? (job.result as EvidenceJobResult) : null;
  const isCheck = job?.kind === 'evidence.check';
  const fhir = pv?.format === 'fhir';
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <p>
        <Link to={`/projects/${project.slug}/cases`}>← Cases</Link>
      </p>
      <h2>Import evidence</h2>
      <p className="muted">
        A CSV with the header <code>case_id,finding,kind,date,result_code,text</code> (<code>case_id</code> is the manifest's case id; leave <code>finding</code> empty for the
        case), or FHIR R4 <code>DiagnosticReport</code> / pathology <code>Observation</code> resources (a Bundle, one resource or NDJSON), matched to cases by accession number,
        StudyInstanceUID, or patient and study date. Every row is checked first: the case exists, the finding is the case's, the result is not dated before the study, and a result
        code is one the project's mapping knows. Nothing is recorded until every row is valid.
      </p>
      <FormErrors errors={fieldErrors} />
      {job ? <JobProgress key={job.id} slug={project.slug} job={job} /> : null}
      <section className="panel">
        <Form method="post" encType="multipart/form-data" className="stack" style={{ maxWidth: '48rem' }}>
          <div>
            <label htmlFor="f-file">Evidence file</label>
            <input
              id="f-file"
              name="file"
              type="file"
              accept=".csv,.json,.ndjson,text/csv,application/json,application/fhir+json"
              aria-describedby={fieldErrors?.file ? 'f-file-err' : undefined}
            />
            {fieldErrors?.file ? (
              <div id="f-file-err" className="field-error">
                {fieldErrors.file[0]}
              </div>
            ) : null}
          </div>
          <div>
            <label htmlFor="f-text">…or paste it here</label>
            <textarea
              id="f-text"
              name="text"
              rows={8}
              defaultValue={echo?.text ?? ''}
              key={echo?.text ?? ''}
              spellCheck={false}
              style={{ fontFamily: 'ui-monospace, monospace' }}
            />
          </div>
          <div className="row">
            <div>
              <label htmlFor="f-format">Format</label>
              <select id="f-format" name="format" defaultValue={echo?.format ?? 'auto'}>
                <option value="auto">Detect</option>
                <option value="csv">Evidence CSV</option>
                <option value="fhir">FHIR R4 (JSON / NDJSON)</option>
              </select>
            </div>
          </div>
          <details>
            <summary>Extraction rules for FHIR report text (optional)</summary>
            <label htmlFor="f-rules" className="hint" style={{ fontWeight: 400 }}>
              The rules JSON the Reports page tests (as <code>truthline import fhir --rules</code>): each report's text is turned into results by these rules.
            </label>
            <textarea
              id="f-rules"
              name="rules"
              rows={5}
              defaultValue={echo?.rules ?? ''}
              key={`r${echo?.rules ?? ''}`}
              spellCheck={false}
              style={{ fontFamily: 'ui-monospace, monospace' }}
            />
          </details>
          <div>
            <button type="submit" name="intent" value="preview" disabled={busy}>
              {busy ? 'Checking…' : 'Check and preview'}
            </button>
          </div>
        </Form>
      </section>
      {job?.status === 'succeeded' && !isCheck && pv ? (
        <div className="flash flash-success" role="status">
          {(pv.recorded ?? 0).toLocaleString('en')} result{pv.recorded === 1 ? '' : 's'} recorded for {pv.cases.toLocaleString('en')} case{pv.cases === 1 ? '' : 's'}
          {pv.duplicates ? ` (${pv.duplicates} already recorded before, unchanged)` : ''}
          {pv.refused ? `; ${pv.refused} refused by their case (withdrawn since the check): ${(pv.refusedRows ?? []).map((r) => `${r.label}: ${r.message}`).join('; ')}` : ''}.
          Truth follows from the reference standard. <Link to={`/projects/${project.slug}/cases`}>See the cases</Link>
        </div>
      ) : null}
      {(job?.status === 'cancelled' || job?.status === 'failed') && !isCheck && pv && pv.processed !== undefined ? (
        <div className="flash flash-error" role="alert">
          {(pv.recorded ?? 0).toLocaleString('en')} of {pv.total.toLocaleString('en')} result{pv.total === 1 ? '' : 's'} recorded before the import{' '}
          {job.status === 'cancelled' ? 'was cancelled' : 'stopped'}; the other {(pv.total - pv.processed).toLocaleString('en')} were not. Importing the same file again records
          only those.
        </div>
      ) : null}
      {pv && (isCheck || pv.problemCount > 0) ? (
        <section aria-labelledby="preview-h">
          <h2 id="preview-h">Preview</h2>
          {pv.problemCount > 0 ? (
            <div className="flash flash-error" role="alert">
              {!isCheck ? 'Nothing was recorded. ' : ''}
              {pv.problemCount} problem{pv.problemCount === 1 ? '' : 's'} in the {fhir ? 'FHIR' : 'CSV'} file — fix {pv.problemCount === 1 ? 'it' : 'them'} and check again. Nothing
              is recorded until every row is valid.
              <ul>
                {pv.problems.map((e, i) => (
                  <li key={i}>{e.text}</li>
                ))}
              </ul>
              {pv.problemCount > pv.problems.length ? <p>…and {pv.problemCount - pv.problems.length} more.</p> : null}
            </div>
          ) : (
            <div className="flash flash-info" role="status">
              All rows are valid: {pv.total.toLocaleString('en')} result{pv.total === 1 ? '' : 's'} for {pv.cases.toLocaleString('en')} case{pv.cases === 1 ? '' : 's'}
              {fhir ? ` from ${pv.resources} resource${pv.resources === 1 ? '' : 's'}` : ''}.
              {fhir && pv.skipped && Object.keys(pv.skipped).length
                ? ` Skipped: ${Object.entries(pv.skipped)
                    .map(([k, n]) => `${n} ${k}`)
                    .join(', ')}.`
                : ''}
            </div>
          )}
          {pv.problemCount === 0 && isCheck && job ? (
            <Form method="post" encType="multipart/form-data" className="row" style={{ marginBottom: '1rem' }}>
              <input type="hidden" name="check" value={job.id} />
              <button type="submit" name="intent" value="import" disabled={busy}>
                {busy ? 'Starting…' : `Record ${pv.total.toLocaleString('en')} result${pv.total === 1 ? '' : 's'}`}
              </button>
              <span className="hint">Runs in the background with a progress bar; a cancel stops it between chunks and says how many were recorded.</span>
            </Form>
          ) : null}
          {pv.rows.length ? (
            <table>
              <caption className="sr-only">Results the file would record</caption>
              <thead>
                <tr>
                  <th>{fhir ? 'Resource' : 'Line'}</th>
                  <th>Case</th>
                  <th>Finding</th>
                  <th>Kind</th>
                  <th>Date</th>
                  <th>Result code</th>
                  <th>Text</th>
                </tr>
              </thead>
              <tbody>
                {pv.rows.map((r, i) => (
                  <tr key={i}>
                    <td>{fhir ? r.resource : r.line}</td>
                    <td>
                      {r.caseRef}
                      {r.matchedBy ? <span className="hint"> (by {r.matchedBy.replace('_', ' ')})</span> : null}
                    </td>
                    <td>{r.finding ?? <span className="hint">case</span>}</td>
                    <td>{r.kind}</td>
                    <td>{r.date}</td>
                    <td>{r.resultCode ? <code>{r.resultCode}</code> : '—'}</td>
                    <td className="hint">{r.text}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {pv.rows.length > 0 && pv.total > pv.rows.length ? (
            <p className="muted">
              Showing the first {pv.rows.length} of {pv.total.toLocaleString('en')} results.
            </p>
          ) : null}
        </section>
      ) : null}
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
