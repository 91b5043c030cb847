import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { useState } from 'react';
import { requireProjectRole } from '~/permissions.server.ts';
import { clientIp } from '~/request.server.ts';
import { editVersionInPlace, listVersions, parseDefinition, parseStudy, saveNewVersion, updateProjectDetails } from '~/models/project-setup.server.ts';
import { formError } from '~/lib/errors.server.ts';
import { DEFINITION_PARTS as PARTS, PART_LABEL, type DefinitionPart as Part } from '~/forms/lead.ts';
import { projectDetailsSchema, versionFormSchema } from '~/forms/lead.server.ts';
import { parseForm, type FieldErrors } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { Field, FormErrors } from '~/components/field.tsx';
import { ReaderFormPreview } from '~/components/reader-form-preview.tsx';
import { leadLinks } from '~/components/lead-links.ts';
import { readerFormSchema, type ReaderForm } from '../../workflows/definition.ts';

export const links = leadLinks;
export const meta: MetaFunction = () => [{ title: 'Setup — Truthline' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const versions = await listVersions({ projectId: project.id });
  const want = Number(new URL(request.url).searchParams.get('v'));
  const selected = versions.find((v) => v.version === want) ?? versions[0] ?? null;
  return json({
    project: { slug: project.slug, name: project.name, description: project.description, licence: project.licence },
    roles,
    versions: versions.map(({ definition: _d, ...v }) => v),
    selected: selected
      ? {
          version: selected.version,
          note: selected.note,
          cases: selected.cases,
          reads: selected.reads,
          texts: {
            ...(Object.fromEntries(PARTS.map((p) => [p, JSON.stringify(selected.definition[p], null, 2)])) as Record<Part, string>),
            study: selected.definition.study ? JSON.stringify(selected.definition.study, null, 2) : '',
          } as Texts,
        }
      : null,
    latest: versions[0]?.version ?? 0,
  });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const fd = await request.formData();
  const base = `/projects/${project.slug}/settings`;
  if (fd.get('intent') === 'details') {
    const p = parseForm(projectDetailsSchema, fd);
    if (!p.ok) return validationFailed(p.errors, { form: 'details' });
    await updateProjectDetails({ projectId: project.id, ...p.data, actorId: user.id, ip: clientIp(request) });
    return redirectWithFlash(base, { kind: 'success', message: 'Project details saved.' });
  }
  const p = parseForm(versionFormSchema, fd);
  if (!p.ok) return validationFailed(p.errors, { form: 'version' });
  const parts = { readerForm: p.data.readerForm, referenceStandard: p.data.referenceStandard, mapping: p.data.mapping, truthPolicy: p.data.truthPolicy };
  const texts: Texts = { ...parts, study: p.data.study ?? '' };
  const def = parseDefinition(parts);
  const study = parseStudy(p.data.study);
  if (!def.ok || !study.ok)
    return validationFailed(
      { ...(def.ok ? {} : def.errors), ...(study.ok ? {} : { study: study.errors }), _form: ['The definition has errors: see the messages under each part. Nothing was saved.'] },
      { form: 'version', texts },
    );
  try {
    if (p.data.intent === 'preview')
      return json({ ok: true as const, form: 'version', texts, preview: def.definition.readerForm, message: 'The definition is valid. Nothing is saved until you save it.' });
    if (p.data.intent === 'describe') {
      await editVersionInPlace({
        projectId: project.id,
        version: p.data.baseVersion,
        definition: def.definition,
        study: study.study,
        note: p.data.note,
        actorId: user.id,
        ip: clientIp(request),
      });
      return redirectWithFlash(`${base}?v=${p.data.baseVersion}`, { kind: 'success', message: `Version ${p.data.baseVersion} updated in place.` });
    }
    const version = await saveNewVersion({ projectId: project.id, definition: def.definition, study: study.study, note: p.data.note, actorId: user.id, ip: clientIp(request) });
    return redirectWithFlash(`${base}?v=${version}`, {
      kind: 'success',
      message: `Version ${version} saved. Cases imported from now on start on it; existing cases stay on their version.`,
    });
  } catch (e) {
    return formError(e, { form: 'version', texts });
  }
}

/** The four parts' JSON and the study design's ('' when the project is not a reader study). */
type Texts = Record<Part | 'study', string>;
const STUDY_LABEL = 'Reader study (optional)';

function liveForm(text: string): { form: ReaderForm | null; error: string | null } {
  try {
    const r = readerFormSchema.safeParse(JSON.parse(text));
    if (r.success) return { form: r.data, error: null };
    return { form: null, error: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  } catch (e) {
    return { form: null, error: `Not valid JSON: ${(e as Error).message}` };
  }
}

export default function Settings() {
  const { project, roles, versions, selected, latest } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>() as
    | { ok: false; errors: FieldErrors; form?: string; texts?: Texts }
    | { ok: true; form: string; texts: Texts; preview: ReaderForm; message: string }
    | undefined;
  const detailsErrors = data && !data.ok && data.form === 'details' ? data.errors : null;
  const versionErrors = data && !data.ok && data.form !== 'details' ? data.errors : null;
  const texts = (data && 'texts' in data && data.texts) || selected?.texts || null;
  const [readerText, setReaderText] = useState(texts?.readerForm ?? '');
  const live = liveForm(readerText);
  const serverPreview = data && data.ok ? data.preview : null;
  const locked = selected ? selected.cases > 0 : false;
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <h2>Setup</h2>
      <section className="panel" aria-labelledby="details-h">
        <h3 id="details-h" style={{ marginTop: 0 }}>
          Project
        </h3>
        <FormErrors errors={detailsErrors} />
        <Form method="post" className="stack" style={{ maxWidth: '40rem' }}>
          <input type="hidden" name="intent" value="details" />
          <Field name="name" label="Name" errors={detailsErrors}>
            {(a) => <input {...a} name="name" type="text" defaultValue={project.name} />}
          </Field>
          <Field name="description" label="Description" errors={detailsErrors}>
            {(a) => <textarea {...a} name="description" defaultValue={project.description} />}
          </Field>
          <Field name="licence" label="Licence" errors={detailsErrors}>
            {(a) => <input {...a} name="licence" type="text" defaultValue={project.licence} />}
          </Field>
          <div>
            <button type="submit">Save details</button>
          </div>
        </Form>
      </section>

      <section aria-labelledby="versions-h">
        <h3 id="versions-h">Definition versions</h3>
        <p className="muted">
          Cases stay on the version they started on. New imports start on the newest version. Build the reader form, reference standard, mapping and truth policy with the{' '}
          <Link to={`/projects/${project.slug}/setup`}>definition editor</Link>; the JSON below is the same definition.
        </p>
        {versions.length === 0 ? (
          <div className="empty">No version yet.</div>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Version</th>
                <th>Note</th>
                <th>Created</th>
                <th className="num">Cases</th>
                <th className="num">Reads</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.version} aria-current={selected?.version === v.version ? 'true' : undefined}>
                  <td>
                    v{v.version} {v.version === latest ? <span className="badge badge-info">newest</span> : null}
                  </td>
                  <td>{v.note}</td>
                  <td>
                    {v.createdAt.slice(0, 10)} {v.createdBy ? `by ${v.createdBy}` : ''}
                  </td>
                  <td className="num">{v.cases}</td>
                  <td className="num">{v.reads}</td>
                  <td>{selected?.version === v.version ? <strong>shown below</strong> : <Link to={`?v=${v.version}`}>open</Link>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      {selected && texts ? (
        <section aria-labelledby="editor-h" style={{ marginTop: '1rem' }}>
          <h3 id="editor-h">Version {selected.version}</h3>
          <p className="muted">
            {locked
              ? `${selected.cases} case(s) are pinned to this version${selected.reads ? ` and it has ${selected.reads} read(s)` : ''}: in place you can only change descriptions (labels, help, option descriptions, the note). Any other change is saved as version ${latest + 1}.`
              : `No case is pinned to this version yet: you can change it in place, or save a new version ${latest + 1}.`}
          </p>
          {data && data.ok ? (
            <div className="flash flash-info" role="status">
              {data.message}
            </div>
          ) : null}
          <FormErrors errors={versionErrors} />
          <Form method="post" key={`${selected.version}-${JSON.stringify(data && 'texts' in data ? 1 : 0)}`}>
            <input type="hidden" name="baseVersion" value={selected.version} />
            <div className="split-2">
              <div className="stack" style={{ display: 'grid', gap: '0.9rem' }}>
                {PARTS.map((part) => (
                  <Field
                    key={part}
                    name={part}
                    label={PART_LABEL[part]}
                    errors={versionErrors}
                    hint={part === 'readerForm' ? 'JSON; the preview on the right follows your typing.' : 'JSON'}
                  >
                    {(a) =>
                      part === 'readerForm' ? (
                        <textarea
                          {...a}
                          name={part}
                          className="json-editor"
                          spellCheck={false}
                          defaultValue={texts[part]}
                          onChange={(e) => setReaderText(e.currentTarget.value)}
                          rows={16}
                        />
                      ) : (
                        <textarea {...a} name={part} className="json-editor" spellCheck={false} defaultValue={texts[part]} rows={10} />
                      )
                    }
                  </Field>
                ))}
                <Field
                  name="study"
                  label={STUDY_LABEL}
                  errors={versionErrors}
                  hint="JSON: arms, washout, re-reads, calibration (see the definition format). Empty: the project is not a reader study."
                >
                  {(a) => <textarea {...a} name="study" className="json-editor" spellCheck={false} defaultValue={texts.study ?? ''} rows={6} />}
                </Field>
                {versionErrors
                  ? Object.entries(versionErrors)
                      .filter(([k]) => (PARTS as readonly string[]).includes(k) || k === 'study')
                      .map(([k, msgs]) =>
                        msgs.length > 1 ? (
                          <div key={k} className="field-error">
                            {k === 'study' ? STUDY_LABEL : PART_LABEL[k as Part]}:
                            <ul>
                              {msgs.map((m, i) => (
                                <li key={i}>{m}</li>
                              ))}
                            </ul>
                          </div>
                        ) : null,
                      )
                  : null}
                <Field name="note" label="Note (what changed and why)" errors={versionErrors}>
                  {(a) => <input {...a} name="note" type="text" defaultValue={selected.note} />}
                </Field>
                <div className="row">
                  <button type="submit" name="intent" value="preview" className="secondary">
                    Check
                  </button>
                  <button type="submit" name="intent" value="save">
                    Save as version {latest + 1}
                  </button>
                  <button type="submit" name="intent" value="describe" className="secondary">
                    {locked ? `Save descriptions in version ${selected.version}` : `Save in version ${selected.version}`}
                  </button>
                </div>
              </div>
              <div>
                <h4 style={{ marginTop: 0 }}>Reader form preview</h4>
                {live.form ? (
                  <ReaderFormPreview form={live.form} />
                ) : serverPreview ? (
                  <ReaderFormPreview form={serverPreview} />
                ) : (
                  <div className="field-error" role="status">
                    {live.error}
                  </div>
                )}
              </div>
            </div>
          </Form>
        </section>
      ) : null}
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
