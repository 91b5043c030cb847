import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { endUserSessions, requireAdmin } from '~/auth.server.ts';
import { createUser, listUsers, resetPassword, setProjectCreator, setUserActive } from '~/models/users.server.ts';
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
  return (
    <>
      <h1>Accounts</h1>
      <p className="muted">Administrators manage accounts. Project data is visible only to project members.</p>
      {data?.ok ? (
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

export { ErrorBoundary } from '~/components/error-page.tsx';
