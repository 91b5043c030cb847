/**
 * A fresh, migrated database for one test file. On PostgreSQL each call clones the run's
 * template database; on PGlite it loads the migrated dump into a new in-memory instance.
 */
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { openDatabase, type DbHandle } from '../db/client.ts';
import { installDb } from '../db/index.ts';

export type TestDb = DbHandle & { dispose(): Promise<void> };

export async function createTestDb(opts: { install?: boolean } = {}): Promise<TestDb> {
  const template = inject('pgTemplate');
  const dump = inject('pgliteDump');
  let handle: DbHandle;
  let drop: () => Promise<void> = async () => {};
  if (template) {
    const base = process.env.TEST_DATABASE_URL!;
    const name = `truthline_t_${process.ppid}_${randomBytes(4).toString('hex')}`;
    const admin = postgres(base, { max: 1, onnotice: () => {} });
    // CREATE DATABASE … TEMPLATE fails if anyone is connected to the template: retry briefly.
    for (let i = 0; ; i++) {
      try {
        await admin.unsafe(`create database ${name} template ${template}`);
        break;
      } catch (e) {
        if (i > 20) throw e;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
    const url = new URL(base);
    url.pathname = `/${name}`;
    handle = await openDatabase({ url: url.toString(), max: 5 });
    drop = async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    };
  } else {
    if (!dump) throw new Error('test/global-setup.ts did not run');
    handle = await openDatabase({ memory: true, loadDataDir: new Blob([fs.readFileSync(dump)]) });
  }
  if (opts.install !== false) installDb(handle);
  return {
    ...handle,
    async dispose() {
      await handle.close();
      await drop();
      if (opts.install !== false) installDb(undefined);
    },
  };
}

/** True when the suite runs on a real PostgreSQL server (concurrency tests need one). */
export function onPostgres(): boolean {
  return Boolean(inject('pgTemplate'));
}
