import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useEffect } from 'react';
import { requireProjectRole } from '~/permissions.server.ts';
import { clientIp } from '~/request.server.ts';
import { editVersionInPlace, listVersions, saveNewVersion } from '~/models/project-setup.server.ts';
import { errorMessage } from '~/lib/errors.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { ReaderFormPreview } from '~/components/reader-form-preview.tsx';
import { leadLinks } from '~/components/lead-links.ts';
import { DefinitionEditor } from '~/components/definition-editor.tsx';
import { EditorErrors } from '~/components/definition-editor-inputs.tsx';
import { applyOp, inputId, type Draft } from '~/components/definition-editor-form.ts';
import { BLANK_DRAFT, CHOICES, draftFromPost, layoutOf, obj, previewOf, shown, validateDefinition, type ShownProblem } from '~/components/definition-editor.server.ts';
import editorCss from '~/components/definition-editor.css';
import type { ReaderForm } from '../../workflows/definition.ts';

export const links: LinksFunction = () => [...leadLinks(), { rel: 'stylesheet', href: editorCss }];
export const meta: MetaFunction = () => [{ title: 'Definition editor — Truthline' }];

// The parts a version holds (as in ~/forms/lead.ts, which the browser bundle should not pull in: it imports zod through the vocabulary).
const PARTS = ['readerForm', 'referenceStandard', 'mapping', 'truthPolicy'] as const;
type View = 'structured' | 'json';
const jsonTexts = (draft: Draft) => Object.fromEntries(PARTS.map((p) => [p, JSON.stringify(draft[p] ?? null, null, 2)])) as Record<(typeof PARTS)[number], string>;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const versions = await listVersions({ projectId: project.id });
  const want = Number(new URL(request.url).searchParams.get('v'));
  const selected = versions.find((v) => v.version === want) ?? versions[0] ?? null;
  const draft = (selected?.definition ?? BLANK_DRAFT) as unknown as Draft;
  return json({
    project: { slug: project.slug, name: project.name },
    roles,
    versions: versions.map((v) => ({ version: v.version, note: v.note, cases: v.cases })),
    selected: selected ? { version: selected.version, note: selected.note, cases: selected.cases } : null,
    latest: versions[0]?.version ?? 0,
    draft,
    layout: layoutOf(obj(draft.readerForm).hangingProtocol),
    preview: previewOf(draft),
    choices: CHOICES,
  });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const fd = await request.formData();
  const base = `/projects/${project.slug}/setup`;
  const rev = Date.now();
  const op = fd.get('op');
  const intent = String(fd.get('intent') ?? 'check');
  const note = String(fd.get('note') ?? '').trim();
  const reply = (draft: Draft, view: View, extra: { problems?: ShownProblem[]; message?: string; focus?: string | null; texts?: Record<string, string> } = {}, status = 200) =>
    json(
      {
        rev,
        draft,
        view,
        note,
        layout: layoutOf(obj(draft.readerForm).hangingProtocol),
        preview: previewOf(draft),
        problems: extra.problems ?? [],
        message: extra.message ?? null,
        focus: extra.focus ?? null,
        texts: extra.texts ?? null,
      },
      { status },
    );

  if (intent === 'blank') return reply(structuredClone(BLANK_DRAFT), 'structured', { message: 'The blank template is loaded. Nothing is saved until you save it.' });
  const posted = draftFromPost(fd);
  if (posted.problems.length) return reply(posted.draft, 'json', { problems: shown(posted.problems, posted.draft), texts: posted.texts }, 400);
  const draft = posted.draft;
  if (typeof op === 'string' && op) {
    const focus = applyOp(draft, op);
    return reply(draft, 'structured', { focus });
  }
  if (intent === 'view-json') return reply(draft, 'json');
  if (intent === 'view-structured') return reply(draft, 'structured');
  const view: View = fd.get('view') === 'json' ? 'json' : 'structured';
  const checked = validateDefinition(draft);
  if (!checked.ok)
    return reply(draft, view, { problems: shown(checked.problems, draft), texts: posted.texts, message: 'The definition has problems, listed below. Nothing was saved.' }, 400);
  if (intent === 'check') return reply(draft, view, { message: 'The definition is valid. Nothing is saved until you save it.', texts: posted.texts });
  try {
    if (intent === 'describe') {
      const version = Number(fd.get('baseVersion'));
      // The note field starts empty (its placeholder shows the version's note): empty keeps that note.
      const kept = note || ((await listVersions({ projectId: project.id })).find((v) => v.version === version)?.note ?? '');
      await editVersionInPlace({ projectId: project.id, version, definition: checked.definition, note: kept, actorId: user.id, ip: clientIp(request) });
      return redirectWithFlash(`${base}?v=${version}`, { kind: 'success', message: `Version ${version} updated in place.` });
    }
    const version = await saveNewVersion({ projectId: project.id, definition: checked.definition, note, actorId: user.id, ip: clientIp(request) });
    return redirectWithFlash(`${base}?v=${version}`, {
      kind: 'success',
      message: `Version ${version} saved. Cases imported from now on start on it; existing cases stay on their version.`,
    });
  } catch (e) {
    return reply(draft, view, { problems: [{ path: '', where: 'The definition', message: errorMessage(e) }], texts: posted.texts }, 409);
  }
}

/** After adding, removing or moving a row, the keyboard stays where the work is. */
function useFocusAfterOp(focus: string | null | undefined, rev: number | undefined) {
  useEffect(() => {
    if (!focus) return;
    // The row (or list) has the path's id; its first input takes the keyboard.
    const el = document.getElementById(inputId(focus));
    const input = el?.matches('input, select, textarea') ? el : el?.querySelector<HTMLElement>('input:not([type=hidden]), select, textarea');
    input?.focus();
  }, [focus, rev]);
}

