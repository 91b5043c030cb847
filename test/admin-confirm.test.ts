/**
 * Deactivating an account and resetting its password ask first: the first press answers with a
 * confirmation step (on the server, so it holds without script) and changes nothing; only the
 * confirmed press acts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { makeUser } from './fixtures/base.ts';
import { invoke, request, sessionCookie } from './fixtures/app.ts';
import { auditLog, users } from '../db/schema.ts';
import * as adminUsers from '../app/routes/admin.users.tsx';

let t: TestDb;
let cookie: string;
beforeAll(async () => {
  t = await createTestDb();
  const admin = await makeUser(t.db, { isAdmin: true });
  cookie = await sessionCookie(admin.email);
});
afterAll(async () => t?.dispose());

const post = (form: Record<string, string>) => invoke(adminUsers.action as never, request('/admin/users', { cookie, form }), {});
const row = async (id: string) => (await t.db.select().from(users).where(eq(users.id, id)))[0];
const audits = async (id: string) => (await t.db.select({ action: auditLog.action }).from(auditLog).where(eq(auditLog.target, id))).map((a) => a.action);

describe('account actions that lock a person out ask first', () => {
  it('deactivate: the first press only asks, naming the account; the confirmed press deactivates', async () => {
    const u = await makeUser(t.db, { email: 'dana@example.org' });
    const ask = await post({ intent: 'deactivate', userId: u.id, email: u.email });
    expect(ask.status).toBe(200);
    const body = await ask.json();
    expect(body.confirm).toEqual({ intent: 'deactivate', userId: u.id, email: 'dana@example.org' });
    expect(body.message).toBeNull();
    expect((await row(u.id)).active).toBe(true);
    expect(await audits(u.id)).toEqual([]);

    const done = await post({ intent: 'deactivate', userId: u.id, email: u.email, confirmed: 'yes' });
    expect((await done.json()).message).toMatch(/deactivated/);
    expect((await row(u.id)).active).toBe(false);
    // Reactivating locks nobody out: it acts at once.
    const back = await post({ intent: 'reactivate', userId: u.id });
    expect((await back.json()).confirm).toBeUndefined();
    expect((await row(u.id)).active).toBe(true);
  });

  it('reset password: the first press keeps the password; the confirmed press gives a one-time one', async () => {
    const u = await makeUser(t.db, { email: 'reza@example.org' });
    const hash = (await row(u.id)).passwordHash;
    const ask = await (await post({ intent: 'reset', userId: u.id, email: u.email })).json();
    expect(ask.confirm).toEqual({ intent: 'reset', userId: u.id, email: 'reza@example.org' });
    expect(ask.oneTime).toBeNull();
    expect((await row(u.id)).passwordHash).toBe(hash);

    const done = await (await post({ intent: 'reset', userId: u.id, email: u.email, confirmed: 'yes' })).json();
    expect(done.oneTime.email).toBe('reza@example.org');
    expect((await row(u.id)).passwordHash).not.toBe(hash);
    expect(await audits(u.id)).toEqual(['user.reset_password']);
  });

  it('a confirmation value other than "yes" is refused as a field error, acting on nothing', async () => {
    const u = await makeUser(t.db);
    const res = await post({ intent: 'deactivate', userId: u.id, confirmed: 'sure' });
    expect(res.status).toBe(400);
    expect((await row(u.id)).active).toBe(true);
  });
});
