/**
 * `npx truthline verify [--case ID]…`: replays every case from its events, compares with the
 * stored snapshot (canonical JSON), checks each hash chain with its head hash and count, and
 * the invariants of workflows/verify.ts. Exits 1 naming each failing case and why.
 */
import { verifyAllCases } from '../../workflows/verify.ts';
import { withDatabase } from './db-open.ts';

export async function run(args: string[]): Promise<number> {
  const caseIds: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--case' && args[i + 1]) caseIds.push(args[++i]);
    else {
      process.stderr.write(`truthline verify: unknown option "${args[i]}"\nusage: truthline verify [--case ID]…\n`);
      return 2;
    }
  }
  return withDatabase(async (h) => {
    const report = await verifyAllCases({ db: h.db, caseIds: caseIds.length ? caseIds : undefined });
    for (const f of report.failures) {
      for (const p of f.problems) process.stdout.write(`case ${f.caseId}: ${p}\n`);
    }
    const bad = report.failures.length;
    process.stdout.write(
      bad
        ? `verify: ${bad} of ${report.checked} cases FAILED\n`
        : `verify: ${report.checked} cases replayed; snapshots, hash chains and invariants OK\n`,
    );
    return bad ? 1 : 0;
  });
}
