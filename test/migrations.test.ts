/**
 * The migrations are the schema: generating a migration from db/schema.ts against the last
 * migration's snapshot yields nothing, and every database enum, as migrated, holds exactly the
 * values of its vocabulary tuple (domain/vocabulary.ts) in the same order.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { isPgEnum, type PgEnum } from 'drizzle-orm/pg-core';
import * as schema from '../db/schema.ts';
import { createTestDb, type TestDb } from './db.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.dispose());

const rowsOf = <T>(res: unknown): T[] => (res as { rows?: T[] }).rows ?? (res as T[]);

function lastSnapshot(): { id: string; tables: Record<string, unknown> } {
  const journal = JSON.parse(fs.readFileSync('db/migrations/meta/_journal.json', 'utf8')) as { entries: { idx: number }[] };
  const last = journal.entries.at(-1)!;
  return JSON.parse(fs.readFileSync(`db/migrations/meta/${String(last.idx).padStart(4, '0')}_snapshot.json`, 'utf8'));
}

describe('migrations', () => {
  it('match db/schema.ts: drizzle-kit generates no statements', async () => {
    const { generateDrizzleJson, generateMigration } = await import('drizzle-kit/api');
    const prev = lastSnapshot();
    const current = generateDrizzleJson(schema, prev.id);
    expect(await generateMigration(prev as never, current)).toEqual([]);
    // The comparison notices a difference: without one table in the snapshot, it is created.
    const { 'public.audit_log': _, ...fewer } = prev.tables as Record<string, unknown>;
    const missing = await generateMigration({ ...prev, tables: fewer } as never, current);
    expect(missing.join('\n')).toMatch(/CREATE TABLE "audit_log"/);
  }, 60_000);

  it('every database enum equals its vocabulary, value for value and in order', async () => {
    const enums = (Object.values(schema) as unknown[]).filter((x): x is PgEnum<[string, ...string[]]> => isPgEnum(x));
    expect(enums.length).toBeGreaterThanOrEqual(10);
    const res = await t.db.execute(
      sql`select t.typname as name, array_agg(e.enumlabel::text order by e.enumsortorder) as labels
          from pg_type t join pg_enum e on e.enumtypid = t.oid join pg_namespace n on n.oid = t.typnamespace
          where n.nspname = 'public' group by t.typname`,
    );
    const migrated = new Map(rowsOf<{ name: string; labels: string[] }>(res).map((r) => [r.name, r.labels]));
    for (const e of enums) expect(migrated.get(e.enumName), e.enumName).toEqual([...e.enumValues]);
    expect([...migrated.keys()].sort()).toEqual(enums.map((e) => e.enumName).sort());
  });
});
