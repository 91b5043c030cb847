/**
 * Migrates one template database per test run (DESIGN.md "Data model", tests paragraph):
 * - PostgreSQL (TEST_DATABASE_URL): a migrated template database; each test file gets
 *   CREATE DATABASE … TEMPLATE of it.
 * - PGlite: migrate once in memory and dump the data directory; each file loads the dump.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openDatabase, parseDatabaseUrl } from '../db/client.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplate: string | null;
    pgliteDump: string | null;
  }
}

export default async function setup(project: TestProject) {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const parsed = parseDatabaseUrl(url, 'TEST_DATABASE_URL');
    const template = `truthline_tpl_${process.pid}`;
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${template}`);
    await admin.unsafe(`create database ${template}`);
    const tplUrl = new URL(parsed);
    tplUrl.pathname = `/${template}`;
    const h = await openDatabase({ url: tplUrl.toString(), max: 1 });
    await h.migrate();
    await h.close();
    project.provide('pgTemplate', template);
    project.provide('pgliteDump', null);
    return async () => {
      // Test files drop their own databases; sweep any a crashed worker left behind.
      const left = await admin<{ datname: string }[]>`select datname from pg_database where datname like ${`truthline_t_${process.pid}_%`}`;
      for (const { datname } of left) await admin.unsafe(`drop database if exists ${datname} with (force)`);
      await admin.unsafe(`drop database if exists ${template} with (force)`);
      await admin.end();
    };
  }
  const h = await openDatabase({ memory: true });
  await h.migrate();
  const pg = (h.db as unknown as { $client: { dumpDataDir(c?: string): Promise<Blob> } }).$client;
  const blob = await pg.dumpDataDir('none');
  const file = path.join(os.tmpdir(), `truthline-template-${process.pid}.tar`);
  fs.writeFileSync(file, Buffer.from(await blob.arrayBuffer()));
  await h.close();
  project.provide('pgTemplate', null);
  project.provide('pgliteDump', file);
  return () => fs.rmSync(file, { force: true });
}
