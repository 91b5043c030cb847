import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { formatCount } from '~/components/values.ts';
import { Form, Link, useLoaderData } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { filtersFromUrl, listCases, type CaseFilters } from '~/models/cases.server.ts';
import { STATE_LABEL, WORKFLOW_STATES } from '~/forms/lead.ts';
import { TRUTH_STATE_LABELS, TRUTH_STATES } from '../../domain/vocabulary.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { Pagination } from '~/components/pagination.tsx';
import { StateBadge, TruthBadge } from '~/components/case-badges.tsx';

export const meta: MetaFunction = () => [{ title: 'Cases — Truthline' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const filters = filtersFromUrl(new URL(request.url));
  const list = await listCases({ projectId: project.id, filters });
  return json({ project: { slug: project.slug, name: project.name }, roles, filters, list });
}

function YesNo({ name, label, value }: { name: keyof CaseFilters; label: string; value: string }) {
  return (
    <div>
      <label htmlFor={`f-${name}`}>{label}</label>
      <select id={`f-${name}`} name={name} defaultValue={value}>
        <option value="">any</option>
        <option value="yes">yes</option>
        <option value="no">no</option>
      </select>
    </div>
  );
}

export default function Cases() {
  const { project, roles, filters, list } = useLoaderData<typeof loader>();
  const base = `/projects/${project.slug}`;
  const active = Object.entries(filters).some(([k, v]) => k !== 'page' && v !== '');
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <div className="row">
        <h2 style={{ margin: 0 }}>Cases</h2>
        <span className="spacer" />
        <Link className="button secondary" to={`${base}/export`}>
          Export truth
        </Link>
        <Link className="button secondary" to={`${base}/releases`}>
          Releases
        </Link>
        <Link className="button secondary" to={`${base}/evidence`}>
          Import evidence
        </Link>
        <Link className="button secondary" to={`${base}/marks/import`}>
          Import marks
        </Link>
        <Link className="button" to={`${base}/cases/import`}>
          Import cases
        </Link>
        <Link className="button secondary" to={`${base}/pacs`}>
          Import from the PACS
        </Link>
      </div>
      <section className="panel" style={{ marginTop: '1rem' }}>
        <Form method="get" className="row" style={{ alignItems: 'flex-end' }} aria-label="Filter cases">
          <div>
            <label htmlFor="f-q">Case or patient</label>
            <input id="f-q" name="q" type="text" defaultValue={filters.q} style={{ width: '11rem' }} />
          </div>
          <div>
            <label htmlFor="f-state">Workflow state</label>
            <select id="f-state" name="state" defaultValue={filters.state}>
              <option value="">any</option>
              {WORKFLOW_STATES.map((s) => (
                <option key={s} value={s}>
                  {STATE_LABEL[s] ?? s}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="f-truth">Truth state</label>
            <select id="f-truth" name="truth" defaultValue={filters.truth}>
              <option value="">any</option>
              {TRUTH_STATES.map((s) => (
                <option key={s} value={s}>
                  {TRUTH_STATE_LABELS[s]}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="f-split">Split</label>
            <select id="f-split" name="split" defaultValue={filters.split}>
              <option value="">any</option>
              {['train', 'validation', 'test', 'unassigned'].map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <YesNo name="disputed" label="Disputed" value={filters.disputed} />
          <YesNo name="discordant" label="Discordant" value={filters.discordant} />
          <YesNo name="excluded" label="Excluded" value={filters.excluded} />
          <YesNo name="withdrawn" label="Withdrawn" value={filters.withdrawn} />
          <button type="submit">Filter</button>
          {active ? (
            <Link to={`${base}/cases`} className="button secondary">
              Clear
            </Link>
          ) : null}
        </Form>
      </section>
      <p className="muted" role="status">
        {list.totalCapped ? 'More than ' : ''}
        {formatCount(list.total)} case{list.total === 1 ? '' : 's'}
        {active ? ' match these filters' : ''}.
      </p>
      {list.rows.length === 0 ? (
        <div className="empty">
          {active ? (
            <>
              No case matches these filters. <Link to={`${base}/cases`}>Clear the filters</Link>.
            </>
          ) : (
            <>
              This project has no cases yet. <Link to={`${base}/cases/import`}>Import a case manifest</Link> to start.
            </>
          )}
        </div>
      ) : (
        <table>
          <caption className="sr-only">
            Cases, page {list.page} of {list.pages}
          </caption>
          <thead>
            <tr>
              <th>Case</th>
              <th>Patient</th>
              <th>Split</th>
              <th>Study date</th>
              <th>Workflow</th>
              <th>Truth</th>
              <th>Version</th>
            </tr>
          </thead>
          <tbody>
            {list.rows.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link to={`${base}/cases/${c.id}`}>{c.externalId ?? `withdrawn ${c.id.slice(0, 8)}`}</Link>
                </td>
                <td>{c.patient}</td>
                <td>{c.split}</td>
                <td>{c.studyDate}</td>
                <td>
                  <StateBadge state={c.state} /> {c.disputed ? <span className="badge badge-warn">disputed</span> : null}
                  {c.withdrawn ? <span className="badge badge-bad">withdrawn</span> : null}
                </td>
                <td>{c.truthStates.length ? c.truthStates.map((s) => <TruthBadge key={s} state={s} />) : <span className="muted">none yet</span>}</td>
                <td>v{c.projectVersion}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pagination page={list.page} pages={list.pages} />
    </>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
