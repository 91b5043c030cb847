/**
 * Sessions (lucia — imported nowhere else), sign-in with throttling, and the throwing access
 * checks every loader and action starts with.
 */
import { Lucia, TimeSpan } from 'lucia';
import { DrizzlePostgreSQLAdapter } from '@lucia-auth/adapter-drizzle';
import { redirect } from '@remix-run/node';
import { and, count, eq, gt } from 'drizzle-orm';
import { getDb } from '../db/index.ts';
import { loginAttempts, sessions, users } from '../db/schema.ts';
import { hashPassword, verifyPassword } from '../db/password.ts';
import { writeAudit } from '../db/audit.ts';
import { clientIp } from './request.server.ts';

export const IDLE_TIMEOUT = new TimeSpan(8, 'h');
export const ABSOLUTE_TIMEOUT_MS = 7 * 24 * 3600_000;
export const THROTTLE_WINDOW_MS = 15 * 60_000;
export const MAX_FAILURES_PER_ACCOUNT = 10;
export const MAX_FAILURES_PER_IP = 50;

export type SessionUser = { id: string; email: string; name: string; isAdmin: boolean; canCreateProjects: boolean; mustChangePassword: boolean };

type UserAttributes = { email: string; name: string; isAdmin: boolean; canCreateProjects: boolean; mustChangePassword: boolean; active: boolean };

declare module 'lucia' {
  interface Register {
    Lucia: Lucia<{ createdAt: Date }, UserAttributes>;
    DatabaseUserAttributes: UserAttributes;
    DatabaseSessionAttributes: { createdAt: Date };
  }
}

let lucia: Lucia<{ createdAt: Date }, UserAttributes> | undefined;
let luciaDb: unknown;

function getLucia() {
  const db = getDb();
  if (!lucia || luciaDb !== db) {
    luciaDb = db;
    lucia = new Lucia(new DrizzlePostgreSQLAdapter(db as never, sessions, users), {
      sessionExpiresIn: IDLE_TIMEOUT,
      sessionCookie: {
        name: 'truthline_session',
        // A browser-session cookie: expiry is enforced server-side (idle and absolute).
        expires: false,
        attributes: { secure: (process.env.APP_URL ?? '').startsWith('https:'), sameSite: 'lax' },
      },
      getSessionAttributes: (a: { createdAt: Date }) => ({ createdAt: a.createdAt }),
      getUserAttributes: (a: UserAttributes) => ({
        email: a.email,
        name: a.name,
        isAdmin: a.isAdmin,
        canCreateProjects: a.canCreateProjects,
        mustChangePassword: a.mustChangePassword,
        active: a.active,
      }),
    });
  }
  return lucia;
}

export function sessionCookieName() {
  return 'truthline_session';
}

function readSessionId(request: Request): string | null {
  return getLucia().readSessionCookie(request.headers.get('Cookie') ?? '');
}

/**
 * Lookups of a session still on their way, by session id. A page's loaders run side by side and
 * each asks who is signed in (the root and the route); they share the one lookup. Only a lookup
 * in flight is shared, never a finished answer: a request that starts after an answer came back
 * (or after the session was ended) asks the database again.
 */
const inFlight = new Map<string, Promise<SessionUser | null>>();

/** The signed-in user, or null. Expired, idle, over-age or deactivated sessions count as none. */
export function getOptionalUser(request: Request): Promise<SessionUser | null> {
  const id = readSessionId(request);
  if (!id) return Promise.resolve(null);
  const pending = inFlight.get(id);
  if (pending) return pending;
  const lookup = lookUpSession(id).finally(() => {
    if (inFlight.get(id) === lookup) inFlight.delete(id);
  });
  inFlight.set(id, lookup);
  return lookup;
}

/** A session ended from here is looked up afresh by whoever asks next. */
function forgetLookups(sessionId?: string) {
  if (sessionId) inFlight.delete(sessionId);
  else inFlight.clear();
}

async function lookUpSession(id: string): Promise<SessionUser | null> {
  const l = getLucia();
  const { session, user } = await l.validateSession(id);
  if (!session || !user) return null;
  const created = new Date(session.createdAt).getTime();
  if (!user.active || !Number.isFinite(created) || Date.now() - created > ABSOLUTE_TIMEOUT_MS) {
    await l.invalidateSession(session.id);
    return null;
  }
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    isAdmin: user.isAdmin,
    canCreateProjects: user.isAdmin || user.canCreateProjects,
    mustChangePassword: user.mustChangePassword,
  };
}

/**
 * The signed-in user, or a redirect to sign in. An account still on its one-time password
 * reaches only the page where it chooses its own (`passwordChange: true` marks that page).
 */
export async function requireUser(request: Request, opts: { passwordChange?: boolean } = {}): Promise<SessionUser> {
  const user = await getOptionalUser(request);
  if (!user) {
    const url = new URL(request.url);
    const to = url.pathname + url.search;
    throw redirect(`/login?redirectTo=${encodeURIComponent(to)}`);
  }
  if (user.mustChangePassword && !opts.passwordChange) throw redirect('/account');
  return user;
}

export async function requireAdmin(request: Request): Promise<SessionUser> {
  const user = await requireUser(request);
  if (!user.isAdmin) throw new Response('Only administrators can manage accounts.', { status: 403 });
  return user;
}

