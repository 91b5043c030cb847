/**
 * `npx truthline verify [--since] [--jobs N] [--case ID]…`: replays every case from its events,
 * compares with the stored snapshot (canonical JSON), checks each hash chain with its head hash
 * and count, the queue columns, and the invariants of workflows/verify.ts — in batches; on
 * PostgreSQL N worker threads (N cores), each over a range of case ids. A whole run records each passing case's chain head;
 * `--since` then checks only cases whose head moved (new events) or that never passed.
 * Exits 1 naming each failing case and why.
 */
import { availableParallelism } from 'node:os';
import { verifyAllCases } from '../../workflows/verify.ts';
import { verifyInWorkers } from '../../workflows/verify-workers.ts';
import { withDatabase } from './db-open.ts';

const USAGE = 'usage: truthline verify [--since] [--jobs N] [--case ID]…\n';

export async function run(args: string[]): Promise<number> {
  const caseIds: string[] = [];
  let since = false;
  let jobs = Math.min(4, availableParallelism());
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--case' && args[i + 1]) caseIds.push(args[++i]);
    else if (args[i] === '--since') since = true;
    else if (args[i] === '--jobs' && /^[1-9][0-9]?$/.test(args[i + 1] ?? '')) jobs = Number(args[++i]);
    else {
      process.stderr.write(`truthline verify: unknown option "${args[i]}" (--jobs takes 1–99)\n${USAGE}`);
      return 2;
    }
  }
  if (since && caseIds.length) {
    process.stderr.write(`truthline verify: --since and --case do not go together\n${USAGE}`);
    return 2;
  }
  return withDatabase(async (h) => {
    const started = Date.now();
    let last = 0;
    const onProgress = ({ checked, failed }: { checked: number; failed: number }) => {
      if (process.stderr.isTTY && Date.now() - last > 500) {
        last = Date.now();
        process.stderr.write(`\rverify: ${checked} cases checked, ${failed} failed…`);
      }
    };
    // On PostgreSQL a whole run uses N worker threads (N cores), each over its range of case ids.
    const url = process.env.DATABASE_URL?.trim();
    const report =
      h.kind === 'postgres' && url && jobs > 1 && !caseIds.length
        ? await verifyInWorkers({ url, jobs, since, onProgress })
        : await verifyAllCases({ db: h.db, caseIds: caseIds.length ? caseIds : undefined, since, concurrency: jobs, onProgress });
    if (process.stderr.isTTY && last) process.stderr.write('\n');
    for (const f of report.failures) {
      for (const p of f.problems) process.stdout.write(`case ${f.caseId}: ${p}\n`);
    }
    const bad = report.failures.length;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const what = since ? 'cases changed since their last verified head' : 'cases';
    process.stdout.write(
      bad
        ? `verify: ${bad} of ${report.checked} ${what} FAILED (${secs} s)\n`
        : `verify: ${report.checked} ${what} replayed in ${secs} s; snapshots, hash chains, queue columns and invariants OK\n`,
    );
    return bad ? 1 : 0;
  });
}
