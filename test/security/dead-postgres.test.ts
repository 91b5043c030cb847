/**
 * A real PostgreSQL that goes away under the running server: the server reaches the database
 * through a TCP relay that the test closes (every open connection cut, the port refusing new
 * ones), as a crashed or restarted database server or a dropped network looks to the app.
 * While it is gone, a page gets the short HTML 503 page (never a 500, never the app's error
 * page with a stack), the API its JSON error with code `unavailable`, a write is refused without
 * being half done (no session handed out); when the relay comes back the server recovers without
 * a restart and the session acknowledged before the outage still signs its holder in.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type Running } from '../browser/harness.ts';

const PG = process.env.TEST_DATABASE_URL;
const PASSWORD = 'truthline-demo';

/** A TCP relay to PostgreSQL that can be cut (all sockets destroyed, port closed) and restored. */
function relay(target: URL) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 5432), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  return {
    listen,
    get port() {
      return port;
    },
    async cut() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      server = null;
    },
  };
}

async function signIn(base: string, email: string): Promise<string> {
  const r = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: base },
    body: new URLSearchParams({ email, password: PASSWORD, redirectTo: '/' }),
  });
  const c = r.headers.get('set-cookie');
  if (!c) throw new Error(`no session for ${email}: ${r.status}`);
  return c.split(';')[0];
}

describe.skipIf(!PG)('PostgreSQL going away under the running server', () => {
  const name = `truthline_deadpg_${randomBytes(4).toString('hex')}`;
  let admin: ReturnType<typeof postgres>;
  let link: ReturnType<typeof relay>;
  let srv: Running;

  beforeAll(async () => {
    admin = postgres(PG!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const target = new URL(PG!);
    link = relay(target);
    await link.listen();
    const url = new URL(PG!);
    url.port = String(link.port);
    url.pathname = `/${name}`;
    // The server migrates the empty database and seeds the demo on it.
    srv = await startServer({ env: { DATABASE_URL: url.toString(), TRUTHLINE_DEMO: '1' } });
  }, 600_000);

  afterAll(async () => {
    await srv?.stop();
    await link?.cut();
    await admin?.unsafe(`drop database if exists ${name} with (force)`);
    await admin?.end();
  });

  it('pages answer the HTML 503 page and the API its JSON 503 while it is gone, and both recover', { timeout: 180_000 }, async () => {
    const base = srv.url;
    const cookie = await signIn(base, 'lead@example.org');
    expect((await fetch(`${base}/projects/chest-pneumothorax/cases`, { headers: { Cookie: cookie } })).status).toBe(200);

    await link.cut();

    // The first requests after the cut reach the app before the health poller notices.
    const page = await fetch(`${base}/projects/chest-pneumothorax/cases`, { headers: { Cookie: cookie } });
    expect(page.status).toBe(503);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('Truthline cannot reach its database');
    expect(html).not.toMatch(/at \S+ \(|node_modules|ECONN/);

    const api = await fetch(`${base}/api/v1/projects`, { headers: { Authorization: `Bearer tl_${'0'.repeat(40)}` } });
    expect(api.status).toBe(503);
    expect(api.headers.get('content-type')).toMatch(/application\/json/);
    expect((await api.json()).error.code).toBe('unavailable');

    const write = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: base },
      body: new URLSearchParams({ email: 'reader1@example.org', password: PASSWORD, redirectTo: '/' }),
    });
    expect(write.status).toBe(503);
    expect(write.headers.get('set-cookie')).toBeNull();

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unavailable', database: 'unreachable' });

    // Back on the same port: the server answers again without a restart.
    await link.listen();
    let back = 0;
    for (let i = 0; i < 60 && back !== 200; i++) {
      back = (await fetch(`${base}/healthz`)).status;
      if (back !== 200) await new Promise((r) => setTimeout(r, 500));
    }
    expect(back).toBe(200);
    expect((await fetch(`${base}/projects/chest-pneumothorax/cases`, { headers: { Cookie: cookie } })).status).toBe(200);
    expect(await signIn(base, 'reader1@example.org')).toMatch(/=/);
  });
});
