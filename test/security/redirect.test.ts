/**
 * Open redirect: sign-in's redirectTo (and every other redirect target a client can choose)
 * stays on this origin, whatever a browser would make of tabs, line breaks and backslashes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../db.ts';
import { makeUser } from '../fixtures/base.ts';
import { invoke, request, sessionCookie } from '../fixtures/app.ts';
import { safeRedirect } from '../../app/forms/auth.ts';
import * as login from '../../app/routes/login.tsx';

// Each is an attack seen in the wild or a browser URL-parsing quirk.
export const HOSTILE_TARGETS = [
  '//evil.example/phish',
  '/\t/evil.example/phish',
  '/\n/evil.example',
  '/\r/evil.example',
  '/%09/evil.example', // stays a path: %09 is not decoded by URL parsing
  '/\\evil.example',
  '\\\\evil.example',
  'https://evil.example',
  'javascript:alert(1)',
  '/\u0000/evil.example',
  ' //evil.example',
  '/ /evil.example',
  '//\u3000evil.example',
  `/${'a'.repeat(3000)}`,
];

describe('safeRedirect', () => {
  it.each(HOSTILE_TARGETS)('%j never leaves the origin', (to) => {
    const out = safeRedirect(to);
    expect(new URL(out, 'http://app.test').origin).toBe('http://app.test');
    expect(out).not.toMatch(/[\u0000-\u001f]/);
  });
  it.each([
    ['/projects/x', '/projects/x'],
    ['/projects/x?tab=2#top', '/projects/x?tab=2#top'],
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
    [undefined, '/'],
  ])('%j → %j', (to, want) => expect(safeRedirect(to)).toBe(want));
});

let t: TestDb;
let cookie: string;
beforeAll(async () => {
  t = await createTestDb();
  const u = await makeUser(t.db, { email: `redir-${Date.now()}@example.org` });
  cookie = await sessionCookie(u.email);
}, 120_000);
afterAll(async () => t?.dispose());

describe('the sign-in page for a signed-in user', () => {
  it.each(['%2F%09%2Fevil.example%2Fphish', '%2F%0A%2Fevil.example', '%2F%0D%2Fevil.example', '%2F%5Cevil.example', '%2F%2Fevil.example'])(
    'redirectTo=%s redirects home, never elsewhere and never a 500',
    async (q) => {
      const r = await invoke(login.loader as never, request(`/login?redirectTo=${q}`, { cookie }), {});
      expect(r.status).toBe(302);
      expect(r.headers.get('Location')).toBe('/');
    },
  );
  it('keeps a same-origin path', async () => {
    const r = await invoke(login.loader as never, request(`/login?redirectTo=${encodeURIComponent('/projects/a?x=1')}`, { cookie }), {});
    expect(r.headers.get('Location')).toBe('/projects/a?x=1');
  });
});
