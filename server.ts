/**
 * The Truthline server: Express + Remix. Migrations at start, security headers (helmet, with a
 * per-request CSP nonce), CSRF origin check, request size limits, refusal of malformed addresses,
 * /healthz, the scheduled-event poller, 503 while the database is unreachable (JSON under /api),
 * graceful shutdown.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import express from 'express';
import helmet from 'helmet';
import compression from 'compression';
import { createReadableStreamFromReadable, createRequestHandler, writeReadableStreamToWritable, type ServerBuild } from '@remix-run/node';
import { ConfigError, dataRoot, openFromEnv, isEmptyDatabase, parseDatabaseUrl } from './db/client.ts';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(fileURLToPath(import.meta.url));
// Where `remix build` wrote its output (see remix.config.js).
const BUILD = path.resolve(ROOT, process.env.TRUTHLINE_BUILD_DIR ?? '.');
import { LockedError } from './db/lock.ts';
import { installDb } from './db/index.ts';
import { originAllowed } from './app/lib/origin.ts';
import { checkAddress } from './app/lib/request-edge.ts';
import { installTestClockFromEnv } from './app/lib/test-clock.server.ts';
import { contentSecurityPolicy, DECODE_WORKER_PATH, decodeWorkerPolicy, type RequestContext } from './app/lib/security-headers.ts';
import { seedDemo, DEMO_PASSWORD, DEMO_ACCOUNTS } from './seed/demo.ts';
import { startScheduler } from './workflows/scheduler.ts';
import { REQUEST_DEADLINE_MS } from './app/lib/deadline.server.ts';
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
  const clockRefused = installTestClockFromEnv({ kind: handle.kind, dataDir: dataRoot() });
  if (clockRefused) fail(clockRefused);
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

  const isApi = (req: express.Request) => req.path.startsWith('/api/');
  /** A refusal before Remix runs: the API's JSON error format under /api, a short page elsewhere. */
  const refuse = (req: express.Request, res: express.Response, status: number, code: string, message: string, extra: Record<string, string> = {}) => {
    res.status(status).set({ 'Cache-Control': 'no-store', ...extra });
    if (isApi(req)) res.json({ error: { code, message, details: null } });
    else res.type('html').send(plainPage(status === 503 ? 'Truthline cannot reach its database' : `Error ${status}`, message));
  };

  app.use((_req, res, next) => {
    res.locals.cspNonce = randomBytes(16).toString('base64');
    next();
  });
  app.use(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy({ https: (process.env.APP_URL ?? '').startsWith('https:') }) },
      referrerPolicy: { policy: 'same-origin' },
      strictTransportSecurity: (process.env.APP_URL ?? '').startsWith('https:'),
      crossOriginEmbedderPolicy: false,
    }),
  );

  app.use((req, res, next) => {
    // Downstream code reads the client address from here, never from a header the client set.
    req.headers['x-truthline-client-ip'] = req.ip ?? 'unknown';
    const bad = checkAddress(req.originalUrl);
    if (bad) return refuse(req, res, bad.status, bad.status === 404 ? 'not_found' : 'bad_request', bad.message);
    if (
      !originAllowed({
        method: req.method,
        origin: req.headers.origin,
        referer: req.headers.referer,
        fetchSite: req.headers['sec-fetch-site'],
        host: req.headers.host,
        protocol: req.protocol,
        appUrl: process.env.APP_URL,
      })
    ) {
      return refuse(req, res, 403, 'forbidden', 'Refused: this request came from another site (Origin does not match).');
    }
    const tooLarge = `Request too large: the limit is ${MAX_BODY_BYTES} bytes.`;
    const len = Number(req.headers['content-length'] ?? 0);
    if (len > MAX_BODY_BYTES) return refuse(req, res, 413, 'payload_too_large', tooLarge, { Connection: 'close' });
    if (req.headers['transfer-encoding'] === undefined || req.method === 'GET' || req.method === 'HEAD') return next();
    // A chunked body announces no size: read it here, within the limit, so that an oversized one
    // gets a 413 the client can read (the rest is drained, not cut off mid-stream).
    const chunks: Buffer[] = [];
    let seen = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      seen += chunk.length;
      if (seen > MAX_BODY_BYTES) {
        refused = true;
        chunks.length = 0;
        refuse(req, res, 413, 'payload_too_large', tooLarge, { Connection: 'close' });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      res.locals.body = Buffer.concat(chunks);
      next();
    });
    req.on('error', next);
  });

  // gzip for text (pages, loader data, JS, CSS): the reading page's JavaScript goes over the wire
  // at about a third of its size (bench/page-weight.ts). Streamed responses are flushed as written.
  app.use(compression());
  app.use('/build', express.static(path.join(BUILD, 'public/build'), { immutable: true, maxAge: '1y' }));
  // The viewer bundle (npm run build); demo images are served only through the case's access-checked path.
  // The decode worker runs under its own, narrower policy (security-headers.ts): set before it is served.
  app.get(DECODE_WORKER_PATH, (_req, res, next) => {
    res.setHeader('Content-Security-Policy', decodeWorkerPolicy());
    next();
  });
  app.use('/viewer', express.static(path.join(BUILD, 'public/viewer'), { maxAge: '1h' }));
  app.use(express.static(path.join(ROOT, 'public'), { maxAge: '1h' }));
  app.get('/favicon.ico', (_req, res) => res.redirect(301, '/favicon.svg'));

  app.use((req, res, next) => {
    if (dbUp) return next();
    refuse(
      req,
      res,
      503,
      'unavailable',
      'Truthline cannot reach its database. Nothing you entered has been lost: no change was made. Try again in a minute; if this persists, tell your administrator.',
      { 'Retry-After': '10' },
    );
  });

  // The request deadline: the client gets an answer; work that takes requestSignal() stops.
  app.use((_req, res, next) => {
    res.setTimeout(REQUEST_DEADLINE_MS, () => {
      if (!res.headersSent)
        res
          .status(503)
          .set('Retry-After', '1')
          .json({
            error: {
              code: 'deadline',
              // The answer can be late after the write committed: never claim nothing was saved.
              message: `the server did not answer within ${REQUEST_DEADLINE_MS} ms. What it had not finished was stopped, but a change may already have been saved: reload to see it, or repeat the request with the same client request id (a repeat is never recorded twice)`,
            },
          });
    });
    next();
  });

  const build = (await import(path.join(BUILD, 'build/index.js'))) as ServerBuild;
  const handleRequest = createRequestHandler(build, process.env.NODE_ENV);
  app.all('*', async (req, res, next) => {
    try {
      const request = remixRequest(req, res);
      const context: RequestContext = { cspNonce: res.locals.cspNonce as string, failure: null };
      let response = await handleRequest(request, context);
      if (context.failure === 'database' || response.status === 503) dbUp = false;
      response = await edgeResponse({ response, failure: context.failure, api: isApi(req) });
      await sendResponse(res, response);
    } catch (e) {
      next(e);
    }
  });

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

