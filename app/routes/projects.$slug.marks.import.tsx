/**
 * /projects/:slug/marks/import — marks from other tools (COCO JSON, DICOM SR TID 1500) as a named
 * source: an AI model's detections or prior annotations. The file is checked in the background
 * and previewed per case, every problem named by its JSON path or SR content item; then a second
 * job stores every lesion or none.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json, redirect, unstable_parseMultipartFormData, unstable_createMemoryUploadHandler, MaxPartSizeExceededError } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { clientIp } from '~/request.server.ts';
import { importCheckedMarks, importedMarkSources, marksImportSchema, MAX_MARKS_FILE_BYTES, startMarksJob, type MarksImportResult } from '~/models/marks-import.server.ts';
import { MARK_SOURCE_KIND_LABELS, MARK_SOURCE_KINDS, type MarkSourceKind } from '../../formats/marks-sources.ts';
import { projectJob } from '~/models/jobs.server.ts';
import { kickJobs } from '../../jobs/runner.ts';
import { JobProgress } from '~/components/job-progress.tsx';
import { parseForm, type FieldErrors } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { FormErrors } from '~/components/field.tsx';

export const meta: MetaFunction = () => [{ title: 'Import marks — Truthline' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const jobId = new URL(request.url).searchParams.get('job');
  const job = jobId ? await projectJob({ projectId: project.id, jobId }) : null;
  if (jobId && (!job || !job.kind.startsWith('marks.'))) throw new Response('No such marks import in this project.', { status: 404 });
  return json({ project: { slug: project.slug, name: project.name }, roles, job, sources: await importedMarkSources({ projectId: project.id }) });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const multipart = /^multipart\/form-data/i.test(request.headers.get('content-type') ?? '');
  let fd: FormData;
  try {
    fd = multipart ? await unstable_parseMultipartFormData(request, unstable_createMemoryUploadHandler({ maxPartSize: MAX_MARKS_FILE_BYTES })) : await request.formData();
  } catch (e) {
    if (e instanceof MaxPartSizeExceededError) return validationFailed({ file: [`The file is larger than ${MAX_MARKS_FILE_BYTES / 1024 / 1024} MB`] });
    throw e;
  }
  const ip = clientIp(request);
  const base = `/projects/${project.slug}/marks/import`;
  if (fd.get('intent') === 'import') {
    const job = await importCheckedMarks({ projectId: project.id, checkJobId: String(fd.get('check') ?? ''), actorId: user.id, ip });
    if (!job) return validationFailed({ file: ['Check the file first: only a checked file without problems can be imported'] });
    kickJobs();
    return redirect(`${base}?job=${job.id}`);
  }
  const p = parseForm(marksImportSchema, fd);
  if (!p.ok) return validationFailed(p.errors);
  const file = fd.get('file');
  if (!file || typeof file === 'string' || file.size === 0) return validationFailed({ file: ['Choose a COCO JSON or DICOM SR file'] });
  const job = await startMarksJob({
    projectId: project.id,
    bytes: new Uint8Array(await file.arrayBuffer()),
    fileName: file.name || null,
    source: p.data.source,
    sourceKind: p.data.sourceKind,
    actorId: user.id,
    ip,
    dryRun: true,
  });
  kickJobs();
  return redirect(`${base}?job=${job.id}`);
}

const KIND_WORDS: Record<string, string> = { point: 'point', box: 'box', ellipse: 'ellipse', polygon: 'outline' };

export default function ImportMarks() {
  const { project, roles, job, sources } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>() as unknown as { ok: false; errors: FieldErrors } | undefined;
  const nav = useNavigation();
  const busy = nav.state === 'submitting';
  const errors = data && 'errors' in data && data.errors ? data.errors : null;
  const pv = job?.finished && job.result ? (job.result as MarksImportResult) : null;
  const isCheck = job?.kind === 'marks.check';
  const formatName = pv?.format === 'sr' ? 'DICOM SR' : pv?.format === 'coco' ? 'COCO' : 'marks';
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <h2>Import marks</h2>
      <p className="muted">
        Lesion marks made with another tool, under a source name: an AI model's detections or prior annotations (locations for the reference standard). They are kept per case
        beside the reads and the truth, never in them. A reader study's aided arm shows AI model detections on the images; prior annotations are never shown to readers. COCO JSON:
        each image's <code>file_name</code> is the image as the case manifest names it (or give the image a <code>case_id</code>); boxes from <code>bbox</code>, outlines from
        polygon <code>segmentation</code>. DICOM SR: a TID 1500 measurement report of the case's study (its StudyInstanceUID), marks on the study's images. The whole file is
        checked first; nothing is stored until every mark is placed. Importing a source again replaces its marks for the cases in the file.
      </p>
      {sources.length ? (
        <table>
          <caption className="sr-only">Imported sources</caption>
          <thead>
            <tr>
              <th>Source</th>
              <th>What</th>
              <th>Cases</th>
              <th>Lesions</th>
              <th>Last import</th>
            </tr>
          </thead>
          <tbody>
            {sources.map((s) => (
              <tr key={s.source}>
                <td>{s.source}</td>
                <td>{MARK_SOURCE_KIND_LABELS[s.sourceKind as MarkSourceKind] ?? s.sourceKind}</td>
                <td>{s.cases}</td>
                <td>{s.lesions}</td>
                <td>{s.at.slice(0, 16)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <div className="empty">No marks imported yet.</div>
      )}
      <FormErrors errors={errors} />
      {job ? <JobProgress key={job.id} slug={project.slug} job={job} /> : null}
      <section className="panel">
        <Form method="post" encType="multipart/form-data" className="stack" style={{ maxWidth: '48rem' }}>
          <div>
            <label htmlFor="f-file">Marks file</label>
            <input id="f-file" name="file" type="file" accept=".json,.dcm,application/json,application/dicom" aria-describedby={errors?.file ? 'f-file-err' : undefined} />
            {errors?.file ? (
              <div id="f-file-err" className="field-error">
                {errors.file[0]}
              </div>
            ) : null}
          </div>
          <div>
            <label htmlFor="f-source">Source</label>
            <input id="f-source" name="source" defaultValue={pv?.source ?? ''} placeholder="e.g. CAD 2.1" aria-describedby={errors?.source ? 'f-source-err' : undefined} />
            {errors?.source ? (
              <div id="f-source-err" className="field-error">
                {errors.source[0]}
              </div>
            ) : null}
          </div>
          <fieldset>
            <legend>The marks are</legend>
            {MARK_SOURCE_KINDS.map((k) => (
              <label key={k} className="option">
                <input type="radio" name="sourceKind" value={k} defaultChecked={(pv?.sourceKind ?? 'model') === k} />
                <span>{MARK_SOURCE_KIND_LABELS[k]}</span>
              </label>
            ))}
          </fieldset>
          <div>
            <button type="submit" name="intent" value="preview" disabled={busy}>
              {busy ? 'Checking…' : 'Check and preview'}
            </button>
          </div>
        </Form>
      </section>
      {job?.status === 'succeeded' && !isCheck && pv ? (
        <div className="flash flash-success" role="status">
          {(pv.stored ?? 0).toLocaleString('en')} lesion{pv.stored === 1 ? '' : 's'} of {pv.source} stored for {pv.caseCount.toLocaleString('en')} case
          {pv.caseCount === 1 ? '' : 's'}.
        </div>
      ) : null}
      {pv && (isCheck || pv.problemCount > 0) ? (
        <section aria-labelledby="preview-h">
          <h2 id="preview-h">Preview</h2>
          {pv.problemCount > 0 ? (
            <div className="flash flash-error" role="alert">
              {!isCheck ? 'Nothing was stored. ' : ''}
              {pv.problemCount} problem{pv.problemCount === 1 ? '' : 's'} in the {formatName} file — fix {pv.problemCount === 1 ? 'it' : 'them'} and check again. Nothing is stored
              until every mark is placed.
              <ul>
                {pv.problems.map((e, i) => (
                  <li key={i}>{e.text}</li>
                ))}
              </ul>
              {pv.problemCount > pv.problems.length ? <p>…and {pv.problemCount - pv.problems.length} more.</p> : null}
            </div>
          ) : (
            <div className="flash flash-info" role="status">
              Every mark is placed: {pv.total.toLocaleString('en')} lesion{pv.total === 1 ? '' : 's'} for {pv.caseCount.toLocaleString('en')} case{pv.caseCount === 1 ? '' : 's'} (
              {formatName}, source {pv.source}).
            </div>
          )}
          {pv.problemCount === 0 && isCheck && job ? (
            <Form method="post" encType="multipart/form-data" className="row" style={{ marginBottom: '1rem' }}>
              <input type="hidden" name="check" value={job.id} />
              <button type="submit" name="intent" value="import" disabled={busy}>
                {busy ? 'Starting…' : `Import ${pv.total.toLocaleString('en')} lesion${pv.total === 1 ? '' : 's'}`}
              </button>
              <span className="hint">Runs in the background; every mark is stored at once, or none.</span>
            </Form>
          ) : null}
          {pv.cases.length ? (
            <table>
              <caption className="sr-only">Marks per case</caption>
              <thead>
                <tr>
                  <th>Case</th>
                  <th>Lesions</th>
                  <th>Kinds</th>
                  <th>Images</th>
                </tr>
              </thead>
              <tbody>
                {pv.cases.map((c) => (
                  <tr key={c.caseId}>
                    <td>{c.caseId}</td>
                    <td>{c.lesions}</td>
                    <td>
                      {Object.entries(c.kinds)
                        .map(([k, n]) => `${n} ${KIND_WORDS[k] ?? k}${n === 1 ? '' : 'es'.slice(k === 'box' ? 0 : 1)}`)
                        .join(', ')}
                    </td>
                    <td>{c.images}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {pv.caseCount > pv.cases.length ? <p className="muted">Showing the first {pv.cases.length} cases.</p> : null}
        </section>
      ) : null}
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
