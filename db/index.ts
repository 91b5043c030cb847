/**
 * The process-wide database client. Kept on globalThis because the Remix server bundle and
 * server.ts (run by tsx) each get their own copy of this module, and they must share one pool.
 */
import type { Db, DbHandle } from './client.ts';

const KEY = Symbol.for('truthline.db');
type G = typeof globalThis & { [KEY]?: DbHandle };

export function installDb(handle: DbHandle | undefined): void {
  (globalThis as G)[KEY] = handle;
}

export function dbHandle(): DbHandle {
  const h = (globalThis as G)[KEY];
  if (!h) throw new Error('database not opened: call installDb() at start-up');
  return h;
}

export function getDb(): Db {
  return dbHandle().db;
}

export type { Db, DbHandle, Tx } from './client.ts';
export * as schema from './schema.ts';