/** As @remix-run/express builds it, but with a body read here already (chunked uploads). */
function remixRequest(req: express.Request, res: express.Response): Request {
  const url = new URL(`${req.protocol}://${req.get('host') ?? 'localhost'}${req.originalUrl}`);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else if (v !== undefined) headers.set(k, v);
  }
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const init: RequestInit & { duplex?: 'half' } = { method: req.method, headers, signal: controller.signal };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const body = res.locals.body as Buffer | undefined;
    init.body = body ? new Blob([new Uint8Array(body)]) : createReadableStreamFromReadable(req);
    init.duplex = 'half';
  }
  return new Request(url.href, init);
}

async function sendResponse(res: express.Response, response: Response) {
  res.statusMessage = response.statusText;
  res.status(response.status);
  for (const [key, value] of response.headers.entries()) res.append(key, value);
  if (response.body) await writeReadableStreamToWritable(response.body, res);
  else res.end();
}

function plainPage(title: string, message: string): string {
  const esc = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><meta charset="utf-8"><title>${esc(title)} — Truthline</title><main style="font-family:system-ui;max-width:40rem;margin:4rem auto"><h1>${esc(title)}</h1><p>${esc(message)}</p><p><a href="/">Go to your projects</a></p></main>`;
}

const API_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  503: 'unavailable',
};

async function isApiErrorDocument(r: Response): Promise<boolean> {
  if (!(r.headers.get('Content-Type') ?? '').includes('json')) return false;
  try {
    const doc = (await r.json()) as { error?: { code?: unknown } };
    return typeof doc?.error?.code === 'string';
  } catch {
    return false;
  }
}

/**
 * Last look at a Remix response: a failure a route did not catch that means "database away" is
 * a 503, a malformed value the database refused is a 4xx; under /api every error is the API's
 * JSON error document (e.g. Remix's own 405 for a GET on an action-only route); no response
 * leaves without a Cache-Control (routes that may be cached say so themselves).
 */
async function edgeResponse(args: { response: Response; failure: RequestContext['failure']; api: boolean }): Promise<Response> {
  let { response } = args;
  if (response.status >= 500 && args.failure) {
    const [status, message] =
      args.failure === 'database'
        ? [503, 'Truthline cannot reach its database. Nothing you entered has been lost: no change was made. Try again in a minute.']
        : args.failure === 'malformed'
          ? [404, 'There is nothing at this address: an id in it is malformed.']
          : [400, 'A value you sent contains a NUL byte, which text cannot hold. Remove it and try again.'];
    const headers = { 'Cache-Control': 'no-store', ...(status === 503 ? { 'Retry-After': '10' } : {}) };
    response = args.api
      ? new Response(JSON.stringify({ error: { code: API_CODES[status], message, details: null } }), {
          status,
          headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8' },
        })
      : new Response(plainPage(status === 503 ? 'Truthline cannot reach its database' : `Error ${status}`, message), {
          status,
          headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' },
        });
  } else if (args.api && response.status >= 400 && !(await isApiErrorDocument(response.clone()))) {
    const text = (await response.text()).trim();
    const status = response.status;
    const code = API_CODES[status] ?? (status >= 500 ? 'internal' : 'bad_request');
    const message =
      status === 405
        ? 'This method is not allowed here: see the OpenAPI document (/api/v1/openapi.json) for the methods of each endpoint.'
        : status >= 500
          ? 'Something went wrong on the server. The request may be retried.'
          : text.startsWith('{')
            ? 'The request was refused.'
            : text.slice(0, 500) || 'request refused';
    response = new Response(JSON.stringify({ error: { code, message, details: null } }), {
      status,
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    });
  }
  if (!response.headers.has('Cache-Control')) response.headers.set('Cache-Control', 'no-store');
  return response;
}

main().catch((e) => {
  process.stderr.write(`truthline: failed to start: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
