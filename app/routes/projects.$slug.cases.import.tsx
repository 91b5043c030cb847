import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json, redirect, unstable_composeUploadHandlers, unstable_createMemoryUploadHandler, unstable_parseMultipartFormData } from '@remix-run/node';
import { formatCount } from '~/components/values.ts';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { clientIp } from '~/request.server.ts';
import { importCheckedManifest, manifestJobForm, parseSplitRatio, startManifestJob, type ManifestFormat, type ManifestJobResult } from '~/models/import.server.ts';
import { projectJob } from '~/models/jobs.server.ts';
import { storeInput } from '../../jobs/inputs.ts';
import { kickJobs } from '../../jobs/runner.ts';
import { JobProgress } from '~/components/job-progress.tsx';
import { getCurrentVersion } from '~/models/projects.server.ts';
import { MANIFEST_COLUMNS } from '~/forms/lead.ts';
import { evidenceCompleteFormSchema, importFormSchema } from '~/forms/lead.server.ts';
import { historicalWaiting, startEvidenceComplete } from '~/models/evidence-complete.server.ts';
import { parseForm, type FieldErrors } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { TextFileError } from '../../formats/text-file.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { FormErrors } from '~/components/field.tsx';

export const meta: MetaFunction = () => [{ title: 'Import cases — Truthline' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const v = await getCurrentVersion({ projectId: project.id });
  const jobId = new URL(request.url).searchParams.get('job');
  const job = jobId ? await projectJob({ projectId: project.id, jobId }) : null;
  if (jobId && (!job || !(job.kind.startsWith('cases.') || job.kind === 'evidence.complete'))) throw new Response('No such import in this project.', { status: 404 });
  const echo = job ? await manifestJobForm({ projectId: project.id, jobId: job.id }) : null;
  const waiting = await historicalWaiting({ projectId: project.id });
  return json({ project: { slug: project.slug, name: project.name }, roles, version: v?.version ?? null, job, echo, waiting });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  // The file goes to the database piece by piece as it arrives (never held whole); other fields stay small.
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
              // Strict UTF-8: a Latin-1 file is refused as a whole, naming the line of the first bad byte.
              const stored = await storeInput({ source: data, name: filename });
              fileName = filename;
              fileChars = stored.chars;
              return stored.inputId;
            },
            unstable_createMemoryUploadHandler({ maxPartSize: 10 * 1024 * 1024 }),
          ),
        );
  } catch (e) {
    if (e instanceof TextFileError) return validationFailed({ file: [e.message] });
    throw e;
  }
  const base = `/projects/${project.slug}/cases/import`;
  if (fd.get('intent') === 'evidence-complete') {
    const ec = parseForm(evidenceCompleteFormSchema, fd);
    if (!ec.ok) return validationFailed(ec.errors);
    const job = await startEvidenceComplete({ projectId: project.id, actorId: user.id, reason: ec.data.reason, ip: clientIp(request) });
    kickJobs();
    return redirect(`${base}?job=${job.id}`);
  }
  const p = parseForm(importFormSchema, fd);
  if (!p.ok) return validationFailed(p.errors);
  const format: ManifestFormat | null = p.data.format === 'auto' ? null : p.data.format;
  const assignSplits = p.data.assign ? parseSplitRatio(p.data.ratio) : null;
  const ip = clientIp(request);
  if (p.data.intent === 'import') {
    const job = await importCheckedManifest({
      projectId: project.id,
      checkJobId: String(fd.get('check') ?? ''),
      actorId: user.id,
      ip,
    });
    if (!job)
      return validationFailed({
        file: ['Check the manifest first: only a checked file without problems can be imported'],
      });
    kickJobs();
    return redirect(`${base}?job=${job.id}`);
  }
  const inputId = fd.get('file');
  let stored: string | null = typeof inputId === 'string' && inputId && fileChars > 0 ? inputId : null;
  if (!stored && p.data.text.trim()) stored = (await storeInput({ source: [p.data.text] })).inputId;
  if (!stored)
    return validationFailed({
      file: ['Choose a manifest file or paste its contents'],
    });
  const job = await startManifestJob({
    projectId: project.id,
    inputId: stored,
    format,
    fileName,
    assignSplits,
    actorId: user.id,
    ip,
    dryRun: true,
  });
  kickJobs();
  return redirect(`${base}?job=${job.id}`);
}

