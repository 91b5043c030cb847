/**
 * `verify --jobs N` across cores: the case-id space is cut into N ranges (case ids are random
 * UUIDs, so the ranges hold about as many cases each), and each range is verified by its own
 * worker thread with its own database connections — replay and hashing are CPU work, and one
 * Node thread uses one core. The failures come back as the same CaseReports (first difference
 * named), merged in case-id order, so the report reads as a single-threaded run's would.
 * PostgreSQL only: the embedded database belongs to one thread.
 */
import { Worker } from 'node:worker_threads';
import type { CaseReport, VerifyReport } from './verify.ts';

export type WorkerTask = { url: string; since: boolean; after: string; upTo: string | null; orphans: boolean; concurrency: number };
export type WorkerMessage = { type: 'progress'; checked: number; failed: number } | { type: 'done'; checked: number; failures: CaseReport[] } | { type: 'error'; message: string };

// The worker is TypeScript like the rest: it registers tsx in its own thread, then loads.
const BOOT = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${JSON.stringify(
  new URL('./verify-worker.ts', import.meta.url).href,
)}); })`;

/** N contiguous ranges of the UUID space, as (after, upTo] bounds. */
export function idRanges(n: number): { after: string; upTo: string | null }[] {
  const out: { after: string; upTo: string | null }[] = [];
  const span = 2 ** 32;
  let after = '';
  for (let i = 1; i <= n; i++) {
    const upTo =
      i === n
        ? null
        : `${Math.floor((span * i) / n - 1)
            .toString(16)
            .padStart(8, '0')}-ffff-ffff-ffff-ffffffffffff`;
    out.push({ after, upTo });
    after = upTo ?? '';
  }
  return out;
}

export async function verifyInWorkers({
  url,
  jobs,
  since = false,
  concurrency = 2,
  onProgress,
}: {
  url: string;
  jobs: number;
  since?: boolean;
  concurrency?: number;
  onProgress?: (p: { checked: number; failed: number }) => void;
}): Promise<VerifyReport> {
  const progress = new Map<number, { checked: number; failed: number }>();
  const results = await Promise.all(
    idRanges(jobs).map(
      (r, i) =>
        new Promise<{ checked: number; failures: CaseReport[] }>((resolve, reject) => {
          const task: WorkerTask = { url, since, after: r.after, upTo: r.upTo, orphans: i === 0, concurrency };
          const w = new Worker(BOOT, { eval: true, workerData: task });
          w.on('message', (m: WorkerMessage) => {
            if (m.type === 'progress') {
              progress.set(i, m);
              const sum = [...progress.values()].reduce((a, b) => ({ checked: a.checked + b.checked, failed: a.failed + b.failed }), { checked: 0, failed: 0 });
              onProgress?.(sum);
            } else if (m.type === 'done') resolve(m);
            else reject(new Error(`verify worker ${i + 1}: ${m.message}`));
          });
          w.on('error', reject);
          w.on('exit', (code) => (code ? reject(new Error(`verify worker ${i + 1} exited with ${code}`)) : undefined));
        }),
    ),
  );
  const failures = results.flatMap((r) => r.failures).sort((a, b) => a.caseId.localeCompare(b.caseId));
  return { checked: results.reduce((s, r) => s + r.checked, 0), failures };
}
