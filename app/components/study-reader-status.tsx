export type StudyReaderStatusView = {
  progress: { total: number; done: number; session: { index: number; count: number; kind: string; arm: string | null } | null; opensAt: string | null };
  sessionLabel: string | null;
  qualification: { required: boolean; qualified: boolean; n: number; kappa: number | null; minKappa: number | null; minCases: number | null } | null;
};

const when = (iso: string) => new Date(iso).toLocaleString('en-GB', { dateStyle: 'full', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';

/** The reader's own study workload on their queue page: case n of N, the session, and when the next session opens. */
export function StudyReaderStatus({ study }: { study: StudyReaderStatusView }) {
  const { progress: p, qualification: q } = study;
  const pct = p.total ? Math.round((100 * p.done) / p.total) : 0;
  const finished = p.total > 0 && !p.session;
  const calibrationDone = q?.required && !q.qualified && p.session?.kind !== 'calibration' && !finished;
  return (
    <section className="panel" aria-labelledby="study-status-h" data-testid="study-status">
      <h2 id="study-status-h" style={{ marginTop: 0 }}>
        Your study
      </h2>
      <p>
        {p.total === 0 ? (
          'Your reading plan is made when you start your first case.'
        ) : finished ? (
          <strong>You have read all {p.total} cases of your plan. Thank you.</strong>
        ) : (
          <>
            <strong>
              {p.done} of {p.total}
            </strong>{' '}
            cases of your plan read{study.sessionLabel ? ` · ${study.sessionLabel}` : ''}
          </>
        )}
      </p>
      <div className="progress" role="progressbar" aria-label="Your study workload read" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
        <span style={{ width: `${pct}%` }} />
      </div>
      {p.opensAt ? (
        <p role="status" data-testid="washout">
          Your next session opens on{' '}
          <strong>
            <time dateTime={p.opensAt}>{when(p.opensAt)}</time>
          </strong>
          . The pause (washout) keeps your reads of the same case in different arms apart.
        </p>
      ) : null}
      {calibrationDone ? (
        <p role="status">
          Study cases open once your calibration score reaches κ ≥ {q?.minKappa} on {q?.minCases} cases (now κ {q?.kappa === null ? '—' : q?.kappa?.toFixed(2)} on {q?.n}
          ). Your project lead has been told.
        </p>
      ) : null}
    </section>
  );
}
