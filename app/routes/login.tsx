import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json, redirect } from '@remix-run/node';
import { Form, useActionData, useNavigation, useSearchParams } from '@remix-run/react';
import { getOptionalUser, signIn } from '~/auth.server.ts';
import { safeRedirect } from '~/forms/auth.ts';
import { signInSchema } from '~/forms/auth.server.ts';
import { parseForm, useClientValidation } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { Field, FormErrors } from '~/components/field.tsx';

export const meta: MetaFunction = () => [{ title: 'Sign in — Truthline' }];

export async function loader({ request }: LoaderFunctionArgs) {
  // Public page; a signed-in user has nothing to do here.
  const user = await getOptionalUser(request);
  if (user) throw redirect(safeRedirect(new URL(request.url).searchParams.get('redirectTo')));
  return json({});
}

export async function action({ request }: ActionFunctionArgs) {
  const parsed = parseForm(signInSchema, await request.formData());
  if (!parsed.ok) return validationFailed(parsed.errors);
  const result = await signIn(request, parsed.data.email, parsed.data.password);
  if (!result.ok) {
    return json({ ok: false as const, errors: { _form: [result.message] } }, { status: result.reason === 'invalid' ? 401 : 429 });
  }
  return redirect(safeRedirect(parsed.data.redirectTo), { headers: result.headers });
}

export default function Login() {
  const data = useActionData<typeof action>();
  const [params] = useSearchParams();
  const nav = useNavigation();
  const { clientErrors, onSubmit } = useClientValidation(signInSchema);
  const errors = clientErrors ?? (data && !data.ok ? data.errors : null);
  return (
    <section className="panel" style={{ maxWidth: '30rem', margin: '3rem auto' }}>
      <h1>Sign in to Truthline</h1>
      <p className="muted">Ground truth for medical-imaging AI: blinded reads, agreement, adjudication and evidence.</p>
      <FormErrors errors={errors} />
      <Form method="post" className="stack" onSubmit={onSubmit} noValidate>
        <input type="hidden" name="redirectTo" value={params.get('redirectTo') ?? '/'} />
        <Field name="email" label="Email" errors={errors}>
          {(a) => <input {...a} name="email" type="email" autoComplete="username" autoFocus required />}
        </Field>
        <Field name="password" label="Password" errors={errors}>
          {(a) => <input {...a} name="password" type="password" autoComplete="current-password" required />}
        </Field>
        <div>
          <button type="submit" disabled={nav.state === 'submitting'}>
            {nav.state === 'submitting' ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </Form>
    </section>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
