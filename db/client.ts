/**
 * The one client factory: DATABASE_URL → postgres.js; unset → embedded PGlite under ./data.
 * Both are exposed as the same drizzle PgDatabase so nothing above db/ cares which it is.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import * as schema from './schema.ts';
import { acquireLock, releaseLock } from './lock.ts';
import { preparing } from './prepared.ts';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction or the database itself: model functions accept either. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0] | Db;

export type DbHandle = {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Where the data lives, without credentials. */
  where: string;
  ping(): Promise<boolean>;
  migrate(): Promise<void>;
  close(): Promise<void>;
};

export class ConfigError extends Error {}

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Where embedded data, the pid lock, generated images and the session secret live. */
export function dataRoot(): string {
  return path.resolve(process.env.TRUTHLINE_DATA_DIR ?? 'data');
}

/** Validates DATABASE_URL; the message is one line naming the variable and the problem. */
export function parseDatabaseUrl(raw: string, name = 'DATABASE_URL'): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL (expected postgres://user@host:port/database)`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`${name} must start with postgres:// or postgresql://, got "${url.protocol}//"`);
  }
  if (!url.hostname) throw new ConfigError(`${name} has no host name`);
  if (url.pathname.replace(/^\//, '') === '') throw new ConfigError(`${name} names no database (add /dbname)`);
  return url;
}

export type OpenOptions = {
  /** Postgres URL; when absent, the embedded database is used. */
  url?: string;
  /** Embedded database folder (default ./data/pglite). */
  dataDir?: string;
  /** Take the pid lock on the embedded folder (server and CLI do; tests do not). */
  lock?: boolean;
  /** Start from a dumped data directory (tests clone a migrated template this way). */
  loadDataDir?: Blob;
  /** In-memory embedded database. */
  memory?: boolean;
  max?: number;
};

/**
 * Connections per app instance (DATABASE_POOL_MAX, default 10). Size it so that instances ×
 * pool stays below PostgreSQL's max_connections minus a few for admin and jobs; more
 * connections than cores × 2–4 only queue inside PostgreSQL (README "Scaling").
 */
export function poolSize(): number {
  const n = Number(process.env.DATABASE_POOL_MAX ?? 10);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`DATABASE_POOL_MAX must be a positive whole number, got "${process.env.DATABASE_POOL_MAX}"`);
  return n;
}

function envMs(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be milliseconds (a whole number, 0 = no limit), got "${raw}"`);
  return n;
}

export async function openDatabase(opts: OpenOptions = {}): Promise<DbHandle> {
  if (opts.url) {
    const url = parseDatabaseUrl(opts.url);
    const raw = postgres(opts.url, {
      max: opts.max ?? poolSize(),
      onnotice: () => {},
      connect_timeout: 5,
      // Idle connections are closed after a minute; a pool never holds more than it needs.
      idle_timeout: 60,
      // A slow statement cannot hold a connection for long, nor a transaction left idle.
      connection: {
        statement_timeout: envMs('DATABASE_STATEMENT_TIMEOUT_MS', 30_000),
        idle_in_transaction_session_timeout: envMs('DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', 15_000),
        lock_timeout: envMs('DATABASE_LOCK_TIMEOUT_MS', 10_000),
      },
    });
    // Request-sized statements are prepared: one round trip each, planned once (db/prepared.ts).
    const client = process.env.DATABASE_PREPARE === '0' ? raw : preparing(raw);
    const db = drizzlePostgres({ client, schema }) as unknown as Db;
    return {
      db,
      kind: 'postgres',
      where: `${url.hostname}:${url.port || 5432}${url.pathname}`,
      async ping() {
        try {
          await client`select 1`;
          return true;
        } catch {
          return false;
        }
      },
      async migrate() {
        await migratePostgres(drizzlePostgres({ client }), { migrationsFolder: MIGRATIONS_DIR });
      },
      async close() {
        await client.end({ timeout: 5 });
      },
    };
  }
  const dataDir = opts.memory ? undefined : path.resolve(opts.dataDir ?? path.join(dataRoot(), 'pglite'));
  if (dataDir) {
    fs.mkdirSync(dataDir, { recursive: true });
    if (opts.lock !== false) acquireLock(path.dirname(dataDir));
  }
  let pg: PGlite;
  try {
    pg = new PGlite({ dataDir, loadDataDir: opts.loadDataDir });
    await pg.waitReady;
  } catch (e) {
    if (dataDir && opts.lock !== false) releaseLock(path.dirname(dataDir));
    throw e;
  }
  const db = drizzlePglite({ client: pg, schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    where: dataDir ?? 'memory',
    async ping() {
      try {
        await pg.query('select 1');
        return true;
      } catch {
        return false;
      }
    },
    async migrate() {
      await migratePglite(drizzlePglite({ client: pg }), { migrationsFolder: MIGRATIONS_DIR });
    },
    async close() {
      await pg.close();
      if (dataDir && opts.lock !== false) releaseLock(path.dirname(dataDir));
    },
  };
}

/** Opens the database the environment names (the one process-wide client). */
export async function openFromEnv(opts: Omit<OpenOptions, 'url'> = {}): Promise<DbHandle> {
  const url = process.env.DATABASE_URL?.trim();
  if (url === '') throw new ConfigError('DATABASE_URL is set but empty (unset it to use the embedded database)');
  return openDatabase({ ...opts, url: url || undefined });
}

export async function isEmptyDatabase(db: Db): Promise<boolean> {
  const rows = await db.execute<{ n: number }>(sql`select count(*)::int as n from users`);
  const list = (rows as unknown as { rows?: { n: number }[] }).rows ?? (rows as unknown as { n: number }[]);
  return Number(list[0]?.n ?? 0) === 0;
}
