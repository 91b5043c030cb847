import { Link } from '@remix-run/react';

type Pk = { n: number; kappa: number | null; agreement: number | null } | null;
export type StudySummaryData = {
  version: number;
  item: string;
  itemLabel: string;
  lines: string[];
  units: { study: number; cases: number; reread: number; calibration: number; pending: number };
  readersPerCase: number;
  design: { design: string; arms: { key: string; label: string; aided: boolean }[]; washoutDays: number; groups: number };
  readerRows: {
    userId: string;
    name: string;
    group: number;
    arms: string[];
    progress: { total: number; done: number; session: { index: number; count: number; kind: string; arm: string | null } | null; opensAt: string | null } | null;
    qualification: (NonNullable<Pk> & { qualified: boolean; minKappa: number | null; minCases: number | null }) | null;
    intra: Pk;
    intraByArm?: { arm: string; label: string; k: NonNullable<Pk> }[];
  }[];
  arms: { arm: string; label: string; aided: boolean; units: number; read: number; inAdjudication: number; meanPairKappa: number | null; pairs: number }[];
  skips: { reason: string; outcome: string; n: number; label: string }[];
};

const k = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(2));
const when = (iso: string) => new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';

/** The lead's study page: the design in plain language, readers' progress, qualification and intra-reader κ, agreement per arm. */
export function StudySummary({ summary, slug }: { summary: StudySummaryData; slug: string }) {
  const armLabel = (key: string) => summary.design.arms.find((a) => a.key === key)?.label ?? key;
  const readersPerUnit = summary.design.design === 'split_plot' ? Math.ceil(summary.readerRows.length / summary.design.groups) : summary.readerRows.length;
  return (
    <>
      <section className="panel" aria-labelledby="study-design-h">
        <h3 id="study-design-h">The design (version {summary.version})</h3>
        <ul>
          {summary.lines.map((l) => (
            <li key={l}>{l}</li>
          ))}
        </ul>
        <p className="muted">
          {summary.units.cases} case{summary.units.cases === 1 ? '' : 's'} · {summary.units.study} study reading units · {summary.units.reread} blind re-reads ·{' '}
          {summary.units.calibration} calibration cases. Each reading unit has its own workflow, so agreement and adjudication stay per arm; calibration cases and re-reads never
          count in any statistic. <Link to={`/projects/${slug}/ai-results`}>AI results</Link>
        </p>
        {readersPerUnit !== summary.readersPerCase && summary.readerRows.length > 0 ? (
          <p role="note" className="field-error">
            The truth policy asks {summary.readersPerCase} reads per case, but this design gives each reading unit {readersPerUnit} reader
            {readersPerUnit === 1 ? '' : 's'}: set readers per case to {readersPerUnit} in a new version.
          </p>
        ) : null}
      </section>
      <section className="panel" aria-labelledby="study-readers-h">
        <h3 id="study-readers-h">Readers</h3>
        <table>
          <thead>
            <tr>
              <th>Reader</th>
              {summary.design.design === 'split_plot' ? <th>Group</th> : null}
              <th>Arm order</th>
              <th>Progress</th>
              <th>Session</th>
              <th>Qualification</th>
              <th>
                Intra-reader κ <span className="muted">({summary.itemLabel})</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {summary.readerRows.map((r) => (
              <tr key={r.userId}>
                <td>{r.name}</td>
                {summary.design.design === 'split_plot' ? <td>{r.group + 1}</td> : null}
                <td>{r.arms.map(armLabel).join(' → ')}</td>
                <td>{r.progress ? `${r.progress.done} of ${r.progress.total}` : 'not started'}</td>
                <td>
                  {r.progress?.session ? `${r.progress.session.index + 1} of ${r.progress.session.count}` : r.progress ? 'finished' : '—'}
                  {r.progress?.opensAt ? <div className="muted">opens {when(r.progress.opensAt)}</div> : null}
                </td>
                <td>
                  {r.qualification
                    ? `${r.qualification.qualified ? 'qualified' : 'not yet'} · κ ${k(r.qualification.kappa)} on ${r.qualification.n} (needs ${r.qualification.minKappa} on ${r.qualification.minCases})`
                    : '—'}
                </td>
                <td>
                  {r.intra ? `κ ${k(r.intra.kappa)} · ${Math.round((r.intra.agreement ?? 0) * 100)}% same · ${r.intra.n} pairs` : '—'}
                  {(r.intraByArm?.length ?? 0) > 1
                    ? r.intraByArm!.map((a) => (
                        <div key={a.arm} className="muted">
                          {a.label}: κ {k(a.k.kappa)} · {a.k.n} pairs
                        </div>
                      ))
                    : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="panel" aria-labelledby="study-arms-h">
        <h3 id="study-arms-h">Per arm</h3>
        <table>
          <thead>
            <tr>
              <th>Arm</th>
              <th>Reading units</th>
              <th>Read at least once</th>
              <th>In adjudication</th>
              <th>
                Mean pairwise κ between readers <span className="muted">({summary.itemLabel})</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {summary.arms.map((a) => (
              <tr key={a.arm}>
                <td>
                  {a.label}
                  {a.aided ? <span className="badge">AI shown</span> : null}
                </td>
                <td>{a.units}</td>
                <td>{a.read}</td>
                <td>{a.inAdjudication}</td>
                <td>{a.pairs ? `${k(a.meanPairKappa)} (${a.pairs} pair${a.pairs === 1 ? '' : 's'})` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {summary.skips.length ? <p className="muted">Skips: {summary.skips.map((s) => `${s.n} × ${s.label} (${s.outcome})`).join('; ')}</p> : null}
      </section>
    </>
  );
}
