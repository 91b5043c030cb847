import { isWorkflowState, STATE_LABEL, STATE_TONE } from '../../domain/workflow-states.ts';
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Form, useLoaderData } from '@remix-run/react';
import { requireProjectRole } from '~/permissions.server.ts';
import { dashboardForPage, getAgreementDashboard, versionsWithCases, type Estimate } from '~/models/agreement.server.ts';
import { redirectWithFlash } from '~/flash.server.ts';
import { ProjectNav } from '~/components/project-nav.tsx';
import { ForestChart, StackedBar } from '~/components/forest-chart.tsx';
import { leadLinks } from '~/components/lead-links.ts';
import { cachedAccuracy, type DiagnosticAccuracy } from '~/models/accuracy.server.ts';
import { DiagnosticAccuracySection } from '~/components/diagnostic-accuracy.tsx';

export const links = leadLinks;
export const meta: MetaFunction = () => [{ title: 'Agreement — Truthline' }];

function versionParam(url: URL): number | undefined {
  const v = Number(url.searchParams.get('version'));
  return Number.isInteger(v) && v >= 1 ? v : undefined;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, roles } = await requireProjectRole(request, params.slug, 'lead');
  const url = new URL(request.url);
  const versions = await versionsWithCases({ projectId: project.id });
  const version = versionParam(url) ?? versions[0]?.version;
  // Never computed here: the cached figures (one row), and a background refresh when stale.
  const page = await dashboardForPage({ projectId: project.id, version, arm: url.searchParams.get('arm') });
  const dash = page.dash;
  // The full stats/ entry lists stay in the cache (and the API); the page shows the headline.
  const slim = dash ? { ...dash, fields: dash.fields.map(({ statistics, ...f }) => ({ ...f, entries: statistics.length })) } : null;
  const accuracy = dash ? await cachedAccuracy({ projectId: project.id, version: dash.version }) : null;
  return json({
    project: { slug: project.slug, name: project.name },
    roles,
    versions,
    dash: slim,
    accuracy,
    stale: page.stale,
    computing: page.computing,
    version: page.version,
    arm: page.arm,
    arms: page.arms,
  });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { project } = await requireProjectRole(request, params.slug, 'lead');
  const fd = await request.formData();
  const v = Number(fd.get('version'));
  const arm = String(fd.get('arm') ?? '') || null;
  const dash = await getAgreementDashboard({ projectId: project.id, version: Number.isInteger(v) && v >= 1 ? v : undefined, arm, refresh: true });
  const query = dash ? `?version=${dash.version}${dash.arm ? `&arm=${encodeURIComponent(dash.arm.key)}` : ''}` : '';
  return redirectWithFlash(`/projects/${project.slug}/agreement${query}`, {
    kind: 'success',
    message: dash ? `Statistics recomputed for version ${dash.version}${dash.arm ? `, arm ${dash.arm.label}` : ''}.` : 'Nothing to compute: the project has no version yet.',
  });
}

const TRUTH_COLORS: Record<string, string> = {
  pending: '#aab3bf',
  verified: '#1d7a46',
  unverified: '#e0a030',
  lost_to_follow_up: '#c77c00',
  discordant: '#b3261e',
  excluded: '#6d2a25',
};

function f3(v: number | null) {
  return v === null ? '—' : v.toFixed(3);
}
function ci(e: Estimate | null) {
  if (!e || e.value === null) return '—';
  return `${f3(e.value)} (${f3(e.lower)}–${f3(e.upper)})`;
}

