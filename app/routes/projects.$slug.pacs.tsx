/** Import from the PACS: search (QIDO-RS), pick studies, read their headers in a job, acknowledge warnings, hand over to the case import. */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json, redirect } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { clientIp } from '~/request.server.ts';
import { projectJob } from '~/models/jobs.server.ts';
import { parseSplitRatio } from '~/models/import.server.ts';
import {
  MAX_PICK,
  pacsCheckSchema,
  pacsConfigured,
  pacsManifestSchema,
  pacsPageSchema,
  pacsSearchSchema,
  searchPacs,
  startPacsCheck,
  startPacsManifest,
  type PacsCheckResult,
  type StudyRow,
} from '~/models/pacs.server.ts';
import { kickJobs } from '../../jobs/runner.ts';
import { AppError } from '../../domain/errors.ts';
import { fieldErrors, formDataToObject, type FieldErrors } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { formError } from '~/lib/errors.server.ts';
import { JobProgress } from '~/components/job-progress.tsx';
import { ProjectNav } from '~/components/project-nav.tsx';
import { FormErrors } from '~/components/field.tsx';

export const meta: MetaFunction = () => [{ title: 'Import from the PACS — Truthline' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const url = new URL(request.url);
  const jobId = url.searchParams.get('job');
  const job = jobId ? await projectJob({ projectId: project.id, jobId }) : null;
  if (jobId && (!job || job.kind !== 'pacs.check')) throw new Response('No such PACS check in this project.', { status: 404 });
  const parsed = pacsSearchSchema.safeParse(Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'job')));
  const search = parsed.success ? parsed.data : pacsSearchSchema.parse({});
  let results: { studies: StudyRow[]; hasMore: boolean } | null = null;
  let searchError: string | null = parsed.success ? null : Object.values(fieldErrors(parsed.error)).flat().join(' ');
  const configured = pacsConfigured();
  if (configured && !job && parsed.success) {
    try {
      results = await searchPacs({ projectId: project.id, search });
    } catch (e) {
      if (!(e instanceof AppError && e.code === 'unavailable')) throw e;
      searchError = e.message;
    }
  }
  return json({ project: { slug: project.slug, name: project.name }, roles, configured, search, results, searchError, job, maxPick: MAX_PICK });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const fd = await request.formData();
  const base = `/projects/${project.slug}`;
  try {
    if (fd.get('intent') === 'page') {
      // Nothing is written: the picks come back to be shown on the page this was posted to.
      const p = pacsPageSchema.safeParse(formDataToObject(fd));
      if (!p.success) return validationFailed(fieldErrors(p.error));
      return json({ ok: true as const, picks: [...new Set(p.data.study)] });
    }
    if (fd.get('intent') === 'manifest') {
      const p = pacsManifestSchema.safeParse(formDataToObject(fd));
      if (!p.success) return validationFailed(fieldErrors(p.error));
      const job = await startPacsManifest({
        projectId: project.id,
        jobId: p.data.job,
        acknowledged: p.data.ack,
        assignSplits: p.data.assign ? parseSplitRatio(p.data.ratio) : null,
        actorId: user.id,
        ip: clientIp(request),
      });
      kickJobs();
      return redirect(`${base}/cases/import?job=${job.id}`);
    }
    const p = pacsCheckSchema.safeParse(formDataToObject(fd));
    if (!p.success) return validationFailed(fieldErrors(p.error));
    const job = await startPacsCheck({ projectId: project.id, studies: p.data.study, actorId: user.id });
    kickJobs();
    return redirect(`${base}/pacs?job=${job.id}`);
  } catch (e) {
    return formError(e);
  }
}

