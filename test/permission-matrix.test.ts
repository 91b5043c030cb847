/**
 * Every route × persona: anonymous, admin (not a member), lead of this project, lead of another
 * project, reader, adjudicator. A route file without an entry here fails the suite, so a new page
 * cannot ship without deciding who may open it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { createTestDb, type TestDb } from './db.ts';
import { PERSONAS, classify, invoke, makeWorld, request, sessionCookie, type Outcome } from './fixtures/app.ts';
import type { Spec, World } from './matrix/types.ts';

// Each area keeps its rows in test/matrix/<area>.ts (exporting `entries`); they are merged here.
const parts = import.meta.glob<{ entries: Record<string, Spec> }>('./matrix/*.ts', { eager: true });
const MATRIX: Record<string, Spec> = {};
for (const [file, mod] of Object.entries(parts)) {
  for (const [route, spec] of Object.entries(mod.entries ?? {})) {
    if (route in MATRIX) throw new Error(`${route} appears twice in the matrix (again in ${file})`);
    MATRIX[route] = spec;
  }
}

const ROUTES = path.resolve(import.meta.dirname, '../app/routes');
const routeFiles = ['root.tsx', ...fs.readdirSync(ROUTES).filter((f) => /\.(tsx?|jsx?)$/.test(f) && !/\.(server|test)\./.test(f))];

let t: TestDb;
let w: World;
beforeAll(async () => {
  t = await createTestDb();
  w = await makeWorld(t.db);
}, 120_000);
afterAll(async () => t?.dispose());

describe('permission matrix', () => {
  it('has an entry for every route file', () => {
    const missing = routeFiles.filter((f) => !(f in MATRIX));
    expect(missing, 'add these routes to a test/matrix/<area>.ts file').toEqual([]);
    const stale = Object.keys(MATRIX).filter((f) => !routeFiles.includes(f));
    expect(stale, 'entries for routes that no longer exist').toEqual([]);
  });

  for (const file of routeFiles) {
    it(`${file}`, async () => {
      const spec = MATRIX[file];
      if (!spec) return; // reported by the test above
      const mod = await import(file === 'root.tsx' ? '../app/root.tsx' : path.join(ROUTES, file));
      if (spec.loader) expect(typeof mod.loader, `${file} has no loader`).toBe('function');
      if (spec.action) expect(typeof mod.action, `${file} has no action`).toBe('function');
      if (!spec.action) expect(mod.action, `${file} has an action but no action row in the matrix`).toBeUndefined();
      const got: Record<string, Record<string, Outcome>> = { loader: {}, action: {} };
      for (const p of PERSONAS) {
        const params = spec.params?.(w) ?? {};
        const headers = spec.headers?.(w, p);
        if (spec.loader) got.loader[p] = classify(await invoke(mod.loader, request(spec.path(w), { cookie: w.cookies[p], headers }), params));
        const cookie = spec.endsSession && p !== 'anonymous' ? await sessionCookie(w.users[p].email) : w.cookies[p];
        if (spec.action) got.action[p] = classify(await invoke(mod.action, request(spec.path(w), { cookie, headers, form: spec.form?.(w) ?? {} }), params));
      }
      if (spec.loader) expect(got.loader, `${file} loader`).toEqual(spec.loader);
      if (spec.action) expect(got.action, `${file} action`).toEqual(spec.action);
    });
  }
});
