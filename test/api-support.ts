/**
 * Helpers for the API tests: calling /api/v1 route modules directly with a Bearer token, and
 * checking every answer against the generated OpenAPI document with a small JSON Schema
 * (2020-12 subset) validator — so the contract tests are also tests of the document.
 */
import { expect } from 'vitest';
import { openApiDocument } from '../app/api/openapi.ts';
import { ENDPOINTS } from '../app/api/endpoints.ts';
import { BASE, invoke } from './fixtures/app.ts';

type Json = Record<string, unknown>;
type Fn = Parameters<typeof invoke>[0];

export type Answer = { status: number; body: any; headers: Headers; text: string };

export function apiRequest(path: string, opts: { token?: string | null; method?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {}): Request {
  const headers = new Headers({ 'x-truthline-client-ip': '127.0.0.1', ...opts.headers });
  if (opts.token) headers.set('Authorization', `Bearer ${opts.token}`);
  let body: string | undefined = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers.set('Content-Type', 'application/json');
  }
  return new Request(`${BASE}${path}`, { method: opts.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body });
}

export async function call(fn: Fn, req: Request, params: Record<string, string> = {}): Promise<Answer> {
  const r = await invoke(fn, req, params);
  const text = await r.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: r.status, body, headers: r.headers, text };
}

// ── a JSON Schema validator for what z.toJSONSchema and stats/agreement.schema.json use ──

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function validateSchema(value: unknown, s: Json, root: Json, path = '$'): string[] {
  if (s === undefined || Object.keys(s).length === 0) return [];
  if (typeof s.$ref === 'string') {
    const parts = s.$ref.replace(/^#\//, '').split('/');
    let target: any = root;
    for (const p of parts) target = target?.[p];
    if (!target) return [`${path}: unresolved $ref ${s.$ref}`];
    return validateSchema(value, target, root, path);
  }
  const errs: string[] = [];
  if (Array.isArray(s.anyOf) && !(s.anyOf as Json[]).some((x) => validateSchema(value, x, root, path).length === 0)) errs.push(`${path}: matches none of anyOf`);
  if (Array.isArray(s.oneOf)) {
    const n = (s.oneOf as Json[]).filter((x) => validateSchema(value, x, root, path).length === 0).length;
    if (n !== 1) errs.push(`${path}: matches ${n} of oneOf`);
  }
  if (Array.isArray(s.allOf)) for (const x of s.allOf as Json[]) errs.push(...validateSchema(value, x, root, path));
  const t = typeOf(value);
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((x) => x === t || (x === 'number' && t === 'integer'))) return [...errs, `${path}: expected ${types.join('|')}, got ${t}`];
  }
  if (Array.isArray(s.enum) && !s.enum.includes(value)) errs.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(s.enum)}`);
  if ('const' in s && s.const !== value) errs.push(`${path}: must be ${JSON.stringify(s.const)}`);
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) errs.push(`${path}: < ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) errs.push(`${path}: > ${s.maximum}`);
    if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum) errs.push(`${path}: <= ${s.exclusiveMinimum}`);
  }
  if (typeof value === 'string') {
    if (typeof s.minLength === 'number' && value.length < s.minLength) errs.push(`${path}: shorter than ${s.minLength}`);
    if (typeof s.maxLength === 'number' && value.length > s.maxLength) errs.push(`${path}: longer than ${s.maxLength}`);
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) errs.push(`${path}: does not match ${s.pattern}`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) errs.push(`${path}: fewer than ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) errs.push(`${path}: more than ${s.maxItems} items`);
    if (s.items && typeof s.items === 'object') value.forEach((v, i) => errs.push(...validateSchema(v, s.items as Json, root, `${path}[${i}]`)));
  }
  if (t === 'object') {
    const o = value as Json;
    for (const k of (s.required as string[] | undefined) ?? []) if (!(k in o)) errs.push(`${path}: missing ${k}`);
    const props = (s.properties ?? {}) as Record<string, Json>;
    for (const [k, v] of Object.entries(o)) {
      if (k in props) errs.push(...validateSchema(v, props[k], root, `${path}.${k}`));
      else if (s.additionalProperties === false) errs.push(`${path}: unexpected property ${k}`);
      else if (s.additionalProperties && typeof s.additionalProperties === 'object') errs.push(...validateSchema(v, s.additionalProperties as Json, root, `${path}.${k}`));
    }
  }
  return errs;
}

/** Every (operation, status) checked by some test: api-openapi.test.ts could report coverage. */
export const checked = new Set<string>();

/** Asserts the answer's status is documented for the operation and the body matches its schema. */
export function expectContract(operationId: string, a: Answer, status?: number) {
  if (status !== undefined) expect(a.status, JSON.stringify(a.body)).toBe(status);
  const e = ENDPOINTS.find((x) => x.operationId === operationId);
  if (!e) throw new Error(`unknown operation ${operationId}`);
  const doc = openApiDocument() as any;
  const op = doc.paths[e.path][e.method];
  const resp = op.responses[String(a.status)];
  expect(resp, `${operationId} answered ${a.status}, which the document does not list`).toBeTruthy();
  // The media type answered must be one the document lists; its schema decides how to check the body.
  const type = (a.headers.get('Content-Type') ?? 'application/json').split(';')[0].trim().toLowerCase();
  const media = resp.content?.[type] as Json | undefined;
  expect(media, `${operationId} ${a.status} answered ${type}; the document lists ${Object.keys(resp.content ?? {}).join(', ')}`).toBeTruthy();
  if (media!['x-item-schema']) {
    // JSON Lines: every line is one value of the item schema.
    const lines = a.text.split('\n').filter((l) => l !== '');
    expect(validateSchema(a.text, media!.schema as Json, doc)).toEqual([]);
    lines.forEach((l, i) => expect(validateSchema(JSON.parse(l), media!['x-item-schema'] as Json, doc), `${operationId} ${a.status} line ${i + 1} vs OpenAPI`).toEqual([]));
  } else if (type === 'application/json') {
    expect(validateSchema(a.body, media!.schema as Json, doc), `${operationId} ${a.status} body vs OpenAPI`).toEqual([]);
  } else {
    expect(validateSchema(a.text, media!.schema as Json, doc), `${operationId} ${a.status} body vs OpenAPI`).toEqual([]);
  }
  if (a.status >= 400) expect(Object.keys(a.body.error).sort()).toEqual(['code', 'details', 'message']);
  checked.add(`${operationId} ${a.status}`);
}
