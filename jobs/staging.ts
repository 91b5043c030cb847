/**
 * Staged rows: a job writes each unit of its output (e.g. one case with its findings, start
 * event and workflow) as one jsonb row in `job_staging`, chunk by chunk in short transactions.
 * `publishStaged` copies them into the real tables with one INSERT … SELECT per table inside the
 * caller's final transaction, so the whole output appears at once and a cancelled or failed job
 * leaves nothing visible.
 */
import { getTableColumns, getTableName, sql, type SQL, type Table } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { jobStaging } from '../db/schema.ts';

/** A row in the table's column names, as jsonb_populate_record reads it. */
export function toDbRow(table: Table, row: Record<string, unknown>): Record<string, unknown> {
  const cols = getTableColumns(table);
  const out: Record<string, unknown> = {};
  for (const [prop, value] of Object.entries(row)) {
    const col = cols[prop];
    if (!col) throw new Error(`${getTableName(table)} has no column ${prop}`);
    out[col.name] = value instanceof Date ? value.toISOString() : value;
  }
  return out;
}

export async function stageRows(tx: Tx, jobId: string, firstSeq: number, rows: Record<string, unknown>[]): Promise<void> {
  if (!rows.length) return;
  // One jsonb parameter for the whole chunk: thousands of bound parameters cost more to build,
  // send and bind than the rows themselves.
  await tx.execute(
    sql`insert into ${jobStaging} (job_id, seq, "row") select ${jobId}::uuid, ${firstSeq}::int + (e.i - 1)::int, e.v from jsonb_array_elements(${JSON.stringify(rows)}::jsonb) with ordinality as e(v, i)`,
  );
}

/**
 * Copies the staged `key` part of every staged row of a job into `table` (an object or an array
 * of objects per staged row). Only the columns given are written; the rest take their defaults.
 */
export async function publishStaged(
  tx: Tx,
  {
    jobId,
    key,
    table,
    columns,
    many = false,
    computed = {},
    same,
  }: {
    jobId: string;
    key: string;
    table: Table;
    columns: string[];
    many?: boolean;
    /** Column values shared by every staged row (table column names), merged under each one. */
    same?: Record<string, unknown>;
    /** Columns computed in SQL from the staged row `s` and the populated record `r`. */
    computed?: Record<string, SQL>;
  },
): Promise<void> {
  const cols = getTableColumns(table);
  const names = columns.map((c) => {
    const col = cols[c];
    if (!col) throw new Error(`${getTableName(table)} has no column ${c}`);
    return sql.identifier(col.name);
  });
  const extra = Object.keys(computed).map((c) => {
    const col = cols[c];
    if (!col) throw new Error(`${getTableName(table)} has no column ${c}`);
    return sql.identifier(col.name);
  });
  const list = sql.join([...names, ...extra], sql`, `);
  const rList = sql.join([...names.map((n) => sql`r.${n}`), ...Object.values(computed)], sql`, `);
  if (!/^[a-z_]+$/.test(key)) throw new Error(`bad staging key ${key}`);
  const k = sql.raw(`'${key}'`);
  const t = sql.identifier(getTableName(table));
  const part = same ? sql`(${JSON.stringify(same)}::jsonb || (s.row -> ${k}))` : sql`(s.row -> ${k})`;
  const fn = many ? sql`jsonb_populate_recordset(null::${t}, ${part})` : sql`jsonb_populate_record(null::${t}, ${part})`;
  await tx.execute(sql`insert into ${t} (${list}) select ${rList} from ${jobStaging} s cross join lateral ${fn} r where s.job_id = ${jobId} order by s.seq`);
}
