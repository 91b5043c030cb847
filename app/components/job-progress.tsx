import { useEffect, useRef } from 'react';
import { useFetcher, useRevalidator } from '@remix-run/react';
import type { JobView as FullJobView } from '~/models/jobs.server.ts';

type JobView = Omit<FullJobView, 'result'> & { result?: unknown };

export const STATUS_TEXT: Record<JobView['status'], string> = {
  queued: 'Waiting to start',
  running: 'Running',
  succeeded: 'Finished',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/**
 * A job's progress bar, polled once a second until the job ends; then the page's loader runs
 * again so the page shows the result. Cancel asks the job to stop at its next chunk.
 */
export function JobProgress({ slug, job: initial }: { slug: string; job: JobView }) {
  const poll = useFetcher<{ job: JobView }>();
  const cancel = useFetcher<{ job: JobView }>();
  const revalidator = useRevalidator();
  const job = cancel.data?.job && !poll.data ? cancel.data.job : (poll.data?.job ?? initial);
  const url = `/projects/${slug}/jobs/${initial.id}`;
  const ended = useRef(initial.finished);
  useEffect(() => {
    if (job.finished) {
      if (!ended.current) {
        ended.current = true;
        revalidator.revalidate();
      }
      return;
    }
    const t = setTimeout(() => poll.load(url), 1000);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [job.finished, job.done, job.phase, job.status, poll.state]);
  const pct = job.percent;
  return (
    <div className="job-progress panel" aria-labelledby={`job-${job.id}-h`}>
      <div className="row" style={{ justifyContent: 'space-between', alignItems: 'baseline' }}>
        <strong id={`job-${job.id}-h`}>
          {job.label}: {STATUS_TEXT[job.status]}
        </strong>
        <span className="hint">{pct !== null ? `${pct}%` : ''}</span>
      </div>
      <progress
        max={100}
        value={pct ?? undefined}
        aria-labelledby={`job-${job.id}-h`}
        aria-describedby={`job-${job.id}-phase`}
        title={`${job.label}: ${pct !== null ? `${pct}%` : STATUS_TEXT[job.status]}`}
        style={{ width: '100%' }}
      />
      <div id={`job-${job.id}-phase`} className="hint" role="status" aria-live="polite">
        {job.phase}
        {job.cancelRequested && !job.finished ? ' — stopping…' : ''}
      </div>
      {job.status === 'failed' && job.error ? <div className="field-error">{job.error}</div> : null}
      {!job.finished ? (
        <cancel.Form method="post" action={url}>
          <button type="submit" name="intent" value="cancel" className="secondary" disabled={job.cancelRequested || cancel.state !== 'idle'}>
            Cancel
          </button>
        </cancel.Form>
      ) : null}
    </div>
  );
}
