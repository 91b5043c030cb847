/**
 * Copies the embedded database (./data) into an empty PostgreSQL database named by DATABASE_URL.
 * Stop the server first (the embedded database is one process's). All or nothing: one transaction
 * on the target. Usage: DATABASE_URL=postgres://… npx tsx scripts/move-embedded-to-postgres.ts
 */
import { getTableName, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { openDatabase } from '../db/client.ts';
import * as s from '../db/schema.ts';

// Parents before children, so foreign keys hold at every insert.
const ORDER: PgTable[] = [
  s.users,
  s.sessions,
  s.loginAttempts,
  s.projects,
  s.projectVersions,
  s.projectMembers,
  s.patients,
  s.cases,
  s.findings,
  s.assignments,
  s.reads,
  s.extractionRules,
  s.evidence,
  s.caseWorkflows,
  s.workflowEvents,
  s.truthLabels,
  s.reviews,
  s.scheduledEvents,
  s.apiTokens,
  s.releases,
  s.statsCache,
  s.auditLog,
];

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('Set DATABASE_URL to the (empty) PostgreSQL database to copy into.\n');
  process.exit(2);
}
const from = await openDatabase({ lock: true });
const to = await openDatabase({ url });
try {
  await to.migrate();
  const [{ n }] = (await to.db.select({ n: sql<number>`count(*)::int` }).from(s.users)) as { n: number }[];
  if (n > 0) throw new Error('the target database already has accounts; copy only into an empty database');
  await to.db.transaction(async (tx) => {
    for (const table of ORDER) {
      const rows = await from.db.select().from(table);
      for (let i = 0; i < rows.length; i += 500) await tx.insert(table).values(rows.slice(i, i + 500));
      process.stdout.write(`${getTableName(table).padEnd(18)} ${rows.length}\n`);
    }
    // Serial sequences must continue after the copied ids.
    for (const t of ['login_attempts', 'workflow_events', 'audit_log']) {
      await tx.execute(sql.raw(`select setval(pg_get_serial_sequence('${t}', 'id'), coalesce((select max(id) from ${t}), 0) + 1, false)`));
    }
  });
  process.stdout.write('done: start the server with this DATABASE_URL; generated demo images stay in ./data/demo-images.\n');
} finally {
  await from.close();
  await to.close();
}
