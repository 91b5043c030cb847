/** One verify worker thread (see verify-workers.ts): its range of case ids, its own connections. */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/client.ts';
import { verifyAllCases } from './verify.ts';
import type { WorkerMessage, WorkerTask } from './verify-workers.ts';

const task = workerData as WorkerTask;
const post = (m: WorkerMessage) => parentPort!.postMessage(m);
const h = await openDatabase({ url: task.url, max: task.concurrency + 1 });
try {
  const r = await verifyAllCases({
    db: h.db,
    since: task.since,
    range: { after: task.after, upTo: task.upTo },
    orphans: task.orphans,
    concurrency: task.concurrency,
    onProgress: (p) => post({ type: 'progress', ...p }),
  });
  post({ type: 'done', checked: r.checked, failures: r.failures });
} catch (e) {
  post({ type: 'error', message: (e as Error).stack ?? String(e) });
} finally {
  await h.close();
}
