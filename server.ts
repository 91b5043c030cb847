/**
 * The Truthline server: Express + Remix. Migrations at start, request size limits, /healthz,
 * the scheduled-event poller, 503 while the database is unreachable, graceful shutdown.
 */
import path from 'node:path';
import express from 'express';
import { createRequestHandler } from '@remix-run/express';
import type { ServerBuild } from '@remix-run/node';
import { ConfigError, dataRoot, openFromEnv, isEmptyDatabase, parseDatabaseUrl } from './db/client.ts';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(fileURLToPath(import.meta.url));
// Where `remix build` wrote its output (see remix.config.js).
const BUILD = path.resolve(ROOT, process.env.TRUTHLINE_BUILD_DIR ?? '.');
import { LockedError } from './db/lock.ts';
import { installDb } from './db/index.ts';
import { originAllowed } from './app/lib/origin.ts';
import { seedDemo, DEMO_PASSWORD, DEMO_ACCOUNTS } from './seed/demo.ts';
import { startScheduler } from './workflows/scheduler.ts';
import { REQUEST_DEADLINE_MS } from './app/lib/deadline.ts';
import { setStaleAtStart, STALE_MS, startJobRunner } from './jobs/runner.ts';
import './app/jobs.server.ts';

const MAX_BODY_BYTES = Number(process.env.MAX_BODY_BYTES ?? 10 * 1024 * 1024);

function fail(msg: string): never {
  process.stderr.write(`truthline: ${msg}\n`);
  process.exit(1);
}

async function main() {
  process.env.NODE_ENV ??= 'production';
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be a port number, got "${process.env.PORT}"`);
  if (process.env.DATABASE_URL) {
    try {
      parseDatabaseUrl(process.env.DATABASE_URL);
    } catch (e) {
      fail((e as Error).message);
    }
  }
  if (process.env.APP_URL) {
    try {
      new URL(process.env.APP_URL);
    } catch {
      fail(`APP_URL is not a valid URL: "${process.env.APP_URL}"`);
    }
  }

  let handle;
  try {
    handle = await openFromEnv({ lock: true });
  } catch (e) {
    if (e instanceof ConfigError || e instanceof LockedError) fail(e.message);
    throw e;
  }
  installDb(handle);
  try {
    await handle.migrate();
  } catch (e) {
    fail(`could not apply migrations to ${handle.where}: ${(e as Error).message}`);
  }
  const demo = process.env.TRUTHLINE_DEMO === '1' || (handle.kind === 'pglite' && (await isEmptyDatabase(handle.db)));
  if (demo && (await isEmptyDatabase(handle.db))) {
    process.stdout.write('Seeding the demo data (first start of an empty database)…\n');
    await seedDemo({ db: handle.db, dataDir: dataRoot() });
  }

  // Scheduled events (follow-up windows) fire from stored due times, also those missed while down.
  const scheduler = startScheduler({ intervalMs: Number(process.env.SCHEDULER_INTERVAL_MS ?? 30_000) });

  // Background jobs (imports, exports, releases) from the jobs table; the embedded database
  // belongs to this process alone, so a job still marked running was cut off by the last stop.
  setStaleAtStart(handle.kind === 'pglite' ? 0 : STALE_MS);
  const jobRunner = startJobRunner({ intervalMs: Number(process.env.JOBS_INTERVAL_MS ?? 2_000) });

  let dbUp = true;
  const probe = setInterval(async () => {
    dbUp = await handle.ping();
  }, 5000);
  probe.unref();

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.get('/healthz', async (_req, res) => {
    dbUp = await handle.ping();
    res.status(dbUp ? 200 : 503).json({ status: dbUp ? 'ok' : 'unavailable', database: dbUp ? 'reachable' : 'unreachable', driver: handle.kind });
  });

  app.use((req, res, next) => {
    // Downstream code reads the client address from here, never from a header the client set.
    req.headers['x-truthline-client-ip'] = req.ip ?? 'unknown';
    if (!originAllowed({ method: req.method, origin: req.headers.origin, referer: req.headers.referer, host: req.headers.host, protocol: req.protocol, appUrl: process.env.APP_URL })) {
      res.status(403).type('text/plain').send('Refused: this request came from another site (Origin does not match).');
      return;
    }
    const len = Number(req.headers['content-length'] ?? 0);
    if (len > MAX_BODY_BYTES) {
      res.status(413).type('text/plain').send(`Request too large: the limit is ${MAX_BODY_BYTES} bytes.`);
      return;
    }
    let seen = 0;
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > MAX_BODY_BYTES && !res.headersSent) {
        res.status(413).type('text/plain').send(`Request too large: the limit is ${MAX_BODY_BYTES} bytes.`);
        req.destroy();
      }
    });
    next();
  });

  app.use('/build', express.static(path.join(BUILD, 'public/build'), { immutable: true, maxAge: '1y' }));
  // The viewer bundle (npm run build); demo images are served only through the case's access-checked path.
  app.use('/viewer', express.static(path.join(BUILD, 'public/viewer'), { maxAge: '1h' }));
  app.use(express.static(path.join(ROOT, 'public'), { maxAge: '1h' }));
  app.get('/favicon.ico', (_req, res) => res.redirect(301, '/favicon.svg'));

  app.use((_req, res, next) => {
    if (dbUp) return next();
    res
      .status(503)
      .type('html')
      .send(
        '<!doctype html><title>Truthline is unavailable</title><main style="font-family:system-ui;max-width:40rem;margin:4rem auto">' +
          '<h1>Truthline cannot reach its database</h1><p>Nothing you entered has been lost: no change was made. ' +
          'Try again in a minute; if this persists, tell your administrator.</p></main>',
      );
  });

  // The request deadline: the client gets an answer; work that takes requestSignal() stops.
  app.use((_req, res, next) => {
    res.setTimeout(REQUEST_DEADLINE_MS, () => {
      if (!res.headersSent) res.status(503).set('Retry-After', '1').json({ error: { code: 'deadline', message: `the server did not answer within ${REQUEST_DEADLINE_MS} ms; nothing was changed by the unfinished part` } });
    });
    next();
  });

  const build = (await import(path.join(BUILD, 'build/index.js'))) as ServerBuild;
  app.all('*', createRequestHandler({ build, mode: process.env.NODE_ENV }));

  const server = app.listen(port, host, () => {
    const url = `http://${host}:${(server.address() as { port: number }).port}`;
    process.stdout.write(`Truthline is listening on ${url} (database: ${handle.kind}, ${handle.where})\n`);
    if (demo) {
      process.stdout.write(`Demo sign-ins (password "${DEMO_PASSWORD}"):\n`);
      for (const a of DEMO_ACCOUNTS) process.stdout.write(`  ${a.email.padEnd(26)} ${a.note}\n`);
    }
  });
  // Behind a load balancer (idle timeout typically 60 s) the app must not close kept-alive
  // connections first, or requests racing the close fail; headers must still arrive promptly.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    process.stdout.write(`${signal}: shutting down…\n`);
    clearInterval(probe);
    server.close();
    server.closeAllConnections?.();
    await scheduler.stop();
    // A running job is not waited for: it is queued again at the next start (jobs/runner.ts).
    await Promise.race([jobRunner.stop(), new Promise((r) => setTimeout(r, 2000))]);
    await handle.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((e) => {
  process.stderr.write(`truthline: failed to start: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
