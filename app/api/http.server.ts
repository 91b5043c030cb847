/**
 * The API's plumbing: JSON error documents `{"error": {"code", "message", "details"}}` with
 * stable codes, the wrapper every API loader/action runs in, body reading with size limits,
 * query parsing and opaque cursors.
 */
import { z } from 'zod';
import { AppError, EventRefused } from '../../domain/errors.ts';
import { isUuid } from '../../domain/vocabulary.ts';
import { ERROR_STATUS, type ApiErrorCode } from './schemas.ts';
import { badValueError, isConnectionError } from '../lib/db-errors.ts';

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly details: unknown;
  constructor(code: ApiErrorCode, message: string, details: unknown = null) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = details;
  }
}

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

export function errorResponse(e: ApiError): Response {
  const headers: Record<string, string> = e.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="truthline"' } : {};
  return jsonResponse({ error: { code: e.code, message: e.message, details: e.details ?? null } }, e.status, headers);
}

/** Maps the models' and the runtime's typed failures to API errors. */
export function fromAppError(e: AppError): ApiError {
  switch (e.code) {
    case 'not_found':
      return new ApiError('not_found', e.message);
    case 'forbidden':
      return new ApiError('forbidden', e.message);
    case 'invalid':
      return new ApiError('validation_failed', e.message, e.field ? { field: e.field } : null);
    case 'refused':
      return new ApiError('state_conflict', e.message, e instanceof EventRefused ? { state: e.state } : null);
    case 'conflict':
      return new ApiError('idempotency_conflict', e.message);
    case 'unavailable':
      return new ApiError('unavailable', e.message);
  }
}

/** Zod issues as `details`: one entry per problem with its path. */
export function issuesOf(error: z.ZodError, prefix: (string | number)[] = []): { path: (string | number)[]; message: string }[] {
  return error.issues.map((i) => ({ path: [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], message: i.message }));
}

type Handler = (args: { request: Request; params: Record<string, string | undefined> }) => Promise<Response>;

/**
 * Runs an API handler: every failure becomes a JSON error (unexpected ones a 500 without
 * internals). Thrown Responses from shared helpers are turned into JSON as well.
 */
export function apiRoute(handler: Handler) {
  return async (args: { request: Request; params: Record<string, string | undefined>; context?: unknown }): Promise<Response> => {
    try {
      return await handler({ request: args.request, params: args.params });
    } catch (e) {
      if (e instanceof ApiError) return errorResponse(e);
      if (e instanceof AppError) return errorResponse(fromAppError(e));
      if (e instanceof Response) {
        const code: ApiErrorCode =
          e.status === 401 ? 'unauthorized' : e.status === 403 ? 'forbidden' : e.status === 404 ? 'not_found' : e.status === 413 ? 'payload_too_large' : 'bad_request';
        return errorResponse(new ApiError(code, (await e.text().catch(() => '')) || 'request refused'));
      }
      // The health probe notices a dead database seconds later; this request knows now.
      if (isConnectionError(e)) return errorResponse(new ApiError('unavailable', 'Truthline cannot reach its database. No change was made; retry in a minute.'));
      const bad = badValueError(e);
      if (bad === 'malformed') return errorResponse(new ApiError('not_found', 'There is nothing at this address: an id in it is malformed.'));
      if (bad === 'nul') return errorResponse(new ApiError('bad_request', 'A value you sent contains a NUL byte, which text cannot hold.'));
      console.error('API error', e);
      return jsonResponse({ error: { code: 'internal', message: 'Something went wrong on the server. The request may be retried.', details: null } }, 500);
    }
  };
}

export const DEFAULT_BODY_LIMIT = 64 * 1024;
export const BULK_BODY_LIMIT = 4 * 1024 * 1024;

/**
 * Reads a JSON body: 415 unless JSON, 413 over the limit (by Content-Length, and by the bytes
 * actually read for chunked bodies), 400 when it does not parse.
 */
export async function readJson(request: Request, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const type = (request.headers.get('Content-Type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new ApiError('unsupported_media_type', 'Send the body as JSON (Content-Type: application/json).');
  const declared = Number(request.headers.get('Content-Length') ?? '0');
  if (declared > limit) throw new ApiError('payload_too_large', `The body is ${declared} bytes; this endpoint accepts at most ${limit}.`, { limit });
  const reader = request.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw new ApiError('payload_too_large', `The body is larger than ${limit} bytes, the limit of this endpoint.`, { limit });
      }
      chunks.push(value);
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch (e) {
    throw new ApiError('invalid_json', `The body is not valid JSON: ${(e as Error).message}`);
  }
  const at = nulPath(body, []);
  if (at)
    throw new ApiError('bad_request', `The field ${at.join('.') || '(body)'} contains a NUL byte (\\u0000), which text cannot hold.`, [
      { path: at, message: 'contains a NUL byte' },
    ]);
  return body;
}

/** Path of the first string (or key) holding a NUL byte. */
function nulPath(v: unknown, path: (string | number)[]): (string | number)[] | null {
  if (typeof v === 'string') return v.includes('\u0000') ? path : null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = nulPath(v[i], [...path, i]);
      if (p) return p;
    }
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k.includes('\u0000')) return [...path, k];
      const p = nulPath(x, [...path, k]);
      if (p) return p;
    }
  }
  return null;
}

/** Parses a body with a schema: 422 with one detail per problem. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw new ApiError('validation_failed', 'The request body is not valid.', issuesOf(r.error));
  return r.data;
}

/** Parses the query string with a schema: 400 with one detail per problem. */
export function parseQuery<S extends z.ZodType>(schema: S, request: Request): z.output<S> {
  const url = new URL(request.url);
  const r = schema.safeParse(Object.fromEntries(url.searchParams.entries()));
  if (!r.success) throw new ApiError('bad_request', 'The query parameters are not valid.', issuesOf(r.error));
  return r.data;
}

/**
 * The loader of an action-only endpoint: a GET is 405 JSON with `Allow`, not Remix's bare 400.
 * It is not a GET operation: `allowedMethods` marks it (the OpenAPI check tells it from a real loader).
 */
export function onlyMethods(...methods: string[]) {
  const loader = async (_args: { request: Request }): Promise<Response> => {
    const e = new ApiError('method_not_allowed', `Use ${methods.join(' or ')} here.`);
    const r = errorResponse(e);
    r.headers.set('Allow', methods.join(', '));
    return r;
  };
  return Object.assign(loader, { allowedMethods: methods as readonly string[] });
}

/** Whether a route's loader answers GET itself (not only 405 for an action-only endpoint). */
export function servesGet(loader: unknown): boolean {
  return typeof loader === 'function' && !('allowedMethods' in loader);
}

export function requireMethod(request: Request, ...methods: string[]) {
  if (!methods.includes(request.method.toUpperCase())) {
    throw new ApiError('method_not_allowed', `Use ${methods.join(' or ')} here.`);
  }
}

// ── opaque cursors: base64url of a small JSON (sort key + id) ─────────────────────

export type Cursor = { t: string; id: string };

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.t, c.id]), 'utf8').toString('base64url');
}

export function decodeCursor(s: string | undefined): Cursor | null {
  if (s === undefined || s === '') return null;
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && !Number.isNaN(Date.parse(v[0])) && isUuid(v[1])) return { t: v[0], id: v[1] };
  } catch {
    /* fall through */
  }
  throw new ApiError('invalid_cursor', 'The cursor is not one this API handed out. Start again without a cursor.');
}
