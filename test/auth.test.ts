import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { makeUser, TEST_PASSWORD } from './fixtures/base.ts';
import { request } from './fixtures/app.ts';
import { changePassword, getOptionalUser, signIn, signOut, ABSOLUTE_TIMEOUT_MS, MAX_FAILURES_PER_ACCOUNT } from '../app/auth.server.ts';
import { sessions, loginAttempts } from '../db/schema.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.dispose());

const from = (ip: string) => new Request('http://localhost/login', { method: 'POST', headers: { 'x-truthline-client-ip': ip } });
const cookieOf = (h: Headers) => h.get('Set-Cookie')!.split(';')[0];

describe('sign-in', () => {
  it('gives a wrong password and an unknown account the same message', async () => {
    const u = await makeUser(t.db);
    const a = await signIn(from('1.1.1.1'), u.email, 'wrong password!');
    const b = await signIn(from('1.1.1.1'), 'nobody@example.org', 'wrong password!');
    expect(a.ok || b.ok).toBe(false);
    if (!a.ok && !b.ok) expect(a.message).toBe(b.message);
  });

  it(`locks an account after ${MAX_FAILURES_PER_ACCOUNT} failures in a row, even from different addresses, with a clear message`, async () => {
    const u = await makeUser(t.db);
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT; i++) {
      const r = await signIn(from(`2.2.2.${i}`), u.email, `nope-${i}`);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toBe('invalid');
    }
    const locked = await signIn(from('3.3.3.3'), u.email, TEST_PASSWORD);
    expect(locked.ok).toBe(false);
    if (!locked.ok) {
      expect(locked.reason).toBe('locked');
      expect(locked.message).toMatch(/locked for 15 minutes/);
    }
    // The lock is stored in the database, so every process sees it.
    const rows = await t.db.select().from(loginAttempts).where(eq(loginAttempts.email, u.email));
    expect(rows).toHaveLength(MAX_FAILURES_PER_ACCOUNT);
  });

  it('does not count successful sign-ins', async () => {
    const u = await makeUser(t.db);
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT + 2; i++) expect((await signIn(from('4.4.4.4'), u.email, TEST_PASSWORD)).ok).toBe(true);
    const rows = await t.db.select().from(loginAttempts).where(eq(loginAttempts.email, u.email));
    expect(rows).toHaveLength(0);
  });

  it('issues a new session id at each sign-in and ends the old one', async () => {
    const u = await makeUser(t.db);
    const first = await signIn(from('5.5.5.5'), u.email, TEST_PASSWORD);
    if (!first.ok) throw new Error('sign-in failed');
    const c1 = cookieOf(first.headers);
    const req = new Request('http://localhost/login', { method: 'POST', headers: { Cookie: c1, 'x-truthline-client-ip': '5.5.5.5' } });
    const second = await signIn(req, u.email, TEST_PASSWORD);
    if (!second.ok) throw new Error('sign-in failed');
    const c2 = cookieOf(second.headers);
    expect(c2).not.toBe(c1);
    expect(await getOptionalUser(request('/', { cookie: c1 }))).toBeNull();
    expect((await getOptionalUser(request('/', { cookie: c2 })))?.id).toBe(u.id);
  });

  it('sign-out ends the session on the server', async () => {
    const u = await makeUser(t.db);
    const r = await signIn(from('6.6.6.6'), u.email, TEST_PASSWORD);
    if (!r.ok) throw new Error('sign-in failed');
    const c = cookieOf(r.headers);
    await signOut(request('/logout', { cookie: c, method: 'POST' }));
    expect(await getOptionalUser(request('/', { cookie: c }))).toBeNull();
  });

  it("a page's loaders asking at once share one session lookup; one asked after it finished, or after sign-out, asks again", async () => {
    const u = await makeUser(t.db);
    const r = await signIn(from('6.6.6.7'), u.email, TEST_PASSWORD);
    if (!r.ok) throw new Error('sign-in failed');
    const c = cookieOf(r.headers);
    const root = getOptionalUser(request('/', { cookie: c }));
    const route = getOptionalUser(request('/projects', { cookie: c }));
    expect(route).toBe(root);
    expect((await route)?.id).toBe(u.id);
    const later = getOptionalUser(request('/', { cookie: c }));
    expect(later).not.toBe(root);
    expect((await later)?.id).toBe(u.id);
    // Still on its way when the session ends: whoever asks after the sign-out is not handed it.
    const before = getOptionalUser(request('/', { cookie: c }));
    await signOut(request('/logout', { cookie: c, method: 'POST' }));
    const after = getOptionalUser(request('/', { cookie: c }));
    expect(after).not.toBe(before);
    await before;
    expect(await after).toBeNull();
  });

  it('a password change ends every other session', async () => {
    const u = await makeUser(t.db);
    const a = await signIn(from('7.7.7.7'), u.email, TEST_PASSWORD);
    const b = await signIn(from('7.7.7.8'), u.email, TEST_PASSWORD);
    if (!a.ok || !b.ok) throw new Error('sign-in failed');
    const r = await changePassword({ request: request('/account', { cookie: cookieOf(a.headers) }), userId: u.id, current: TEST_PASSWORD, next: 'a much better password' });
    expect(r.ok).toBe(true);
    expect(await getOptionalUser(request('/', { cookie: cookieOf(a.headers) }))).toBeNull();
    expect(await getOptionalUser(request('/', { cookie: cookieOf(b.headers) }))).toBeNull();
    if (r.ok) expect((await getOptionalUser(request('/', { cookie: cookieOf(r.headers) })))?.id).toBe(u.id);
  });

  it('enforces the absolute session lifetime and deactivation', async () => {
    const u = await makeUser(t.db);
    const r = await signIn(from('8.8.8.8'), u.email, TEST_PASSWORD);
    if (!r.ok) throw new Error('sign-in failed');
    const c = cookieOf(r.headers);
    await t.db
      .update(sessions)
      .set({ createdAt: new Date(Date.now() - ABSOLUTE_TIMEOUT_MS - 1000) })
      .where(eq(sessions.userId, u.id));
    expect(await getOptionalUser(request('/', { cookie: c }))).toBeNull();
    const r2 = await signIn(from('8.8.8.8'), u.email, TEST_PASSWORD);
    if (!r2.ok) throw new Error('sign-in failed');
    const { users } = await import('../db/schema.ts');
    await t.db.update(users).set({ active: false }).where(eq(users.id, u.id));
    expect(await getOptionalUser(request('/', { cookie: cookieOf(r2.headers) }))).toBeNull();
  });
});
