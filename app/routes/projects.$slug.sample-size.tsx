import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, Link, useLoaderData } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { sampleSizeSchema, type SampleSizeInputs } from '~/forms/sample-size.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { leadLinks } from '~/components/lead-links.ts';
import { budererSensitivity, budererSpecificity, casesForPower, mrmcPower } from '../../stats/sample-size.ts';

export const links = leadLinks;
export const meta: MetaFunction = () => [{ title: 'Sample size — Truthline' }];

type Inputs = SampleSizeInputs;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const url = new URL(request.url);
  const raw = Object.fromEntries([...url.searchParams].filter(([, v]) => v !== ''));
  const parsed = sampleSizeSchema.safeParse(raw);
  const base = { project: { slug: project.slug, name: project.name }, roles };
  if (!parsed.success) {
    const errors = Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message]));
    return json({ ...base, inputs: { ...sampleSizeSchema.parse({}), ...raw } as unknown as Inputs, errors, result: null });
  }
  const x = parsed.data;
  const pilot = { varTR: x.varTR, varError: x.varError, cov1: x.cov1, cov2: x.cov2, cov3: x.cov3, pilotCases: x.pilotCases };
  const needed = casesForPower(pilot, x.readers, x.effect, x.power, x.alpha);
  const table = [50, 100, 200, 400, 800].map((k) => ({ cases: k, power: mrmcPower(pilot, x.readers, k, x.effect, x.alpha).power }));
  let buderer: { sens: ReturnType<typeof budererSensitivity>; spec: ReturnType<typeof budererSpecificity> } | null = null;
  buderer = { sens: budererSensitivity(x.sensitivity, x.prevalence, x.halfWidth), spec: budererSpecificity(x.specificity, x.prevalence, x.halfWidth) };
  return json({ ...base, inputs: x, errors: {} as Record<string, string>, result: { needed, table, buderer } });
}

function NumberField({ name, label, value, error, step = 'any' }: { name: keyof Inputs; label: string; value: unknown; error?: string; step?: string }) {
  return (
    <div className="field">
      <label htmlFor={`f-${name}`}>{label}</label>
      <input
        id={`f-${name}`}
        name={name}
        type="number"
        step={step}
        defaultValue={String(value ?? '')}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `e-${name}` : undefined}
      />
      {error ? (
        <div id={`e-${name}`} className="error">
          {error}
        </div>
      ) : null}
    </div>
  );
}

export default function SampleSize() {
  const { project, roles, inputs, errors, result } = useLoaderData<typeof loader>();
  const e = errors as Record<string, string>;
  const f = (k: keyof Inputs, label: string) => <NumberField name={k} label={label} value={inputs[k]} error={e[k]} />;
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <h2>Sample size</h2>
      <p className="muted">
        Plain numbers in, cases out. MRMC power: Hillis, Obuchowski &amp; Berbaum (2011), two arms, random readers and cases, OR variance components from a pilot (the{' '}
        <Link to={`/projects/${project.slug}/agreement`}>agreement page</Link> or <code>truthline mrmc</code> prints them; defaults are the Van Dyke study).
        Sensitivity/specificity: Buderer (1996).
      </p>
      <Form method="get">
        <div className="grid">
          <fieldset>
            <legend>MRMC study (AUC difference)</legend>
            {f('varTR', 'Var(T×R)')}
            {f('varError', 'Var(error)')}
            {f('cov1', 'Cov1')}
            {f('cov2', 'Cov2')}
            {f('cov3', 'Cov3')}
            {f('pilotCases', 'Cases in the pilot')}
            {f('readers', 'Readers in the new study')}
            {f('effect', 'AUC difference to detect')}
            {f('power', 'Target power')}
            {f('alpha', 'Significance level α')}
          </fieldset>
          <fieldset>
            <legend>Sensitivity / specificity CI width</legend>
            {f('sensitivity', 'Expected sensitivity')}
            {f('specificity', 'Expected specificity')}
            {f('prevalence', 'Expected prevalence')}
            {f('halfWidth', 'CI half-width (±)')}
          </fieldset>
        </div>
        <button type="submit">Calculate</button>
      </Form>
      {result ? (
        <section aria-labelledby="ss-res" style={{ marginTop: '1rem' }}>
          <h3 id="ss-res">Result</h3>
          <p>
            {result.needed
              ? `${result.needed.cases} cases with ${inputs.readers} readers give ${(result.needed.power * 100).toFixed(1)}% power to detect an AUC difference of ${inputs.effect}.`
              : `No number of cases up to 100,000 reaches ${(Number(inputs.power) * 100).toFixed(0)}% power with ${inputs.readers} readers: add readers (reader variability limits the power).`}
          </p>
          <table>
            <thead>
              <tr>
                <th className="num">Cases</th>
                <th className="num">Power</th>
              </tr>
            </thead>
            <tbody>
              {result.table.map((r) => (
                <tr key={r.cases}>
                  <td className="num">{r.cases}</td>
                  <td className="num">{(r.power * 100).toFixed(1)}%</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            Sensitivity {inputs.sensitivity} ± {inputs.halfWidth}: {result.buderer.sens.inClass} diseased cases, {result.buderer.sens.total} in total at prevalence{' '}
            {inputs.prevalence}. Specificity {inputs.specificity} ± {inputs.halfWidth}: {result.buderer.spec.inClass} non-diseased, {result.buderer.spec.total} in total. Both:{' '}
            {Math.max(result.buderer.sens.total, result.buderer.spec.total)} cases.
          </p>
        </section>
      ) : (
        <div className="empty" role="alert">
          Correct the marked inputs.
        </div>
      )}
    </>
  );
}