export default function PacsImport() {
  const { project, roles, configured, search, results, searchError, job, maxPick } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>() as unknown as { ok: false; errors: FieldErrors } | { ok: true; picks: string[] } | undefined;
  const errors = data && 'errors' in data ? data.errors : null;
  const picks = new Set(data && 'picks' in data ? data.picks : []);
  const shown = new Set(results?.studies.map((s) => s.uid) ?? []);
  const elsewhere = [...picks].filter((uid) => !shown.has(uid));
  const busy = useNavigation().state === 'submitting';
  const base = `/projects/${project.slug}`;
  const page = (n: number) => {
    const q = new URLSearchParams(Object.entries({ ...search, page: String(n) }).filter(([, v]) => v !== '' && v !== '0') as [string, string][]);
    return `${base}/pacs?${q}`;
  };
  const checked = job?.status === 'succeeded' ? (job.result as PacsCheckResult) : null;
  const formErrors = errors ? { _form: Object.values(errors).flat() } : null;
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <p>
        <Link to={`${base}/cases`}>← Cases</Link> · <Link to={`${base}/cases/import`}>Import a manifest file instead</Link>
      </p>
      <h2>Import from the PACS</h2>
      <FormErrors errors={formErrors} />
      {!configured ? (
        <div className="panel" role="status">
          No PACS is configured on this installation. Set <code>DICOMWEB_URL</code> (and optionally <code>DICOMWEB_USER</code> / <code>DICOMWEB_PASSWORD</code>) to the DICOMweb
          root of Orthanc, dcm4chee or any DICOMweb server (see the README, “Connect your PACS”).
        </div>
      ) : job ? (
        <>
          <JobProgress key={job.id} slug={project.slug} job={job} />
          {job.status === 'failed' ? <p className="flash flash-error">{job.error}</p> : null}
          {checked ? <CheckedStudies jobId={job.id} result={checked} busy={busy} /> : null}
          <p>
            <Link to={`${base}/pacs`}>← Search again</Link>
          </p>
        </>
      ) : (
        <>
          <Form method="get" className="row pacs-search" style={{ flexWrap: 'wrap', alignItems: 'flex-end', gap: '0.75rem' }}>
            <div>
              <label htmlFor="q-patient">Patient ID</label>
              <input id="q-patient" name="patientId" defaultValue={search.patientId} size={14} />
            </div>
            <div>
              <label htmlFor="q-acc">Accession number</label>
              <input id="q-acc" name="accession" defaultValue={search.accession} size={14} />
            </div>
            <div>
              <label htmlFor="q-mod">Modality</label>
              <input id="q-mod" name="modality" defaultValue={search.modality} size={5} placeholder="MG" />
            </div>
            <div>
              <label htmlFor="q-from">Study date from</label>
              <input id="q-from" name="from" type="date" defaultValue={search.from} />
            </div>
            <div>
              <label htmlFor="q-to">to</label>
              <input id="q-to" name="to" type="date" defaultValue={search.to} />
            </div>
            <button type="submit">Search the PACS</button>
          </Form>
          <p className="muted">
            Wildcards: <code>*</code> and <code>?</code> in Patient ID and accession number. {`Pick up to ${maxPick} studies at a time.`}
          </p>
          {searchError ? (
            <div className="flash flash-error" role="alert">
              {searchError}
            </div>
          ) : null}
          {results ? (
            <Form method="post" key={`${search.page}:${[...picks].join(',')}`}>
              {elsewhere.map((uid) => (
                <input key={uid} type="hidden" name="study" value={uid} />
              ))}
              <table aria-label="Studies on the PACS">
                <thead>
                  <tr>
                    <th scope="col">Pick</th>
                    <th scope="col">Study date</th>
                    <th scope="col">Patient ID</th>
                    <th scope="col">Accession</th>
                    <th scope="col">Modalities</th>
                    <th scope="col">Description</th>
                    <th scope="col">Series / images</th>
                  </tr>
                </thead>
                <tbody>
                  {results.studies.map((s) => (
                    <tr key={s.uid}>
                      <td>
                        {s.imported ? (
                          <span className="muted">already a case</span>
                        ) : (
                          <input
                            type="checkbox"
                            name="study"
                            value={s.uid}
                            defaultChecked={picks.has(s.uid)}
                            aria-label={`Pick the study of ${s.date || 'unknown date'}, accession ${s.accession || 'none'}`}
                          />
                        )}
                      </td>
                      <td>{s.date || '—'}</td>
                      <td>{s.patientId || '—'}</td>
                      <td>{s.accession || '—'}</td>
                      <td>{s.modalities.join(', ') || '—'}</td>
                      <td>{s.description || '—'}</td>
                      <td>
                        {s.series ?? '?'} / {s.instances ?? '?'}
                      </td>
                    </tr>
                  ))}
                  {results.studies.length === 0 ? (
                    <tr>
                      <td colSpan={7} className="muted">
                        No study matches.
                      </td>
                    </tr>
                  ) : null}
                </tbody>
              </table>
              <div className="row" style={{ gap: '1rem', marginTop: '0.75rem' }}>
                {/* Paging posts the picks along (to the other page's URL), so a pick on one page survives the next. */}
                {search.page > 0 ? (
                  <button type="submit" name="intent" value="page" formAction={page(search.page - 1)} className="secondary">
                    ← Previous page
                  </button>
                ) : null}
                <span className="muted">Page {search.page + 1}</span>
                {results.hasMore ? (
                  <button type="submit" name="intent" value="page" formAction={page(search.page + 1)} className="secondary">
                    Next page →
                  </button>
                ) : null}
                {elsewhere.length ? (
                  <span role="status">
                    {elsewhere.length} {elsewhere.length === 1 ? 'study' : 'studies'} picked on other pages
                  </span>
                ) : null}
                <span className="spacer" />
                <button type="submit" name="intent" value="check" disabled={busy || (elsewhere.length === 0 && results.studies.every((s) => s.imported))}>
                  Check the picked studies
                </button>
              </div>
            </Form>
          ) : null}
        </>
      )}
    </>
  );
}

