import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json, redirect } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { CSV_COLUMNS } from '~/models/export.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';

export const meta: MetaFunction = () => [{ title: 'Export — Truthline' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  // Older links asked this page for the file; downloads live in their own resource route.
  const format = new URL(request.url).searchParams.get('format');
  if (format !== null) throw redirect(`/projects/${project.slug}/export/${encodeURIComponent(format)}`);
  return json({ project: { slug: project.slug, name: project.name }, roles, columns: CSV_COLUMNS });
}

export default function Export() {
  const { project, roles, columns } = useLoaderData<typeof loader>();
  const base = `/projects/${project.slug}/export`;
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <h2>Export truth with provenance</h2>
      <p>
        One record per case — or per finding in finding-level projects — with its current truth: state, value, method, version, the policy and rule versions, the reads and evidence
        it derives from, who decided and why, and the case's hash-chain head. Cases without truth yet are listed as <code>pending</code>. Withdrawn cases are never included.
      </p>
      <div className="grid">
        <section className="card">
          <h3>CSV</h3>
          <p className="muted">One row per record; values as JSON text, lists separated by “;”.</p>
          <a className="button" href={`${base}/csv`} download>
            Download CSV
          </a>
        </section>
        <section className="card">
          <h3>JSON Lines</h3>
          <p className="muted">One object per line with the derived reads and evidence inlined.</p>
          <a className="button" href={`${base}/jsonl`} download>
            Download JSONL
          </a>
        </section>
        <section className="card">
          <h3>W3C PROV-JSON</h3>
          <p className="muted">Truth labels, reads and evidence as entities, workflow events as activities, people as agents.</p>
          <a className="button" href={`${base}/prov`} download>
            Download PROV-JSON
          </a>
        </section>
      </div>
      <h3>CSV columns</h3>
      <p className="hint">
        <code>{columns.join(', ')}</code>
      </p>
      <p className="muted">
        Also from the command line: <code>npx truthline export --project {project.slug} --format csv|jsonl|prov</code>.
      </p>
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
