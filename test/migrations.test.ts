import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.dispose());

describe('migrations', () => {
  it('create every table of the data model', async () => {
    const res = await t.db.execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    const rows = ((res as { rows?: unknown[] }).rows ?? res) as { table_name: string }[];
    const names = rows.map((r) => r.table_name);
    for (const table of [
      'users', 'sessions', 'login_attempts', 'api_tokens', 'projects', 'project_versions', 'project_members',
      'patients', 'cases', 'findings', 'assignments', 'reads', 'evidence', 'extraction_rules', 'case_workflows',
      'workflow_events', 'truth_labels', 'scheduled_events', 'releases', 'stats_cache', 'audit_log',
    ]) {
      expect(names).toContain(table);
    }
  });
});
