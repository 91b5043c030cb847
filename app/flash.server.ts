/** One-shot messages shown after an action ("Read saved", "3 cases imported"). */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createCookieSessionStorage, redirect } from '@remix-run/node';
import { dataRoot } from '../db/client.ts';

export type Flash = { kind: 'success' | 'error' | 'info'; message: string };

function secret(): string {
  if (process.env.SESSION_SECRET) return process.env.SESSION_SECRET;
  // Embedded mode: keep a generated secret beside the data so restarts keep cookies valid.
  if (!process.env.DATABASE_URL) {
    const file = path.join(dataRoot(), 'session-secret');
    try {
      return fs.readFileSync(file, 'utf8').trim();
    } catch {
      const s = randomBytes(32).toString('hex');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, s, { mode: 0o600 });
      return s;
    }
  }
  return ((globalThis as { __tlSecret?: string }).__tlSecret ??= randomBytes(32).toString('hex'));
}

type FlashStorage = ReturnType<typeof createCookieSessionStorage<Record<string, never>, { flash: Flash }>>;
let storage: FlashStorage | undefined;
function flashStorage() {
  storage ??= createCookieSessionStorage<Record<string, never>, { flash: Flash }>({
    cookie: {
      name: 'truthline_flash',
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: (process.env.APP_URL ?? '').startsWith('https:'),
      secrets: [secret()],
    },
  });
  return storage;
}

export async function getFlash(request: Request): Promise<{ flash: Flash | null; headers: Headers }> {
  const s = flashStorage();
  const session = await s.getSession(request.headers.get('Cookie'));
  const flash = (session.get('flash') as Flash | undefined) ?? null;
  const headers = new Headers();
  if (flash) headers.append('Set-Cookie', await s.commitSession(session));
  return { flash, headers };
}

export async function flashHeaders(flash: Flash, request?: Request): Promise<Headers> {
  const s = flashStorage();
  const session = await s.getSession(request?.headers.get('Cookie'));
  session.flash('flash', flash);
  const headers = new Headers();
  headers.append('Set-Cookie', await s.commitSession(session));
  return headers;
}

export async function redirectWithFlash(to: string, flash: Flash, extra?: Headers): Promise<Response> {
  const headers = await flashHeaders(flash);
  extra?.forEach((v, k) => headers.append(k, v));
  return redirect(to, { headers });
}