/** Creating projects: administrators and accounts an administrator marked as project creators. */
export async function requireProjectCreator(request: Request): Promise<SessionUser> {
  const user = await requireUser(request);
  if (!user.canCreateProjects) throw new Response('Creating projects is for administrators and accounts an administrator has allowed to. Ask an administrator.', { status: 403 });
  return user;
}

export type SignInResult = { ok: true; headers: Headers; userId: string } | { ok: false; reason: 'invalid' | 'locked' | 'throttled'; message: string };

// Compared against when the account does not exist, so both paths cost one scrypt.
let dummyHash: Promise<string> | undefined;

/** Failed password checks (sign-in and the account page's current password) in the window. */
async function passwordThrottle(email: string, ip: string): Promise<{ reason: 'locked' | 'throttled'; message: string } | null> {
  const db = getDb();
  const since = new Date(Date.now() - THROTTLE_WINDOW_MS);
  const [[byAccount], [byIp]] = await Promise.all([
    db
      .select({ n: count() })
      .from(loginAttempts)
      .where(and(eq(loginAttempts.email, email), gt(loginAttempts.attemptedAt, since))),
    db
      .select({ n: count() })
      .from(loginAttempts)
      .where(and(eq(loginAttempts.ip, ip), gt(loginAttempts.attemptedAt, since))),
  ]);
  if (byAccount.n >= MAX_FAILURES_PER_ACCOUNT) {
    return {
      reason: 'locked',
      message: 'Too many failed password attempts for this account. It is locked for 15 minutes; try again later or ask an administrator to reset your password.',
    };
  }
  if (byIp.n >= MAX_FAILURES_PER_IP) return { reason: 'throttled', message: 'Too many failed password attempts from your network. Wait 15 minutes and try again.' };
  return null;
}

/** lucia writes Max-Age (400 days for "no expiry"): dropped, so the cookie ends with the browser. */
function browserSessionCookie(cookie: { attributes: { maxAge?: number; expires?: Date }; serialize(): string }): string {
  delete cookie.attributes.maxAge;
  delete cookie.attributes.expires;
  return cookie.serialize();
}

export async function signIn(request: Request, emailRaw: string, password: string): Promise<SignInResult> {
  const db = getDb();
  const email = emailRaw.trim().toLowerCase();
  const ip = clientIp(request);
  const limited = await passwordThrottle(email, ip);
  if (limited) return { ok: false, ...limited };
  const [user] = await db.select().from(users).where(eq(users.email, email));
  dummyHash ??= hashPassword('not-a-real-password');
  const ok = user ? await verifyPassword(user.passwordHash, password) : (await verifyPassword(await dummyHash, password), false);
  if (!user || !ok || !user.active) {
    await db.insert(loginAttempts).values({ email, ip });
    return { ok: false, reason: 'invalid', message: 'Email or password is incorrect.' };
  }
  const l = getLucia();
  // A new session id at every sign-in (no fixation): any id the browser sent is discarded.
  const old = readSessionId(request);
  if (old) {
    forgetLookups(old);
    await l.invalidateSession(old);
  }
  const session = await l.createSession(user.id, { createdAt: new Date() });
  const headers = new Headers();
  headers.append('Set-Cookie', browserSessionCookie(l.createSessionCookie(session.id)));
  await writeAudit(db, { actorId: user.id, action: 'auth.sign_in', ip });
  return { ok: true, headers, userId: user.id };
}

export async function signOut(request: Request): Promise<Headers> {
  const l = getLucia();
  const id = readSessionId(request);
  if (id) {
    forgetLookups(id);
    await l.invalidateSession(id);
  }
  const headers = new Headers();
  headers.append('Set-Cookie', l.createBlankSessionCookie().serialize());
  return headers;
}

/** Sets a new password and ends every session of the user, then opens a fresh one. */
export async function changePassword(args: { request: Request; userId: string; current: string; next: string }) {
  const db = getDb();
  const [user] = await db.select().from(users).where(eq(users.id, args.userId));
  if (!user) return { ok: false as const, message: 'Your current password is not correct.' };
  const ip = clientIp(args.request);
  const limited = await passwordThrottle(user.email, ip);
  if (limited) return { ok: false as const, throttled: true, message: limited.message };
  if (!(await verifyPassword(user.passwordHash, args.current))) {
    await db.insert(loginAttempts).values({ email: user.email, ip });
    return { ok: false as const, message: 'Your current password is not correct.' };
  }
  const l = getLucia();
  const passwordHash = await hashPassword(args.next);
  await db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash, mustChangePassword: false, passwordChangedAt: new Date() }).where(eq(users.id, user.id));
    await writeAudit(tx, { actorId: user.id, action: 'auth.password_change', ip: clientIp(args.request) });
  });
  forgetLookups();
  await l.invalidateUserSessions(user.id);
  const session = await l.createSession(user.id, { createdAt: new Date() });
  const headers = new Headers();
  headers.append('Set-Cookie', browserSessionCookie(l.createSessionCookie(session.id)));
  return { ok: true as const, headers };
}

/** Ends every session of a user (deactivation, password reset by an admin). */
export async function endUserSessions(userId: string) {
  forgetLookups();
  await getLucia().invalidateUserSessions(userId);
}
