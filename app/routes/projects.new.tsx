import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, useActionData } from '@remix-run/react';
import { requireProjectCreator } from '~/auth.server.ts';
import { clientIp } from '~/request.server.ts';
import { createProject, TEMPLATE_DEFINITIONS } from '~/models/project-setup.server.ts';
import { formError } from '~/lib/errors.server.ts';
import { TEMPLATES } from '~/forms/lead.ts';
import { newProjectSchema } from '~/forms/lead.server.ts';
import { parseForm, useClientValidation } from '~/lib/forms.ts';
import { validationFailed } from '~/lib/http.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { Field, FormErrors } from '~/components/field.tsx';

export const meta: MetaFunction = () => [{ title: 'New project — Truthline' }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireProjectCreator(request);
  return json({ templates: TEMPLATES.map((t) => ({ id: t, label: TEMPLATE_DEFINITIONS[t].label })) });
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireProjectCreator(request);
  const p = parseForm(newProjectSchema, await request.formData());
  if (!p.ok) return validationFailed(p.errors);
  try {
    const project = await createProject({ ...p.data, actorId: user.id, ip: clientIp(request) });
    return redirectWithFlash(`/projects/${project.slug}/settings`, {
      kind: 'success',
      message: `Project “${project.name}” created; you are its lead. Review the reader form and truth policy, then import cases.`,
    });
  } catch (e) {
    return formError(e);
  }
}

export default function NewProject() {
  const data = useActionData<typeof action>();
  const { clientErrors, onSubmit } = useClientValidation(newProjectSchema);
  const errors = clientErrors ?? (data && !data.ok ? data.errors : null);
  return (
    <>
      <h1>New project</h1>
      <p className="muted">You become the project's lead. Start from a template; you can change the reader form and truth policy under Setup before importing cases.</p>
      <FormErrors errors={errors} />
      <Form method="post" className="stack" onSubmit={onSubmit} noValidate>
        <Field name="name" label="Name" errors={errors}>
          {(a) => <input {...a} name="name" type="text" required />}
        </Field>
        <Field name="slug" label="Address" errors={errors} hint="Used in links: lowercase letters, digits and hyphens, e.g. chest-ptx-2025">
          {(a) => <input {...a} name="slug" type="text" required pattern="[a-z0-9][a-z0-9-]{1,62}" />}
        </Field>
        <Field name="description" label="Description" errors={errors}>
          {(a) => <textarea {...a} name="description" />}
        </Field>
        <Field name="licence" label="Licence of the data" errors={errors}>
          {(a) => <input {...a} name="licence" type="text" />}
        </Field>
        <fieldset>
          <legend>Start from</legend>
          {TEMPLATES.map((t, i) => (
            <label key={t} style={{ fontWeight: 400 }}>
              <input type="radio" name="template" value={t} defaultChecked={i === 0} /> {TEMPLATE_DEFINITIONS_LABELS[t]}
            </label>
          ))}
          {errors?.template ? <div className="field-error">{errors.template[0]}</div> : null}
        </fieldset>
        <div>
          <button type="submit">Create project</button>
        </div>
      </Form>
    </>
  );
}

const TEMPLATE_DEFINITIONS_LABELS: Record<(typeof TEMPLATES)[number], string> = {
  binary_panel: 'Yes/no finding; the reader panel is the truth (e.g. pneumothorax)',
  birads_evidence: 'BI-RADS per breast; truth from pathology and follow-up',
  blank: 'Blank: one yes/no question, to build your own form in the definition editor',
};

export { ErrorBoundary } from '~/components/error-page.tsx';
