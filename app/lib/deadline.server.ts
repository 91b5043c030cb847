/**
 * Every request has a server-side deadline: past it the client gets a 503 (server.ts) and work
 * that takes a signal (the next-case choice) is rolled back; the same happens when the client
 * goes away (Remix aborts `request.signal` on a closed connection).
 */
export const REQUEST_DEADLINE_MS = Number(process.env.TRUTHLINE_REQUEST_DEADLINE_MS ?? 20_000);

/** Aborts when the client disconnects or the request's deadline passes. */
export function requestSignal(request: Request, ms = REQUEST_DEADLINE_MS): AbortSignal {
  return AbortSignal.any([request.signal, AbortSignal.timeout(ms)]);
}
