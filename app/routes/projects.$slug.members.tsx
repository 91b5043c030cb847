import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { addMemberRole, listMembers, removeMemberRole } from '~/models/members.server.ts';
import { formError } from '~/lib/errors.server.ts';
import { ROLES } from '~/forms/members.ts';
import { addMemberSchema, removeRoleSchema } from '~/forms/members.server.ts';
import { parseForm, useClientValidation } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { Field, FormErrors } from '~/components/field.tsx';

export const meta: MetaFunction = () => [{ title: 'Members — Truthline' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  return json({ project: { slug: project.slug, name: project.name }, roles, members: await listMembers({ projectId: project.id }) });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const fd = await request.formData();
  const back = `/projects/${project.slug}/members`;
  try {
    if (fd.get('intent') === 'remove') {
      const p = parseForm(removeRoleSchema, fd);
      if (!p.ok) return validationFailed(p.errors);
      await removeMemberRole({ projectId: project.id, userId: p.data.userId, role: p.data.role, actorId: user.id });
      return redirectWithFlash(back, { kind: 'success', message: `Role ${p.data.role} removed.` });
    }
    const p = parseForm(addMemberSchema, fd);
    if (!p.ok) return validationFailed(p.errors);
    const u = await addMemberRole({ projectId: project.id, email: p.data.email, role: p.data.role, actorId: user.id });
    return redirectWithFlash(back, { kind: 'success', message: `${u.email} is now a ${p.data.role}.` });
  } catch (e) {
    return formError(e);
  }
}

export default function Members() {
  const { project, roles, members } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const { clientErrors, onSubmit } = useClientValidation(addMemberSchema);
  const errors = clientErrors ?? (data && !data.ok ? data.errors : null);
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <h2>Members</h2>
      <p className="muted">A person may hold several roles, but never adjudicates a case they read.</p>
      <FormErrors errors={errors} />
      <section className="panel">
        <Form method="post" className="row" onSubmit={onSubmit} noValidate style={{ alignItems: 'flex-end' }}>
          <input type="hidden" name="intent" value="add" />
          <div style={{ minWidth: '18rem' }}>
            <Field name="email" label="Email" errors={errors}>
              {(a) => <input {...a} name="email" type="email" />}
            </Field>
          </div>
          <div>
            <Field name="role" label="Role" errors={errors}>
              {(a) => (
                <select {...a} name="role" defaultValue="reader">
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          <button type="submit">Add role</button>
        </Form>
      </section>
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Roles</th>
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.userId}>
              <td>
                {m.name} {m.active ? null : <span className="badge badge-bad">deactivated</span>}
              </td>
              <td>{m.email}</td>
              <td>
                <div className="row">
                  {m.roles.map((r) => (
                    <Form method="post" key={r}>
                      <input type="hidden" name="intent" value="remove" />
                      <input type="hidden" name="userId" value={m.userId} />
                      <input type="hidden" name="role" value={r} />
                      <span className="badge badge-info">{r}</span>{' '}
                      <button type="submit" className="link-button" aria-label={`Remove role ${r} from ${m.email}`}>
                        remove
                      </button>
                    </Form>
                  ))}
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
