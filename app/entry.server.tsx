/**
 * Server rendering: Remix's default Node entry, plus the CSP nonce on every script Remix
 * writes, and `Cache-Control: no-store` on pages and loader data unless a route chose otherwise
 * (pages carry personal data; a shared or back-button cache must not keep them).
 */
import { PassThrough } from 'node:stream';
import type { AppLoadContext, EntryContext, HandleDataRequestFunction } from '@remix-run/node';
import { createReadableStreamFromReadable } from '@remix-run/node';
import { RemixServer } from '@remix-run/react';
import { isbot } from 'isbot';
import { renderToPipeableStream } from 'react-dom/server';
import { NonceContext } from './lib/nonce.ts';
import { badValueError, isConnectionError } from './lib/db-errors.ts';
import type { RequestContext } from './lib/security-headers.ts';

const ABORT_DELAY = 5_000;

function noStore(headers: Headers) {
  if (!headers.has('Cache-Control')) headers.set('Cache-Control', 'no-store');
}

export const handleDataRequest: HandleDataRequestFunction = (response) => {
  noStore(response.headers);
  return response;
};

export default function handleRequest(request: Request, responseStatusCode: number, responseHeaders: Headers, remixContext: EntryContext, loadContext: AppLoadContext) {
  const nonce = typeof loadContext?.cspNonce === 'string' ? loadContext.cspNonce : '';
  const waitForAll = isbot(request.headers.get('user-agent') ?? '') || remixContext.isSpaMode;
  return new Promise((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(
      <NonceContext.Provider value={nonce}>
        <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
      </NonceContext.Provider>,
      {
        nonce,
        [waitForAll ? 'onAllReady' : 'onShellReady']() {
          shellRendered = true;
          const body = new PassThrough();
          const stream = createReadableStreamFromReadable(body);
          responseHeaders.set('Content-Type', 'text/html');
          noStore(responseHeaders);
          resolve(new Response(stream, { headers: responseHeaders, status: responseStatusCode }));
          pipe(body);
        },
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          // Errors inside the shell are logged by onShellError's caller; these are streamed ones.
          if (shellRendered) console.error(error);
        },
      },
    );
    setTimeout(abort, ABORT_DELAY);
  });
}

/**
 * Errors a loader or action did not handle: tell server.ts when they mean "database away" or a
 * value the database refused, so the client gets a 503 or a 4xx instead of a 500.
 */
export function handleError(error: unknown, { request, context }: { request: Request; context: AppLoadContext }) {
  const ctx = context as Partial<RequestContext>;
  if (isConnectionError(error)) ctx.failure = 'database';
  else {
    const bad = badValueError(error);
    if (bad) ctx.failure = bad;
  }
  if (!request.signal.aborted && !ctx.failure) console.error(error);
}
