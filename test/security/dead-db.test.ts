/**
 * A database that is really gone (PGlite closed under the running app): the API answers 503 in its
 * JSON error format at once — not a 500 — and a write acknowledged before the outage is there,
 * exactly once, when the database comes back.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { openDatabase, type DbHandle } from '../../db/client.ts';
import { installDb } from '../../db/index.ts';
import { evidence } from '../../db/schema.ts';
import { buildProject, type Fixture } from '../fixtures/workflow.ts';
import { apiToken, invoke } from '../fixtures/app.ts';
import { mammographyDefinition } from '../../seed/demo-projects.ts';
import * as evidenceApi from '../../app/routes/api.v1.projects.$slug.evidence.tsx';
import * as casesApi from '../../app/routes/api.v1.projects.$slug.cases.tsx';
import { projects } from '../../db/schema.ts';

const dump = inject('pgliteDump');
let dir: string;
let handle: DbHandle;
let f: Fixture;
let slug: string;
let token: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'h18s-dead-db-'));
  handle = await openDatabase({ dataDir: path.join(dir, 'pglite'), loadDataDir: new Blob([fs.readFileSync(dump!)]), lock: false });
  installDb(handle);
  f = await buildProject(handle.db, { definition: mammographyDefinition, cases: 1 });
  slug = (await handle.db.select({ slug: projects.slug }).from(projects).where(eq(projects.id, f.projectId)))[0].slug;
  token = await apiToken(handle.db, f.lead, [f.projectId]);
}, 120_000);
afterAll(async () => {
  installDb(undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

const api = (p: string, body?: unknown) =>
  new Request(`http://localhost:3000${p}`, {
    method: body ? 'POST' : 'GET',
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

describe.skipIf(!dump)('a dead database', () => {
  it('answers 503 JSON while it is gone and loses no acknowledged write', async () => {
    const result = { client_request_id: 'dead-db-1', case_id: f.caseIds[0], kind: 'pathology', date: '2024-02-01', finding: 'left', result_code: 'benign' };
    const acked = await invoke(evidenceApi.action as never, api(`/api/v1/projects/${slug}/evidence`, result), { slug });
    expect(acked.status).toBe(201);
    await handle.close();
    const list = await invoke(casesApi.loader as never, api(`/api/v1/projects/${slug}/cases`), { slug });
    expect(list.status).toBe(503);
    expect((await list.json()).error.code).toBe('unavailable');
    const write = await invoke(evidenceApi.action as never, api(`/api/v1/projects/${slug}/evidence`, { ...result, client_request_id: 'dead-db-2' }), { slug });
    expect(write.status).toBe(503);
    const body = await write.json();
    expect(body.error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/cannot reach its database/) });
    // Back again: the acknowledged result is there once; the refused one is not.
    handle = await openDatabase({ dataDir: path.join(dir, 'pglite'), lock: false });
    installDb(handle);
    const rows = await handle.db.select({ resultCode: evidence.resultCode }).from(evidence).where(eq(evidence.caseId, f.caseIds[0]));
    expect(rows).toEqual([{ resultCode: 'benign' }]);
    const again = await invoke(evidenceApi.action as never, api(`/api/v1/projects/${slug}/evidence`, result), { slug });
    expect(again.status).toBe(200);
    expect((await again.json()).repeat).toBe(true);
    await handle.close();
  });
});