export default function Agreement() {
  const { project, roles, versions, dash, accuracy, stale, computing, version, arm, arms } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>{project.name}</h1>
      <ProjectNav slug={project.slug} roles={roles} />
      <div className="row">
        <h2 style={{ margin: 0 }}>Agreement</h2>
        <span className="spacer" />
        {versions.length > 1 || arms.length > 0 ? (
          <Form method="get" className="row">
            {versions.length > 1 ? (
              <>
                <label htmlFor="f-version" style={{ margin: 0 }}>
                  Definition version
                </label>
                <select id="f-version" name="version" defaultValue={version ?? undefined} style={{ width: 'auto' }}>
                  {versions.map((v) => (
                    <option key={v.version} value={v.version}>
                      v{v.version}
                      {v.cases === null ? '' : ` (${v.cases} cases)`}
                    </option>
                  ))}
                </select>
              </>
            ) : null}
            {arms.length > 0 ? (
              <>
                <label htmlFor="f-arm" style={{ margin: 0 }}>
                  Arm
                </label>
                <select id="f-arm" name="arm" defaultValue={arm?.key ?? ''} style={{ width: 'auto' }}>
                  <option value="">All arms</option>
                  {arms.map((a) => (
                    <option key={a.key} value={a.key}>
                      {a.label}
                    </option>
                  ))}
                </select>
              </>
            ) : null}
            <button type="submit" className="secondary">
              Show
            </button>
          </Form>
        ) : null}
        {dash ? (
          <Form method="post">
            <input type="hidden" name="version" value={dash.version} />
            {arm ? <input type="hidden" name="arm" value={arm.key} /> : null}
            <button type="submit" className="secondary">
              Recompute now
            </button>
          </Form>
        ) : null}
      </div>
      {!dash ? (
        <div className="empty" style={{ marginTop: '1rem' }}>
          {version === null ? 'The project has no definition yet.' : 'The figures are being computed in the background (a job); reload this page in a moment.'}
        </div>
      ) : (
        <>
          <p className="muted">
            Version {dash.version}
            {dash.arm ? `, arm ${dash.arm.label}` : dash.arms.length ? ', all arms (each arm’s units counted as their own cases)' : ''}: {dash.cases} case
            {dash.cases === 1 ? '' : 's'}. Figures {dash.cached ? 'from the cache' : 'just computed'} at {dash.computedAt.replace('T', ' ').slice(0, 19)} UTC; they are recomputed
            in the background when reads or decisions arrive
            {stale ? (computing ? ' — newer events have arrived and a refresh is running' : ' — newer events have arrived') : ''}. 95% confidence intervals.
          </p>
          <section aria-labelledby="progress-h">
            <h3 id="progress-h">Progress</h3>
            {dash.cases === 0 ? (
              <div className="empty">No case on this version yet: import cases to start.</div>
            ) : (
              <div className="grid">
                <div>
                  <StackedBar
                    title="Cases by workflow state"
                    parts={dash.byState.map((s) => ({
                      label: isWorkflowState(s.state) ? STATE_LABEL[s.state] : s.state,
                      n: s.n,
                      color: isWorkflowState(s.state) ? STATE_TONE[s.state].colour : '#999',
                    }))}
                    width={520}
                  />
                </div>
                <div>
                  <StackedBar
                    title="Truth labels by state"
                    parts={dash.byTruth.map((s) => ({ label: s.state.replace(/_/g, ' '), n: s.n, color: TRUTH_COLORS[s.state] ?? '#999' }))}
                    width={520}
                  />
                </div>
              </div>
            )}
          </section>
          <section aria-labelledby="readers-h">
            <h3 id="readers-h">Readers</h3>
            {dash.readers.length === 0 ? (
              <div className="empty">No reads yet.</div>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>Reader</th>
                    <th className="num">Reads</th>
                    <th className="num">Cannot assess</th>
                    <th className="num">Median time (s)</th>
                  </tr>
                </thead>
                <tbody>
                  {dash.readers.map((r) => (
                    <tr key={r.id}>
                      <td>{r.name}</td>
                      <td className="num">{r.reads}</td>
                      <td className="num">{r.cannotAssess}</td>
                      <td className="num">{r.medianSeconds ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          {dash.intra.length ? <IntraReaderSection intra={dash.intra} arm={dash.arm?.label ?? null} /> : null}
          {accuracy && dash.arm ? <p className="hint">Diagnostic accuracy below is the whole study&apos;s, with a table per arm where the reference allows it.</p> : null}
          {accuracy ? <DiagnosticAccuracySection a={accuracy as unknown as DiagnosticAccuracy} /> : null}
          {dash.fields.map((f) => (
            <section key={f.key} aria-labelledby={`field-${f.key}`} className="panel" style={{ marginTop: '1rem' }}>
              <h3 id={`field-${f.key}`} style={{ marginTop: 0 }}>
                {f.label} <span className="badge">{f.kind}</span> {f.scope === 'finding' ? <span className="badge">per finding</span> : null}
              </h3>
              <p className="muted">
                {f.units} unit{f.units === 1 ? '' : 's'}, {f.readers} reader{f.readers === 1 ? '' : 's'}, {f.ratings} rating{f.ratings === 1 ? '' : 's'}
                {f.missing ? `, ${f.missing} missing (cannot assess / outside the scale)` : ''}.
              </p>
              {f.skipped ? (
                <div className="empty">{f.skipped}</div>
              ) : (
                <>
                  <ForestChart title={`Agreement on ${f.label}`} rows={f.headline.map((h) => ({ label: h.label, value: h.value, lower: h.lower, upper: h.upper }))} />
                  <table style={{ marginTop: '0.6rem' }}>
                    <caption className="sr-only">Agreement statistics for {f.label}</caption>
                    <thead>
                      <tr>
                        <th>Statistic</th>
                        <th className="num">Estimate</th>
                        <th className="num">95% CI</th>
                        <th className="num">Cases</th>
                        <th>CI method</th>
                        <th>
                          <abbr title="Landis & Koch (1977) benchmark bands for κ-type coefficients: a convention, not a finding">Landis–Koch band</abbr>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {f.headline.map((h) => (
                        <tr key={h.label}>
                          <td title={h.method}>{h.label}</td>
                          <td className="num">{f3(h.value)}</td>
                          <td className="num">
                            {f3(h.lower)} – {f3(h.upper)}
                          </td>
                          <td className="num">{h.n ?? '—'}</td>
                          <td className="hint">{h.ciMethod ?? '—'}</td>
                          <td>{h.band ?? '—'}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                  {f.pairs?.length ? (
                    <>
                      <h4>Pairwise Cohen&apos;s κ</h4>
                      <table>
                        <caption className="sr-only">Cohen&apos;s κ for each pair of readers on {f.label}</caption>
                        <thead>
                          <tr>
                            <th>Readers</th>
                            <th className="num">κ</th>
                            <th className="num">95% CI</th>
                            <th className="num">Cases</th>
                            <th>Landis–Koch band</th>
                          </tr>
                        </thead>
                        <tbody>
                          {f.pairs.map((p) => (
                            <tr key={p.readers.join('|')}>
                              <td>
                                {p.names[0]} · {p.names[1]}
                              </td>
                              <td className="num">{f3(p.kappa.value)}</td>
                              <td className="num">
                                {f3(p.kappa.lower)} – {f3(p.kappa.upper)}
                              </td>
                              <td className="num">{p.kappa.n ?? '—'}</td>
                              <td>{p.band ?? '—'}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </>
                  ) : null}
                  {f.accuracy.length ? (
                    <>
                      <h4>Each reader against the reference</h4>
                      <p className="hint">
                        Reference: {f.reference}
                        {f.positive ? `; positive class “${f.positive}”` : ''}.
                      </p>
                      <ForestChart title={`Reader κ against the reference, ${f.label}`} rows={f.accuracy.map((a) => ({ label: a.name, ...a.kappa }))} />
                      <table style={{ marginTop: '0.6rem' }}>
                        <thead>
                          <tr>
                            <th>Reader</th>
                            <th className="num">Ratings</th>
                            <th className="num">Accuracy</th>
                            {f.kind === 'binary' ? (
                              <>
                                <th className="num">Sensitivity</th>
                                <th className="num">Specificity</th>
                              </>
                            ) : null}
                            <th className="num">κ vs reference</th>
                            {f.kind === 'ordinal' ? <th className="num">Weighted κ (quadratic)</th> : null}
                          </tr>
                        </thead>
                        <tbody>
                          {f.accuracy.map((a) => (
                            <tr key={a.readerId}>
                              <td>{a.name}</td>
                              <td className="num">{a.ratings}</td>
                              <td className="num">{ci(a.accuracy)}</td>
                              {f.kind === 'binary' ? (
                                <>
                                  <td className="num">{ci(a.sensitivity)}</td>
                                  <td className="num">{ci(a.specificity)}</td>
                                </>
                              ) : null}
                              <td className="num">{ci(a.kappa)}</td>
                              {f.kind === 'ordinal' ? <td className="num">{a.weightedKappa ? ci(a.weightedKappa) : '—'}</td> : null}
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </>
                  ) : null}
                  <p className="hint">
                    {f.entries} statistics computed in all (per reader pair, per category…): the full stats/ document is at{' '}
                    <code>GET /api/v1/projects/{project.slug}/agreement?item=…</code>.
                  </p>
                </>
              )}
              {f.warnings.length ? (
                <ul className="hint">
                  {f.warnings.map((w, i) => (
                    <li key={i}>{w}</li>
                  ))}
                </ul>
              ) : null}
            </section>
          ))}
        </>
      )}
    </>
  );
}

type Intra = { item: string; label: string; readers: { readerId: string; name: string; n: number; kappa: number | null; agreement: number | null }[] }[];

/** Each reader's blind re-reads against their own first reads, per form item (reader studies). */
function IntraReaderSection({ intra, arm }: { intra: Intra; arm: string | null }) {
  const readers = [...new Map(intra.flatMap((i) => i.readers.map((r) => [r.readerId, r.name] as const))).entries()];
  return (
    <section aria-labelledby="intra-h">
      <h3 id="intra-h">Intra-reader agreement (blind re-reads){arm ? `, ${arm}` : ''}</h3>
      {readers.length === 0 ? (
        <div className="empty">{arm ? `No re-read pairs in the ${arm} arm yet.` : 'No re-read pairs yet: re-reads come in the last session, after the washout.'}</div>
      ) : (
        <table>
          <caption className="sr-only">Cohen&apos;s κ of each reader&apos;s re-reads against their first reads</caption>
          <thead>
            <tr>
              <th>Reader</th>
              {intra.map((i) => (
                <th key={i.item} className="num">
                  {i.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {readers.map(([id, name]) => (
              <tr key={id}>
                <td>{name}</td>
                {intra.map((i) => {
                  const r = i.readers.find((x) => x.readerId === id);
                  return (
                    <td key={i.item} className="num" data-item={i.item}>
                      {r ? `κ ${f3(r.kappa)} · ${Math.round((r.agreement ?? 0) * 100)}% same · ${r.n} pair${r.n === 1 ? '' : 's'}` : '—'}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="hint">
        Cohen&apos;s κ (unweighted) of each reader&apos;s newest re-read of a case against their newest first read of it in the same arm; re-reads never count in the figures above.
      </p>
    </section>
  );
}

export { ErrorBoundary } from '~/components/error-page.tsx';
