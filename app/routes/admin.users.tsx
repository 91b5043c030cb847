import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { endUserSessions, requireAdmin } from '~/auth.server.ts';
import { createUser, getUser, listUsers, resetPassword, setProjectCreator, setUserActive } from '~/models/users.server.ts';
import { formError } from '~/lib/errors.server.ts';
import { createUserSchema, userActionSchema } from '~/forms/admin-users.server.ts';
import { parseForm, useClientValidation } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { clientIp } from '~/request.server.ts';
import { Field, FormErrors } from '~/components/field.tsx';

export const meta: MetaFunction = () => [{ title: 'Accounts — Truthline' }];

export async function loader({ request }: LoaderFunctionArgs) {
  const admin = await requireAdmin(request);
  const users = await listUsers();
  return json({ users: users.map((u) => ({ ...u, createdAt: u.createdAt.toISOString().slice(0, 10) })), me: admin.id });
}

export async function action({ request }: ActionFunctionArgs) {
  const admin = await requireAdmin(request);
  const fd = await request.formData();
  const ip = clientIp(request);
  if (fd.get('intent') === 'create') {
    const p = parseForm(createUserSchema, fd);
    if (!p.ok) return validationFailed(p.errors, { intent: 'create' });
    try {
      const u = await createUser({
        email: p.data.email,
        name: p.data.name,
        isAdmin: p.data.isAdmin === 'on',
        canCreateProjects: p.data.canCreateProjects === 'on',
        actorId: admin.id,
        ip,
      });
      return json({ ok: true as const, intent: 'create', message: `Account created for ${u.email}.`, oneTime: { email: u.email, password: u.password } });
    } catch (e) {
      return formError(e, { intent: 'create' });
    }
  }
  const p = parseForm(userActionSchema, fd);
  if (!p.ok) return validationFailed(p.errors);
  if (p.data.userId === admin.id && p.data.intent === 'deactivate') return validationFailed({ _form: ['You cannot deactivate your own account.'] });
  if ((p.data.intent === 'deactivate' || p.data.intent === 'reset') && p.data.confirmed !== 'yes') {
    // Both end the person's sessions (and a reset locks them out until they get the new password):
    // the first press only asks, on the server, so the step holds without script too.
    const u = await getUser({ userId: p.data.userId });
    if (!u) return validationFailed({ _form: ['There is no such account.'] });
    return json({ ok: true as const, intent: p.data.intent, message: null, oneTime: null, confirm: { intent: p.data.intent, userId: u.id, email: u.email } });
  }
  if (p.data.intent === 'allow-projects' || p.data.intent === 'disallow-projects') {
    const allowed = p.data.intent === 'allow-projects';
    await setProjectCreator({ userId: p.data.userId, allowed, actorId: admin.id, ip });
    return json({
      ok: true as const,
      intent: p.data.intent,
      message: allowed ? 'That account may now create projects.' : 'That account may no longer create projects (its existing projects are unchanged).',
      oneTime: null,
    });
  }
  if (p.data.intent === 'reset') {
    const { password } = await resetPassword({ userId: p.data.userId, actorId: admin.id, ip });
    await endUserSessions(p.data.userId);
    return json({
      ok: true as const,
      intent: 'reset',
      message: 'Password reset. Every session of that account was ended.',
      oneTime: { email: String(fd.get('email') ?? ''), password },
    });
  }
  await setUserActive({ userId: p.data.userId, active: p.data.intent === 'reactivate', actorId: admin.id, ip });
  if (p.data.intent === 'deactivate') await endUserSessions(p.data.userId);
  return json({
    ok: true as const,
    intent: p.data.intent,
    message: p.data.intent === 'deactivate' ? 'Account deactivated and signed out.' : 'Account reactivated.',
    oneTime: null,
  });
}