function CheckedStudies({ jobId, result, busy }: { jobId: string; result: PacsCheckResult; busy: boolean }) {
  const warned = result.studies.filter((s) => s.warnings.length).length;
  return (
    <Form method="post" className="stack">
      <input type="hidden" name="intent" value="manifest" />
      <input type="hidden" name="job" value={jobId} />
      <p>
        {result.studies.length} {result.studies.length === 1 ? 'study' : 'studies'} read; {warned ? `${warned} with header warnings to acknowledge.` : 'no header warnings.'}{' '}
        Patients are pseudonymised; images are referenced on the PACS, not copied.
      </p>
      <table aria-label="Checked studies" style={{ width: '100%' }}>
        <thead>
          <tr>
            <th scope="col">Study date</th>
            <th scope="col">Patient (pseudonym)</th>
            <th scope="col">Modality · body part</th>
            <th scope="col">Laterality · views</th>
            <th scope="col">Image series</th>
            <th scope="col">Header warnings</th>
          </tr>
        </thead>
        <tbody>
          {result.studies.map((s) => (
            <tr key={s.uid} data-study={s.uid}>
              <td>{s.date || '—'}</td>
              <td>
                <code>{s.patient}</code>
              </td>
              <td>
                {s.modality || '—'} · {s.bodyPart || '—'}
              </td>
              <td>
                {s.laterality || '—'} · {s.views.join(', ') || '—'}
              </td>
              <td>
                {s.imageSeries.length} ({s.instances} instances)
              </td>
              <td>
                {s.error ? (
                  <span className="field-error">{s.error}</span>
                ) : s.warnings.length ? (
                  <>
                    <ul className="pacs-warnings">
                      {s.warnings.map((w) => (
                        <li key={w}>{w}</li>
                      ))}
                    </ul>
                    <label>
                      <input type="checkbox" name="ack" value={s.uid} /> I have reviewed these
                    </label>
                  </>
                ) : (
                  <span className="muted">none</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row" style={{ gap: '1rem', alignItems: 'flex-end' }}>
        <label>
          <input type="checkbox" name="assign" value="on" /> Assign splits to new patients
        </label>
        <div>
          <label htmlFor="f-ratio">train/validation/test</label>
          <input id="f-ratio" name="ratio" defaultValue="70/10/20" size={10} />
        </div>
        <span className="spacer" />
        <button type="submit" disabled={busy}>
          Continue to the import preview
        </button>
      </div>
    </Form>
  );
}
