import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { changePassword, requireUser } from '~/auth.server.ts';
import { changePasswordSchema } from '~/forms/auth.server.ts';
import { parseForm, useClientValidation } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { Field, FormErrors } from '~/components/field.tsx';

export const meta: MetaFunction = () => [{ title: 'My account — Truthline' }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request, { passwordChange: true });
  return json({ email: user.email, name: user.name, mustChangePassword: user.mustChangePassword });
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request, { passwordChange: true });
  const p = parseForm(changePasswordSchema, await request.formData());
  if (!p.ok) return validationFailed(p.errors);
  const r = await changePassword({ request, userId: user.id, current: p.data.current, next: p.data.next });
  if (!r.ok) return json({ ok: false as const, errors: { current: [r.message] } }, { status: 'throttled' in r ? 429 : 400 });
  return redirectWithFlash('/account', { kind: 'success', message: 'Password changed. Your other sessions were signed out.' }, r.headers);
}

export default function Account() {
  const { email, name, mustChangePassword } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const { clientErrors, onSubmit } = useClientValidation(changePasswordSchema);
  const errors = clientErrors ?? (data && !data.ok ? data.errors : null);
  return (
    <>
      <h1>My account</h1>
      <p>
        {name} · {email}
      </p>
      <p>
        <Link to="/account/tokens">API tokens</Link> — personal access tokens for scripts and pipelines.
      </p>
      <section className="panel">
        <h2>Change password</h2>
        {mustChangePassword ? <p className="flash flash-info">You signed in with a one-time password: choose your own now.</p> : null}
        <FormErrors errors={errors} />
        <Form method="post" className="stack" onSubmit={onSubmit} noValidate>
          <Field name="current" label="Current password" errors={errors}>
            {(a) => <input {...a} name="current" type="password" autoComplete="current-password" />}
          </Field>
          <Field name="next" label="New password" errors={errors} hint="At least 12 characters.">
            {(a) => <input {...a} name="next" type="password" autoComplete="new-password" />}
          </Field>
          <Field name="confirm" label="New password again" errors={errors}>
            {(a) => <input {...a} name="confirm" type="password" autoComplete="new-password" />}
          </Field>
          <div>
            <button type="submit">Change password</button>
          </div>
        </Form>
      </section>
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
