/**
 * Prepared statements for drizzle on postgres.js. drizzle sends every query it builds with
 * `prepare: false`; postgres.js then needs TWO round trips for a statement with parameters (Parse +
 * Describe to learn the parameter types, then Bind + Execute) and PostgreSQL parses and plans
 * it every time. A request of the read cycle sends ~10 such statements, so half its round trips
 * and much of PostgreSQL's CPU went there (bench/load.ts, docs/decisions/scale-0002-read-cycle-profile.md).
 *
 * This wrapper lets postgres.js prepare statements of request size instead: named, kept per
 * connection, one round trip, planned once. Statements that vary with their data (long texts,
 * many parameters: multi-row inserts of imports) stay unprepared, so the per-connection cache stays
 * small; connections are recycled by the pool anyway. `DATABASE_PREPARE=0` turns it off (a
 * pooler in transaction mode such as PgBouncer < 1.21 cannot keep named statements).
 */
import type postgres from 'postgres';

/** Longest statement text and most parameters a prepared statement may have. */
const MAX_TEXT = 8_000;
const MAX_PARAMS = 64;

export function shouldPrepare(text: string, params: readonly unknown[] | undefined): boolean {
  return text.length <= MAX_TEXT && (params?.length ?? 0) <= MAX_PARAMS;
}

type Client = postgres.Sql;
type QueryOptions = { prepare?: boolean } & Record<string, unknown>;

/** The same client, preparing request-sized statements (also inside transactions and savepoints). */
export function preparing<T extends Client | postgres.TransactionSql>(client: T): T {
  return new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'unsafe')
        return (text: string, params?: unknown[], options?: QueryOptions) =>
          (value as (t: string, p?: unknown[], o?: QueryOptions) => unknown).call(target, text, params, { ...options, prepare: shouldPrepare(text, params) });
      if (prop === 'begin' || prop === 'savepoint')
        return (...args: unknown[]) => {
          const last = args.length - 1;
          const body = args[last] as (c: postgres.TransactionSql) => unknown;
          args[last] = (c: postgres.TransactionSql) => body(preparing(c));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
