import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { requireUser } from '~/auth.server.ts';
import { listProjectsForUser } from '~/models/projects.server.ts';
import { createToken, listTokens, revokeToken } from '~/models/tokens.server.ts';
import { formError } from '~/lib/errors.server.ts';
import { parseForm, useClientValidation } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { clientIp } from '~/request.server.ts';
import { Field, FormErrors } from '~/components/field.tsx';
import { createTokenSchema, revokeTokenSchema } from '~/forms/tokens.server.ts';

export const meta: MetaFunction = () => [{ title: 'API tokens — Truthline' }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const [projects, tokens] = await Promise.all([listProjectsForUser({ userId: user.id }), listTokens({ userId: user.id })]);
  return json({
    projects: projects.map((p) => ({ slug: p.slug, name: p.name, roles: p.roles })),
    tokens: tokens.map((t) => ({
      id: t.id,
      name: t.name,
      projects: t.projects.map((p) => p.name),
      createdAt: t.createdAt.toISOString(),
      lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
      revokedAt: t.revokedAt?.toISOString() ?? null,
    })),
  });
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const fd = await request.formData();
  if (fd.get('intent') === 'revoke') {
    const p = parseForm(revokeTokenSchema, fd);
    if (!p.ok) return validationFailed(p.errors);
    const ok = await revokeToken({ userId: user.id, tokenId: p.data.tokenId, ip: clientIp(request) });
    if (!ok) return validationFailed({ _form: ['There is no such token of yours, or it was already revoked.'] });
    return redirectWithFlash('/account/tokens', { kind: 'success', message: 'Token revoked: it no longer works.' });
  }
  const p = parseForm(createTokenSchema, fd);
  if (!p.ok) return validationFailed(p.errors);
  try {
    const t = await createToken({ userId: user.id, name: p.data.name, projects: p.data.projects, ip: clientIp(request) });
    // Shown in this one answer only: it is not stored and cannot be shown again.
    return json({ ok: true as const, created: { name: p.data.name, token: t.token, projects: t.projects.map((x) => x.slug) } });
  } catch (e) {
    return formError(e);
  }
}

function when(iso: string | null) {
  return iso ? new Date(iso).toLocaleString() : '—';
}

export default function Tokens() {
  const { projects, tokens } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const { clientErrors, onSubmit } = useClientValidation(createTokenSchema);
  const errors = clientErrors ?? (data && !data.ok ? data.errors : null);
  const created = data && data.ok ? data.created : null;
  return (
    <>
      <p>
        <Link to="/account">← My account</Link>
      </p>
      <h1>API tokens</h1>
      <p className="muted">
        A personal access token lets a script use the HTTP API (<code>Authorization: Bearer …</code>) as you, with your roles, in the projects you choose. The API is described at{' '}
        <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.
      </p>
      {created ? (
        <section className="panel flash flash-success" role="status">
          <h2>Token “{created.name}” created</h2>
          <p>Copy it now: it is shown only this once. Projects: {created.projects.join(', ')}.</p>
          <p>
            <input readOnly value={created.token} aria-label="New token" style={{ width: '100%', fontFamily: 'monospace' }} onFocus={(e) => e.currentTarget.select()} />
          </p>
        </section>
      ) : null}
      <section className="panel">
        <h2>New token</h2>
        <FormErrors errors={errors} />
        {projects.length === 0 ? (
          <p className="empty">You are not a member of any project, so a token could do nothing.</p>
        ) : (
          <Form method="post" className="stack" onSubmit={onSubmit} noValidate>
            <input type="hidden" name="intent" value="create" />
            <Field name="name" label="Name" errors={errors} hint="What will use it, e.g. “nightly import”.">
              {(a) => <input {...a} name="name" maxLength={100} />}
            </Field>
            <fieldset aria-describedby={errors?.projects ? 'f-projects-err' : undefined}>
              <legend>Projects</legend>
              {projects.map((p) => (
                <div key={p.slug}>
                  <label>
                    <input type="checkbox" name="projects" value={p.slug} /> {p.name} <span className="muted">({p.roles.join(', ')})</span>
                  </label>
                </div>
              ))}
              {errors?.projects ? (
                <div id="f-projects-err" className="field-error">
                  {errors.projects[0]}
                </div>
              ) : null}
            </fieldset>
            <div>
              <button type="submit">Create token</button>
            </div>
          </Form>
        )}
      </section>
      <section className="panel">
        <h2>Your tokens</h2>
        {tokens.length === 0 ? (
          <p className="empty">No tokens yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Projects</th>
                <th>Created</th>
                <th>Last used</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>{t.projects.join(', ')}</td>
                  <td>{when(t.createdAt)}</td>
                  <td>{when(t.lastUsedAt)}</td>
                  <td>
                    {t.revokedAt ? (
                      <span className="muted">revoked {when(t.revokedAt)}</span>
                    ) : (
                      <Form method="post">
                        <input type="hidden" name="intent" value="revoke" />
                        <input type="hidden" name="tokenId" value={t.id} />
                        <button type="submit" aria-label={`Revoke token ${t.name}`}>
                          Revoke
                        </button>
                      </Form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
