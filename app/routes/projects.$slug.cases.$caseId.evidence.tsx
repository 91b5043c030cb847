/**
 * The lead enters one result by hand (e.g. a pathology result for the left breast). It becomes an
 * `evidence.record` workflow event: the evidence row, any truth version and any discordance review
 * are written in that event's transaction. The text stays out of the hash chain (a digest is chained).
 */
import { randomUUID } from 'node:crypto';
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { evidencePageData, recordEvidence } from '~/models/evidence.server.ts';
import { definitionOf, getProjectVersion } from '~/models/projects.server.ts';
import { evidenceFormSchema } from '~/forms/evidence.server.ts';
import { DEFAULT_EVIDENCE_PRECEDENCE, EVIDENCE_KIND_LABELS } from '../../domain/vocabulary.ts';
import { parseForm, useClientValidation } from '~/lib/forms.ts';
import { notFound, validationFailed } from '~/lib/http.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { Field, FormErrors } from '~/components/field.tsx';
import { formError } from '~/lib/errors.server.ts';

export const meta: MetaFunction = () => [{ title: 'Evidence — Truthline' }];

async function load(projectId: string, caseId: string | undefined) {
  const data = caseId ? await evidencePageData({ projectId, caseId }) : null;
  if (!data) notFound('There is no such case in this project.');
  return data;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const data = await load(project.id, params.caseId);
  const c = data.case;
  const pv = await getProjectVersion({ projectId: project.id, version: c.projectVersion });
  let codes: string[] = [];
  let source: string | null = null;
  try {
    if (pv) {
      const def = definitionOf(pv);
      codes = [...new Set(def.mapping.rules.flatMap((r) => r.resultCodes))];
      source = def.referenceStandard.source;
    }
  } catch {
    /* an unparsable definition only loses the suggestions */
  }
  return json({ project: { slug: project.slug, name: project.name }, roles, ...data, case: c, codes, source, clientRequestId: randomUUID() });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, project } = await requireProjectRole(request, params.slug, 'lead');
  const data = await load(project.id, params.caseId);
  const p = parseForm(evidenceFormSchema, await request.formData());
  if (!p.ok) return validationFailed(p.errors);
  if (p.data.finding && !data.findings.some((f) => f.key === p.data.finding)) return validationFailed({ finding: ["Choose one of this case's findings"] });
  try {
    const r = await recordEvidence({
      caseId: data.case.id,
      actorId: user.id,
      finding: p.data.finding,
      kind: p.data.kind,
      date: p.data.date,
      resultCode: p.data.resultCode,
      text: p.data.text,
      clientRequestId: p.data.clientRequestId,
      ip: request.headers.get('x-truthline-client-ip'),
    });
    const msg = r.state === 'discordant' ? 'Evidence recorded. It contradicts the current truth: a discordance review is open.' : 'Evidence recorded.';
    return redirectWithFlash(`/projects/${project.slug}/cases/${data.case.id}/evidence`, { kind: r.state === 'discordant' ? 'info' : 'success', message: msg });
  } catch (e) {
    return formError(e);
  }
}

export default function Evidence() {
  const { project, roles, case: c, findings, evidence, codes, source, clientRequestId } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const { clientErrors, onSubmit } = useClientValidation(evidenceFormSchema);
  const errors = clientErrors ?? (data && !data.ok ? data.errors : null);
  const base = `/projects/${project.slug}/cases/${c.id}`;
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <p>
        <Link to={base}>← Case {c.externalId ?? '(withdrawn)'}</Link>
      </p>
      <h2>Evidence</h2>
      {c.withdrawnAt ? <p className="flash flash-info">This case was withdrawn on {c.withdrawnAt.slice(0, 10)}; it accepts no more evidence.</p> : null}
      {source === 'panel' ? <p className="muted">In this project the reader panel is the truth: evidence is recorded but does not change it.</p> : null}
      <table>
        <thead>
          <tr>
            <th>Date</th>
            <th>Kind</th>
            <th>Finding</th>
            <th>Result</th>
            <th>Text</th>
          </tr>
        </thead>
        <tbody>
          {evidence.length === 0 ? (
            <tr>
              <td colSpan={5} className="muted">
                No evidence yet.
              </td>
            </tr>
          ) : (
            evidence.map((e) => (
              <tr key={e.id}>
                <td>{e.date}</td>
                <td>{EVIDENCE_KIND_LABELS[e.kind as keyof typeof EVIDENCE_KIND_LABELS] ?? e.kind}</td>
                <td>{e.finding ?? 'whole case'}</td>
                <td>{e.resultCode ?? '—'}</td>
                <td style={{ whiteSpace: 'pre-wrap' }}>{e.text ?? ''}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
      {c.withdrawnAt ? null : (
        <section className="panel">
          <h3>Enter a result</h3>
          <FormErrors errors={errors} />
          <Form method="post" onSubmit={onSubmit} noValidate>
            <input type="hidden" name="intent" value="record" />
            <input type="hidden" name="clientRequestId" value={clientRequestId} />
            <Field name="finding" label="Finding" errors={errors}>
              {(a) => (
                <select {...a} name="finding" defaultValue="">
                  <option value="">Whole case</option>
                  {findings.map((f) => (
                    <option key={f.id} value={f.key}>
                      {f.label || f.key}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field name="kind" label="Kind" errors={errors}>
              {(a) => (
                <select {...a} name="kind" defaultValue="pathology">
                  {DEFAULT_EVIDENCE_PRECEDENCE.map((k) => (
                    <option key={k} value={k}>
                      {EVIDENCE_KIND_LABELS[k]}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field name="date" label="Date of the result" errors={errors} hint={`Study date ${c.studyDate}. Follow-up windows count from it.`}>
              {(a) => <input {...a} name="date" type="date" />}
            </Field>
            <Field name="resultCode" label="Result code" errors={errors} hint={codes.length ? `Codes the mapping knows: ${codes.join(', ')}` : undefined}>
              {(a) => <input {...a} name="resultCode" list="result-codes" autoComplete="off" />}
            </Field>
            <datalist id="result-codes">
              {codes.map((x) => (
                <option key={x} value={x} />
              ))}
            </datalist>
            <Field name="text" label="Text (optional)" errors={errors} hint="Kept in the evidence row only, and purged if the case is withdrawn.">
              {(a) => <textarea {...a} name="text" rows={4} />}
            </Field>
            <button type="submit">Record evidence</button>
          </Form>
        </section>
      )}
      {c.withdrawnAt ? null : (
        <p>
          <Link to={`${base}/withdraw`}>Withdraw this case (consent withdrawn)…</Link>
        </p>
      )}
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
