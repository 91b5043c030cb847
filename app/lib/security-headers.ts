/**
 * The Content-Security-Policy (server.ts applies it with helmet; the nonce is per response).
 * Scripts: our bundles and Remix's inline scripts, which carry the nonce. Styles may be inline
 * (React `style` attributes). The DICOM viewer's codecs compile WebAssembly and decode in blob:
 * workers: without 'wasm-unsafe-eval' and worker-src blob: a compressed image renders black
 * with no error raised.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Loader context server.ts gives Remix: the CSP nonce, and what entry.server saw go wrong. */
export type RequestContext = { cspNonce: string; failure: 'database' | 'malformed' | 'nul' | null };

type Directive = string | ((req: IncomingMessage, res: ServerResponse) => string);

export function contentSecurityPolicy(opts: { https: boolean }): Record<string, Directive[] | null> {
  const nonce: Directive = (_req, res) => `'nonce-${(res as ServerResponse & { locals: { cspNonce: string } }).locals.cspNonce}'`;
  return {
    'default-src': ["'self'"],
    'script-src': ["'self'", nonce, "'wasm-unsafe-eval'"],
    'script-src-attr': ["'none'"],
    'worker-src': ["'self'", 'blob:'],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'", 'data:'],
    'connect-src': ["'self'"],
    'media-src': ["'self'", 'blob:'],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    ...(opts.https ? { 'upgrade-insecure-requests': [] } : {}),
  };
}

/** The DICOM decode worker's script, built by scripts/build-viewer.mjs beside the viewer. */
export const DECODE_WORKER_PATH = '/viewer/decodeImageFrameWorker.js';

/**
 * The decode worker's own policy. A dedicated worker loaded from a same-origin URL runs under the
 * policy of its script's response, not the page's, so this one script may use the Function
 * constructor while every page keeps refusing eval. Three of the loader's codecs (JPEG baseline,
 * JPEG-LS, HTJ2K; and JPEG 2000 at start-up) are Emscripten builds whose embind glue compiles its
 * invokers with `new Function` from fixed templates; without this they fail to start and those
 * images never render. The worker has no DOM and may fetch only from this origin (its .wasm).
 * Decision: docs/decisions/lint-0002-viewer-codecs-eval.md.
 */
export function decodeWorkerPolicy(): string {
  return ["default-src 'none'", "script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'", "connect-src 'self'", "base-uri 'none'", "form-action 'none'"].join('; ');
}
