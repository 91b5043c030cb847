/**
 * Every route × persona: anonymous, admin (not a member), lead of this project, lead of another
 * project, reader, adjudicator. A route file without an entry here fails the suite, so a new page
 * cannot ship without deciding who may open it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { createTestDb, type TestDb } from './db.ts';
import { PERSONAS, classify, invoke, makeWorld, request, sessionCookie, type Outcome, type Persona } from './fixtures/app.ts';

type World = Awaited<ReturnType<typeof makeWorld>>;
type Expect = Record<Persona, Outcome>;
type Spec = {
  path: (w: World) => string;
  params?: (w: World) => Record<string, string>;
  loader?: Expect;
  action?: Expect;
  form?: (w: World) => Record<string, string>;
  /** The action ends the session: give it a session of its own so later routes keep theirs. */
  endsSession?: boolean;
};

const all = (o: Outcome): Expect => ({ anonymous: o, admin: o, lead: o, otherLead: o, reader: o, adjudicator: o });
const signedIn: Expect = { ...all('ok'), anonymous: 'login' };
const adminOnly: Expect = { anonymous: 'login', admin: 'ok', lead: 'forbidden', otherLead: 'forbidden', reader: 'forbidden', adjudicator: 'forbidden' };
const member: Expect = { anonymous: 'login', admin: 'notfound', lead: 'ok', otherLead: 'notfound', reader: 'ok', adjudicator: 'ok' };
export const leadOnly: Expect = { ...member, reader: 'forbidden', adjudicator: 'forbidden' };
export const readerOnly: Expect = { ...member, lead: 'forbidden', adjudicator: 'forbidden' };
export const adjudicatorOnly: Expect = { ...member, lead: 'forbidden', reader: 'forbidden' };

const slug = (w: World) => ({ slug: w.project.slug });

export const MATRIX: Record<string, Spec> = {
  'root.tsx': { path: () => '/', loader: all('ok') },
  '_index.tsx': { path: () => '/', loader: signedIn },
  'login.tsx': { path: () => '/login', loader: { ...all('ok') }, action: all('ok') },
  // Signing out sends everyone to the sign-in page.
  'logout.tsx': { path: () => '/logout', loader: all('ok'), action: all('login'), endsSession: true },
  'account.tsx': { path: () => '/account', loader: signedIn, action: signedIn },
  'admin.users.tsx': { path: () => '/admin/users', loader: adminOnly, action: adminOnly, form: () => ({ intent: 'create' }) },
  'projects.$slug._index.tsx': { path: (w) => `/projects/${w.project.slug}`, params: slug, loader: member },
  'projects.$slug.members.tsx': { path: (w) => `/projects/${w.project.slug}/members`, params: slug, loader: leadOnly, action: leadOnly, form: () => ({ intent: 'add' }) },
};

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
    expect(missing, `add these routes to MATRIX in ${import.meta.filename}`).toEqual([]);
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
        if (spec.loader) got.loader[p] = classify(await invoke(mod.loader, request(spec.path(w), { cookie: w.cookies[p] }), params));
        const cookie = spec.endsSession && p !== 'anonymous' ? await sessionCookie(w.users[p].email) : w.cookies[p];
        if (spec.action) got.action[p] = classify(await invoke(mod.action, request(spec.path(w), { cookie, form: spec.form?.(w) ?? {} }), params));
      }
      if (spec.loader) expect(got.loader, `${file} loader`).toEqual(spec.loader);
      if (spec.action) expect(got.action, `${file} action`).toEqual(spec.action);
    });
  }
});