/** A problem's link: jumps to the input (without script, by its fragment) and gives it the keyboard. */
function ProblemLink({ id, children }: { id: string; children: string }) {
  return (
    <a
      href={`#${id}`}
      onClick={(e) => {
        const el = document.getElementById(id);
        if (!el) return;
        e.preventDefault();
        const input = el.matches('input, select, textarea') ? el : el.querySelector<HTMLElement>('input:not([type=hidden]), select, textarea');
        (input ?? el).scrollIntoView({ block: 'center' });
        input?.focus();
      }}
    >
      {children}
    </a>
  );
}

export default function Setup() {
  const loaded = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const nav = useNavigation();
  const { project, roles, versions, selected, latest, choices } = loaded;
  const draft = (data?.draft ?? loaded.draft) as Draft;
  const view: View = data?.view ?? 'structured';
  const layout = data?.layout ?? loaded.layout;
  const preview = (data ? data.preview : loaded.preview) as ReaderForm | null;
  const problems: ShownProblem[] = data?.problems ?? [];
  const errors: Record<string, string[]> = {};
  for (const p of problems) (errors[p.path] ??= []).push(p.message);
  const texts = data?.texts ?? jsonTexts(draft);
  const locked = selected ? selected.cases > 0 : false;
  useFocusAfterOp(data?.focus, data?.rev);

  const toolbar = (
    <div className="row de-toolbar">
      <button type="submit" name="intent" value="check" className="secondary">
        Check
      </button>
      <button type="submit" name="intent" value="save">
        Save as version {latest + 1}
      </button>
      {selected ? (
        <button type="submit" name="intent" value="describe" className="secondary">
          {locked ? `Save descriptions in version ${selected.version}` : `Save in version ${selected.version}`}
        </button>
      ) : null}
      {nav.state !== 'idle' ? (
        <span className="muted" role="status">
          Working…
        </span>
      ) : null}
    </div>
  );

  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <h2>Definition editor</h2>
      <p className="muted">
        {selected ? `Editing version ${selected.version}${selected.note ? ` (${selected.note})` : ''}. ` : ''}
        {locked
          ? `${selected?.cases} case(s) are pinned to it: in place you can only change descriptions; any other change is saved as version ${latest + 1}.`
          : 'Saving creates a new version; cases stay on the version they started on.'}{' '}
        Project details and the version list are under <Link to={`/projects/${project.slug}/settings`}>Setup</Link>.
        {versions.length > 1 ? (
          <>
            {' '}
            Open version:{' '}
            {versions.map((v, i) => (
              <span key={v.version}>
                {i ? ', ' : ''}
                {v.version === selected?.version ? <strong>v{v.version}</strong> : <Link to={`?v=${v.version}`}>v{v.version}</Link>}
              </span>
            ))}
          </>
        ) : null}
      </p>
      <Form method="post" preventScrollReset key={data?.rev ?? 'loaded'} className="de-page" aria-label="Project definition">
        <input type="hidden" name="view" value={view} />
        <input type="hidden" name="baseVersion" value={selected?.version ?? 0} />
        {view === 'structured' ? <input type="hidden" name="base" value={JSON.stringify(draft)} /> : null}
        {toolbar}
        <div className="row de-views" role="group" aria-label="Editor view">
          <button type="submit" name="intent" value="view-structured" className="secondary" aria-pressed={view === 'structured'} formNoValidate>
            Structured editor
          </button>
          <button type="submit" name="intent" value="view-json" className="secondary" aria-pressed={view === 'json'} formNoValidate>
            Advanced (JSON)
          </button>
          <button type="submit" name="intent" value="blank" className="secondary" formNoValidate>
            Start from the blank template
          </button>
        </div>
        {data?.message ? (
          <div className={`flash ${problems.length ? 'flash-error' : 'flash-info'}`} role="status">
            {data.message}
          </div>
        ) : null}
        {problems.length ? (
          <div className="de-problems" role="alert" aria-labelledby="de-problems-h">
            <h3 id="de-problems-h">
              {problems.length} problem{problems.length === 1 ? '' : 's'} to fix
            </h3>
            <ul>
              {problems.map((p, i) => (
                <li key={i}>
                  {p.path ? <ProblemLink id={inputId(p.path)}>{p.where}</ProblemLink> : p.where}: {p.message}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        <div className="de-layout">
          <div>
            <label htmlFor="de-note">Note (what changed and why)</label>
            <input id="de-note" name="note" type="text" defaultValue={data?.note ?? ''} placeholder={selected?.note ?? ''} />
            {view === 'structured' ? (
              <EditorErrors.Provider value={errors}>
                <DefinitionEditor draft={draft} choices={choices} layout={layout} />
              </EditorErrors.Provider>
            ) : (
              <div className="stack de-json">
                <p className="muted">
                  The same definition as JSON (docs/definition-format.md describes every field). Switch back to the structured editor at any time: nothing is lost.
                </p>
                {PARTS.map((p) => (
                  <div key={p} id={inputId(p)}>
                    <label htmlFor={`de-json-${p}`}>{p}</label>
                    <textarea id={`de-json-${p}`} name={`json.${p}`} className="json-editor" spellCheck={false} rows={p === 'readerForm' ? 20 : 10} defaultValue={texts[p]} />
                    {errors[p] ? <div className="field-error">{errors[p].join(' · ')}</div> : null}
                  </div>
                ))}
              </div>
            )}
            {toolbar}
          </div>
          <aside aria-labelledby="de-preview-h" className="de-preview">
            <h3 id="de-preview-h">What readers will see</h3>
            {preview ? <ReaderFormPreview form={preview} /> : <p className="muted">The reader form has problems: fix them to see the preview.</p>}
          </aside>
        </div>
      </Form>
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
