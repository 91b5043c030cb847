/** Jobs as pages and the API see them: a project's jobs, one job, cancelling one. */
import { getJob, listJobs, requestCancel, type JobRow } from '../../jobs/runner.ts';
import { JOB_LABEL } from '../jobs.server.ts';

export type JobView = {
  id: string;
  kind: string;
  label: string;
  status: JobRow['status'];
  done: number;
  total: number | null;
  /** 0–100, or null while the size is unknown. */
  percent: number | null;
  phase: string;
  error: string | null;
  result: unknown;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  cancelRequested: boolean;
  finished: boolean;
};

export function jobView(j: JobRow, { withResult = true }: { withResult?: boolean } = {}): JobView {
  const finished = j.status === 'succeeded' || j.status === 'failed' || j.status === 'cancelled';
  return {
    id: j.id,
    kind: j.kind,
    label: JOB_LABEL[j.kind] ?? j.kind,
    status: j.status,
    done: j.done,
    total: j.total,
    percent: j.status === 'succeeded' ? 100 : j.total ? Math.min(100, Math.floor((100 * j.done) / j.total)) : null,
    phase: j.phase,
    error: j.error,
    result: withResult ? j.result : null,
    createdAt: j.createdAt.toISOString(),
    startedAt: j.startedAt?.toISOString() ?? null,
    finishedAt: j.finishedAt?.toISOString() ?? null,
    cancelRequested: j.cancelRequested,
    finished,
  };
}

export async function projectJobs({ projectId, limit = 50 }: { projectId: string; limit?: number }): Promise<JobView[]> {
  return (await listJobs({ projectId, limit })).map((j) => jobView(j, { withResult: false }));
}

/** One job of the project, or null (a job of another project is not found). */
export async function projectJob({ projectId, jobId }: { projectId: string; jobId: string }): Promise<JobView | null> {
  if (!/^[0-9a-f-]{36}$/i.test(jobId)) return null;
  const j = await getJob({ jobId, projectId });
  return j ? jobView(j) : null;
}

export async function cancelProjectJob({ projectId, jobId }: { projectId: string; jobId: string }): Promise<JobView | null> {
  const j = await projectJob({ projectId, jobId });
  if (!j) return null;
  const r = await requestCancel({ jobId });
  return r ? jobView(r) : null;
}

/** Seconds left, estimated from the rate so far; null when unknown. */
export function eta(j: Pick<JobView, 'done' | 'total' | 'startedAt' | 'finished'>, now = Date.now()): number | null {
  if (j.finished || !j.total || !j.startedAt || j.done <= 0) return null;
  const spent = (now - Date.parse(j.startedAt)) / 1000;
  return Math.max(0, Math.round((spent * (j.total - j.done)) / j.done));
}