export default function ImportCases() {
  const { project, roles, version, job, echo, waiting } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>() as unknown as { ok: false; errors: FieldErrors } | undefined;
  const nav = useNavigation();
  const busy = nav.state === 'submitting';
  const fieldErrors = data && 'errors' in data && data.errors ? data.errors : null;
  const pv = job?.finished && job.result && job.kind.startsWith('cases.') ? (job.result as ManifestJobResult) : null;
  const isCheck = job?.kind === 'cases.check';
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <p>
        <Link to={`/projects/${project.slug}/cases`}>← Cases</Link>
      </p>
      <h2>Import a case manifest</h2>
      <p className="muted">
        CSV with a header, or JSON (an array of objects with the same fields). Columns: <code>{MANIFEST_COLUMNS.join(',')}</code> — <code>images</code> holds
        <code>;</code>-separated references (a URL or path to a PNG/JPEG, or <code>dicomweb:&lt;server&gt;/studies/&lt;uid&gt;[/series/&lt;uid&gt;]</code>
        ); an optional
        <code> study_instance_uid</code>; any other column is kept as case metadata. Nothing is written until every row is valid. New cases start on version {version ?? '—'} of the
        project definition.
      </p>
      <FormErrors errors={fieldErrors} />
      {job ? <JobProgress key={job.id} slug={project.slug} job={job} /> : null}
      {waiting > 0 ? (
        <section className="panel" aria-labelledby="historical-h">
          <h3 id="historical-h">Historical cases awaiting evidence</h3>
          <p>
            {waiting.toLocaleString('en')} case{waiting === 1 ? ' was' : 's were'} imported after {waiting === 1 ? 'its' : 'their'} follow-up window had closed.{' '}
            {waiting === 1 ? 'It waits' : 'They wait'} for evidence instead of becoming lost to follow-up. When all their evidence is loaded, mark it complete: cases still without
            verifying evidence then take the window's closing state.
          </p>
          <Form method="post" className="row">
            <div>
              <label htmlFor="f-ec-reason">Reason</label>
              <input
                id="f-ec-reason"
                name="reason"
                type="text"
                required
                placeholder="all pathology up to 2024 is loaded"
                style={{ minWidth: '24rem' }}
                aria-invalid={Boolean(fieldErrors?.reason)}
              />
              {fieldErrors?.reason ? <div className="field-error">{fieldErrors.reason[0]}</div> : null}
            </div>
            <button type="submit" name="intent" value="evidence-complete" disabled={busy}>
              Mark evidence complete for {waiting.toLocaleString('en')} case{waiting === 1 ? '' : 's'}
            </button>
          </Form>
        </section>
      ) : null}
      <section className="panel">
        <Form method="post" encType="multipart/form-data" className="stack" style={{ maxWidth: '48rem' }}>
          <div>
            <label htmlFor="f-file">Manifest file</label>
            <input id="f-file" name="file" type="file" accept=".csv,.json,text/csv,application/json" aria-describedby={fieldErrors?.file ? 'f-file-err' : undefined} />
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
                <option value="csv">CSV</option>
                <option value="json">JSON</option>
              </select>
            </div>
            <div>
              <label>
                <input type="checkbox" name="assign" defaultChecked={echo?.assign ?? true} /> Assign patients without a split
              </label>
              <label htmlFor="f-ratio" className="hint" style={{ fontWeight: 400 }}>
                train/validation/test ratio (per patient, reproducible)
              </label>
              <input id="f-ratio" name="ratio" type="text" defaultValue={echo?.ratio ?? '70/10/20'} style={{ maxWidth: '10rem' }} aria-invalid={Boolean(fieldErrors?.ratio)} />
              {fieldErrors?.ratio ? <div className="field-error">{fieldErrors.ratio[0]}</div> : null}
            </div>
          </div>
          <div>
            <button type="submit" name="intent" value="preview" disabled={busy}>
              {busy ? 'Checking…' : 'Check and preview'}
            </button>
          </div>
        </Form>
      </section>
      {job?.status === 'succeeded' && !isCheck && pv ? (
        <div className="flash flash-success" role="status">
          {pv.total.toLocaleString('en')} case{pv.total === 1 ? '' : 's'} imported on version {pv.version} ({formatCount(pv.patients.new)} new patient
          {pv.patients.new === 1 ? '' : 's'};{' '}
          {Object.entries(pv.splitCounts)
            .filter(([, n]) => n > 0)
            .map(([s, n]) => `${formatCount(n)} ${s}`)
            .join(', ')}
          ). Their workflows have started.
          {pv.historical > 0 ? ` ${pv.historical.toLocaleString('en')} of them are historical and wait for their evidence.` : ''}{' '}
          <Link to={`/projects/${project.slug}/cases`}>See the cases</Link>
        </div>
      ) : null}
      {pv && (isCheck || pv.problemCount > 0) ? (
        <section aria-labelledby="preview-h">
          <h2 id="preview-h">Preview</h2>
          {pv.problemCount > 0 ? (
            <div className="flash flash-error" role="alert">
              {!isCheck ? 'Nothing was imported. ' : ''}
              {formatCount(pv.problemCount)} problem{pv.problemCount === 1 ? '' : 's'} in {pv.format.toUpperCase()} — fix {pv.problemCount === 1 ? 'it' : 'them'} and check again.
              Nothing is written until every row is valid.
              <ul>
                {pv.problems.map((e, i) => (
                  <li key={i}>{e.text}</li>
                ))}
              </ul>
              {pv.problemCount > pv.problems.length ? <p>…and {pv.problemCount - pv.problems.length} more.</p> : null}
            </div>
          ) : (
            <div className="flash flash-info" role="status">
              All {formatCount(pv.total)} row{pv.total === 1 ? '' : 's'} are valid: {formatCount(pv.total)} case{pv.total === 1 ? '' : 's'} of {formatCount(pv.patients.total)}{' '}
              patient
              {pv.patients.total === 1 ? '' : 's'} ({formatCount(pv.patients.new)} new). Splits:{' '}
              {Object.entries(pv.splitCounts)
                .filter(([, n]) => n > 0)
                .map(([s, n]) => `${s} ${formatCount(n)}`)
                .join(', ')}
              .
              {pv.historical > 0 ? (
                <p>
                  {pv.historical.toLocaleString('en')} case{pv.historical === 1 ? '' : 's'} {pv.historical === 1 ? 'is' : 'are'} historical: the follow-up window has already
                  closed, so {pv.historical === 1 ? 'it' : 'they'} will wait for evidence until you mark it complete (or the definition&apos;s grace period ends) instead of
                  becoming lost to follow-up.
                </p>
              ) : null}
            </div>
          )}
          {pv.formulaCells?.length ? (
            <div className="flash flash-warning" role="status">
              {pv.formulaCells.length === 1 ? 'One cell starts' : `${pv.formulaCells.length >= 20 ? 'At least 20' : pv.formulaCells.length} cells start`} with =, +, -, @, a tab or
              a carriage return, which a spreadsheet would run as a formula. Truthline stores the value as given (and writes it as text in its own CSV files); check that it is what
              you meant:
              <ul>
                {pv.formulaCells.map((c) => (
                  <li key={`${c.line}:${c.column}`}>
                    line {c.line}, column {c.column}: <code>{c.value}</code>
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          {pv.problemCount === 0 && isCheck && job ? (
            <Form method="post" encType="multipart/form-data" className="row" style={{ marginBottom: '1rem' }}>
              <input type="hidden" name="check" value={job.id} />
              <button type="submit" name="intent" value="import" disabled={busy}>
                {busy ? 'Starting…' : `Import ${pv.total.toLocaleString('en')} case${pv.total === 1 ? '' : 's'}`}
              </button>
              <span className="hint">Runs in the background; nothing is visible until every case is in.</span>
            </Form>
          ) : null}
          {pv.rows.length ? (
            <table>
              <caption className="sr-only">Valid rows of the manifest</caption>
              <thead>
                <tr>
                  <th>{pv.rowWord}</th>
                  <th>Case</th>
                  <th>Patient</th>
                  <th>Study date</th>
                  <th>Modality</th>
                  <th>Split</th>
                  <th>Images</th>
                  <th>Metadata</th>
                </tr>
              </thead>
              <tbody>
                {pv.rows.map((r) => (
                  <tr key={r.row}>
                    <td>{r.row}</td>
                    <td>{r.caseId}</td>
                    <td>
                      {r.patientId} {r.newPatient ? <span className="badge badge-info">new</span> : null}
                    </td>
                    <td>{r.studyDate}</td>
                    <td>
                      {r.modality} {r.bodyPart}
                    </td>
                    <td>
                      {r.finalSplit}
                      {r.split === '' && r.finalSplit !== 'unassigned' ? <span className="hint"> (assigned)</span> : null}
                    </td>
                    <td>{r.images.length}</td>
                    <td className="hint">
                      {Object.entries(r.metadata)
                        .map(([k, v]) => `${k}=${String(v)}`)
                        .join(', ')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {pv.total > pv.rows.length ? (
            <p className="muted">
              Showing the first {pv.rows.length} of {pv.total.toLocaleString('en')} rows.
            </p>
          ) : null}
        </section>
      ) : null}
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