export default function AdminUsers() {
  const { users, me } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const nav = useNavigation();
  const { clientErrors, onSubmit } = useClientValidation(createUserSchema);
  const serverErrors = data && !data.ok ? data.errors : null;
  const errors = clientErrors ?? serverErrors;
  const confirm = data?.ok && 'confirm' in data ? data.confirm : null;
  return (
    <>
      <h1>Accounts</h1>
      <p className="muted">Administrators manage accounts. Project data is visible only to project members.</p>
      {confirm ? <ConfirmStep confirm={confirm} /> : null}
      {data?.ok && data.message ? (
        <div className="flash flash-success" role="status">
          {data.message}
          {data.oneTime ? (
            <p>
              One-time password{data.oneTime.email ? ` for ${data.oneTime.email}` : ''} — shown only now; the user must change it at first sign-in:
              <br />
              <span className="once" data-testid="one-time-password">
                {data.oneTime.password}
              </span>
            </p>
          ) : null}
        </div>
      ) : null}
      <section className="panel">
        <h2>Create an account</h2>
        <FormErrors errors={errors} />
        <Form method="post" className="stack" onSubmit={onSubmit} noValidate>
          <input type="hidden" name="intent" value="create" />
          <Field name="email" label="Email" errors={errors}>
            {(a) => <input {...a} name="email" type="email" required />}
          </Field>
          <Field name="name" label="Name" errors={errors}>
            {(a) => <input {...a} name="name" type="text" />}
          </Field>
          <label style={{ fontWeight: 400 }}>
            <input type="checkbox" name="isAdmin" /> Administrator (manages accounts)
          </label>
          <label style={{ fontWeight: 400 }}>
            <input type="checkbox" name="canCreateProjects" /> Project creator (may create projects and becomes their lead)
          </label>
          <div>
            <button type="submit" disabled={nav.state === 'submitting'}>
              Create account
            </button>
          </div>
        </Form>
      </section>
      <h2>All accounts ({users.length})</h2>
      <table>
        <thead>
          <tr>
            <th>Email</th>
            <th>Name</th>
            <th>Status</th>
            <th>Created</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id}>
              <td>
                {u.email} {u.isAdmin ? <span className="badge badge-info">admin</span> : null}{' '}
                {u.canCreateProjects ? <span className="badge badge-info">project creator</span> : null}
              </td>
              <td>{u.name}</td>
              <td>{u.active ? <span className="badge badge-ok">active</span> : <span className="badge badge-bad">deactivated</span>}</td>
              <td>{u.createdAt}</td>
              <td>
                <div className="row">
                  <Form method="post">
                    <input type="hidden" name="userId" value={u.id} />
                    <input type="hidden" name="email" value={u.email} />
                    <button type="submit" name="intent" value="reset" className="secondary">
                      Reset password
                    </button>
                  </Form>
                  {u.isAdmin ? null : (
                    <Form method="post">
                      <input type="hidden" name="userId" value={u.id} />
                      <button type="submit" name="intent" value={u.canCreateProjects ? 'disallow-projects' : 'allow-projects'} className="secondary">
                        {u.canCreateProjects ? 'Disallow creating projects' : 'Allow creating projects'}
                      </button>
                    </Form>
                  )}
                  {u.id === me ? null : (
                    <Form method="post">
                      <input type="hidden" name="userId" value={u.id} />
                      <input type="hidden" name="email" value={u.email} />
                      <button type="submit" name="intent" value={u.active ? 'deactivate' : 'reactivate'} className={u.active ? 'danger' : 'secondary'}>
                        {u.active ? 'Deactivate' : 'Reactivate'}
                      </button>
                    </Form>
                  )}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

const CONFIRM_TEXT = {
  deactivate: {
    title: 'Deactivate this account?',
    body: 'The person is signed out everywhere and cannot sign in until an administrator reactivates the account. Their reads and roles are kept.',
    yes: 'Yes, deactivate',
  },
  reset: {
    title: 'Reset this password?',
    body: 'The current password stops working at once and every session of the account is ended. You get a one-time password to hand over; the person must change it at first sign-in.',
    yes: 'Yes, reset the password',
  },
} as const;

/** The second step of deactivate and reset: names the account and what will happen; Cancel changes nothing. */
function ConfirmStep({ confirm }: { confirm: { intent: 'deactivate' | 'reset'; userId: string; email: string } }) {
  const text = CONFIRM_TEXT[confirm.intent];
  const heading = useRef<HTMLHeadingElement>(null);
  // The step replaces the press that asked for it: the keyboard goes to it.
  useEffect(() => heading.current?.focus(), [confirm.userId, confirm.intent]);
  return (
    <section className="panel flash-warning" aria-labelledby="confirm-h" data-testid="confirm-step">
      <h2 id="confirm-h" ref={heading} tabIndex={-1} style={{ marginTop: 0 }}>
        {text.title}
      </h2>
      <p>
        <strong>{confirm.email}</strong>: {text.body}
      </p>
      <Form method="post" className="row">
        <input type="hidden" name="userId" value={confirm.userId} />
        <input type="hidden" name="email" value={confirm.email} />
        <input type="hidden" name="confirmed" value="yes" />
        <button type="submit" name="intent" value={confirm.intent} className={confirm.intent === 'deactivate' ? 'danger' : undefined}>
          {text.yes} {confirm.email}
        </button>
        <Link to="/admin/users" className="button secondary">
          Cancel
        </Link>
      </Form>
    </section>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
