import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { clientIp } from '~/request.server.ts';
import { formatError, importManifest, ImportFailed, parseSplitRatio, previewManifest, type ManifestFormat } from '~/models/import.server.ts';
import { getCurrentVersion } from '~/models/projects.server.ts';
import { importFormSchema, MANIFEST_COLUMNS } from '~/forms/lead.ts';
import { parseForm, type FieldErrors } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { FormErrors } from '~/components/field.tsx';
import { decodeTextFile, TextFileError } from '~/lib/text-file.ts';
import { formulaCells } from '~/lib/csv-safety.ts';

export const meta: MetaFunction = () => [{ title: 'Import cases — Truthline' }];

const SHOW_ROWS = 100;
const SHOW_ERRORS = 200;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const v = await getCurrentVersion({ projectId: project.id });
  return json({ project: { slug: project.slug, name: project.name }, roles, version: v?.version ?? null });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const fd = await request.formData();
  const p = parseForm(importFormSchema, fd);
  if (!p.ok) return validationFailed(p.errors);
  let text = p.data.text;
  let fileName: string | null = null;
  const file = fd.get('file');
  if (file && typeof file !== 'string' && file.size > 0) {
    if (file.size > 10 * 1024 * 1024) return validationFailed({ file: ['The file is larger than 10 MB: split it'] });
    try {
      text = decodeTextFile(new Uint8Array(await file.arrayBuffer()), `The file ${file.name}`);
    } catch (e) {
      if (e instanceof TextFileError) return validationFailed({ file: [e.message] });
      throw e;
    }
    fileName = file.name;
  }
  if (!text.trim()) return validationFailed({ file: ['Choose a manifest file or paste its contents'] });
  const format: ManifestFormat | undefined = p.data.format === 'auto' ? undefined : p.data.format;
  const assignSplits = p.data.assign ? parseSplitRatio(p.data.ratio) : null;
  const echo = { text, format: p.data.format, assign: Boolean(p.data.assign), ratio: p.data.ratio };
  if (p.data.intent === 'import') {
    try {
      const r = await importManifest({ projectId: project.id, text, format, fileName, assignSplits, actorId: user.id, ip: clientIp(request) });
      const splits = Object.entries(r.splitCounts)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${n} ${s}`)
        .join(', ');
      return redirectWithFlash(`/projects/${project.slug}/cases`, {
        kind: 'success',
        message: `${r.cases} case${r.cases === 1 ? '' : 's'} imported on version ${r.version} (${r.patients.new} new patient${r.patients.new === 1 ? '' : 's'}; ${splits}). Their workflows have started.`,
      });
    } catch (e) {
      if (e instanceof ImportFailed) return json(previewPayload(e.preview, echo, true), { status: 400 });
      throw e;
    }
  }
  const preview = await previewManifest({ projectId: project.id, text, format, fileName, assignSplits });
  return json(previewPayload(preview, echo, false), { status: preview.errors.length ? 400 : 200 });
}

function previewPayload(preview: Awaited<ReturnType<typeof previewManifest>>, echo: { text: string; format: string; assign: boolean; ratio: string }, failedImport: boolean) {
  return {
    ok: preview.errors.length === 0,
    failedImport,
    errors: null as Record<string, string[]> | null,
    preview: {
      format: preview.format,
      rowWord: preview.rowWord,
      total: preview.rows.length,
      rows: preview.rows.slice(0, SHOW_ROWS),
      problems: preview.errors.slice(0, SHOW_ERRORS).map((e) => ({ ...e, text: formatError(e, preview.rowWord) })),
      problemCount: preview.errors.length,
      patients: preview.patients,
      splitCounts: preview.splitCounts,
      formulaCells: formulaCells(echo.text),
    },
    echo,
  };
}

type PreviewPayload = ReturnType<typeof previewPayload>;

export default function ImportCases() {
  const { project, roles, version } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>() as unknown as PreviewPayload | { ok: false; errors: FieldErrors } | undefined;
  const nav = useNavigation();
  const busy = nav.state === 'submitting';
  const fieldErrors = data && 'errors' in data && data.errors ? data.errors : null;
  const pv = data && 'preview' in data ? data.preview : null;
  const echo = data && 'echo' in data ? data.echo : null;
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
        <code>;</code>-separated references (a URL or path to a PNG/JPEG, or <code>dicomweb:&lt;server&gt;/studies/&lt;uid&gt;[/series/&lt;uid&gt;]</code>); an optional
        <code> study_instance_uid</code>; any other column is kept as case metadata. Nothing is written until every row is valid. New cases start on version{' '}
        {version ?? '—'} of the project definition.
      </p>
      <FormErrors errors={fieldErrors} />
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
            <textarea id="f-text" name="text" rows={8} defaultValue={echo?.text ?? ''} key={echo?.text ?? ''} spellCheck={false} style={{ fontFamily: 'ui-monospace, monospace' }} />
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
      {pv ? (
        <section aria-labelledby="preview-h">
          <h2 id="preview-h">Preview</h2>
          {pv.problemCount > 0 ? (
            <div className="flash flash-error" role="alert">
              {data && 'failedImport' in data && data.failedImport ? 'Nothing was imported. ' : ''}
              {pv.problemCount} problem{pv.problemCount === 1 ? '' : 's'} in {pv.format.toUpperCase()} — fix {pv.problemCount === 1 ? 'it' : 'them'} and check again. Nothing is
              written until every row is valid.
              <ul>
                {pv.problems.map((e, i) => (
                  <li key={i}>{e.text}</li>
                ))}
              </ul>
              {pv.problemCount > pv.problems.length ? <p>…and {pv.problemCount - pv.problems.length} more.</p> : null}
            </div>
          ) : (
            <div className="flash flash-info" role="status">
              All {pv.total} row{pv.total === 1 ? '' : 's'} are valid: {pv.total} case{pv.total === 1 ? '' : 's'} of {pv.patients.total} patient
              {pv.patients.total === 1 ? '' : 's'} ({pv.patients.new} new). Splits: {Object.entries(pv.splitCounts)
                .filter(([, n]) => n > 0)
                .map(([s, n]) => `${s} ${n}`)
                .join(', ')}
              .
            </div>
          )}
          {pv.formulaCells.length > 0 ? (
            <div className="flash flash-warning" role="status" data-testid="formula-warning">
              Some cells start with =, +, -, @, a tab or a carriage return: a spreadsheet opening an export of them would run them as formulas. They are imported as
              text, and every CSV Truthline writes prefixes them with a single quote. Check that they are meant:
              <ul>
                {pv.formulaCells.map((c) => (
                  <li key={`${c.line}:${c.column}`}>
                    line {c.line}, column {c.column}: <code>{c.value}</code>
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          {pv.problemCount === 0 && echo ? (
            <Form method="post" encType="multipart/form-data" className="row" style={{ marginBottom: '1rem' }}>
              <textarea name="text" defaultValue={echo.text} hidden readOnly aria-hidden="true" tabIndex={-1} />
              <input type="hidden" name="format" value={echo.format} />
              {echo.assign ? <input type="hidden" name="assign" value="on" /> : null}
              <input type="hidden" name="ratio" value={echo.ratio} />
              <button type="submit" name="intent" value="import" disabled={busy}>
                {busy ? 'Importing…' : `Import ${pv.total} case${pv.total === 1 ? '' : 's'}`}
              </button>
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
                    <td className="hint">{Object.entries(r.metadata).map(([k, v]) => `${k}=${String(v)}`).join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {pv.total > pv.rows.length ? <p className="muted">Showing the first {pv.rows.length} of {pv.total} valid rows.</p> : null}
        </section>
      ) : null}
    </>
  );
}
