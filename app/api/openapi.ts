/**
 * The OpenAPI 3.1 document, generated from ENDPOINTS and their zod schemas with
 * z.toJSONSchema (JSON Schema 2020-12, which OpenAPI 3.1 uses as is). Request schemas are
 * rendered as the handler accepts them (io: 'input'), response schemas as it produces them.
 * The stats/ report keeps its committed JSON Schema (stats/agreement.schema.json).
 */
import { z } from 'zod';
import agreementSchemaJson from '../../stats/agreement.schema.json';
import mrmcSchemaJson from '../../stats/mrmc.schema.json';
import { ENDPOINTS, type Endpoint, type Media, type MediaResponse } from './endpoints.ts';
import { ERROR_STATUS, errorSchema } from './schemas.ts';

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  delete out.$schema;
  return out;
}

/** stats/mrmc.schema.json with its $defs moved to components (refs rewritten). */
function mrmcComponents(): Record<string, Json> {
  const src = JSON.parse(JSON.stringify(mrmcSchemaJson).replaceAll('"#/$defs/', '"#/components/schemas/MrmcDocument_')) as Json;
  const defs = (src.$defs ?? {}) as Record<string, Json>;
  delete src.$defs;
  delete src.$schema;
  delete src.$id;
  const out: Record<string, Json> = { MrmcDocument: src };
  for (const [k, v] of Object.entries(defs)) out[`MrmcDocument_${k}`] = v;
  return out;
}

/** stats/agreement.schema.json with its $defs moved to components (refs rewritten). */
function agreementComponents(): Record<string, Json> {
  const src = JSON.parse(JSON.stringify(agreementSchemaJson).replaceAll('"#/$defs/', '"#/components/schemas/AgreementReport_')) as Json;
  const defs = (src.$defs ?? {}) as Record<string, Json>;
  delete src.$defs;
  delete src.$schema;
  delete src.$id;
  const out: Record<string, Json> = { AgreementReport: src };
  for (const [k, v] of Object.entries(defs)) out[`AgreementReport_${k}`] = v;
  return out;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  400: 'Bad request: malformed JSON, query or cursor',
  401: 'No token, or the token is unknown or revoked',
  403: 'Your role does not allow this, or the token is not scoped to this project',
  404: 'No such project or case (or not visible to you)',
  409: 'State conflict: the case does not accept this now, or no assignment',
  413: 'Body too large',
  415: 'Body is not JSON',
  422: 'Validation failed',
};

function isMediaResponse(x: Endpoint['responses'][number]): x is MediaResponse {
  return typeof x === 'object' && 'media' in x && !('_zod' in x);
}

/**
 * One media type of a response. JSON Lines: OpenAPI 3.1 has no item schema for sequential media
 * types (3.2 adds `itemSchema`), so the body is a string and `x-item-schema` is the schema of
 * every line.
 */
function mediaType(m: Media): Json {
  if ('lines' in m && !('_zod' in m)) {
    return { schema: { type: 'string', description: 'JSON Lines: one JSON object per line, each matching x-item-schema.' }, 'x-item-schema': jsonSchema(m.lines, 'output') };
  }
  if ('text' in m && !('_zod' in m)) return { schema: { type: 'string', description: m.text } };
  return { schema: jsonSchema(m as z.ZodType, 'output') };
}

function operation(e: Endpoint): Json {
  const params: Json[] = [];
  for (const m of e.path.matchAll(/\{(\w+)\}/g)) {
    params.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' }, description: m[1] === 'slug' ? 'Project slug (or id).' : 'Opaque case id.' });
  }
  if (e.query) {
    const q = jsonSchema(e.query, 'input');
    const props = (q.properties ?? {}) as Record<string, Json>;
    const required = (q.required ?? []) as string[];
    for (const [name, schema] of Object.entries(props)) {
      const { description, ...rest } = schema;
      params.push({ name, in: 'query', required: required.includes(name) && !('default' in schema), schema: rest, ...(description ? { description } : {}) });
    }
  }
  const responses: Json = {};
  for (const [status, schema] of Object.entries(e.responses)) {
    const description = STATUS_TEXT[Number(status)] ?? 'OK';
    if (isMediaResponse(schema)) {
      const content = Object.fromEntries(Object.entries(schema.media).map(([type, m]) => [type, mediaType(m)]));
      const headers = schema.headers ? Object.fromEntries(Object.entries(schema.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }])) : undefined;
      responses[status] = { description, ...(headers ? { headers } : {}), content };
      continue;
    }
    const ref =
      schema === 'agreement'
        ? { $ref: '#/components/schemas/AgreementReport' }
        : schema === 'mrmc'
          ? { $ref: '#/components/schemas/MrmcDocument' }
          : schema === 'openapi'
            ? { type: 'object', description: 'An OpenAPI 3.1 document.' }
            : jsonSchema(schema, 'output');
    responses[status] = { description, content: { 'application/json': { schema: ref } } };
  }
  const errorStatuses = e.roles === 'public' ? e.errors : [401, ...e.errors];
  for (const st of errorStatuses) {
    const codes = Object.entries(ERROR_STATUS)
      .filter(([, v]) => v === st)
      .map(([k]) => k);
    responses[st] = {
      description: `${STATUS_TEXT[st] ?? 'Error'} (codes: ${codes.join(', ')})`,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  const rolesText = e.roles === 'public' ? 'No token needed.' : e.roles === 'any' ? 'Any valid token.' : `Roles: ${e.roles.join(', ')} (in a project the token is scoped to).`;
  return {
    operationId: e.operationId,
    summary: e.summary,
    description: [e.description, rolesText, e.bodyLimit ? `Body limit: ${e.bodyLimit} bytes.` : null].filter(Boolean).join('\n\n'),
    ...(e.roles === 'public' ? { security: [] } : {}),
    'x-truthline-route': e.file,
    'x-truthline-roles': e.roles,
    ...(params.length ? { parameters: params } : {}),
    ...(e.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(e.body, 'input') } } } } : {}),
    responses,
  };
}

let cached: Json | undefined;

export function openApiDocument(): Json {
  if (cached) return cached;
  const paths: Record<string, Json> = {};
  for (const e of ENDPOINTS) (paths[e.path] ??= {})[e.method] = operation(e);
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Truthline API',
      version: '1.0.0',
      description:
        'Ground truth for medical-imaging reader studies. Authenticate with a personal access token (My account → API tokens, or `truthline token create`): `Authorization: Bearer tl_…`. A token acts with your roles, only in the projects it is scoped to. Errors are `{"error": {"code", "message", "details"}}`; lists use opaque cursors (`next_cursor` → `?cursor=`).',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'A personal access token (tl_…).' } },
      schemas: { Error: jsonSchema(errorSchema, 'output'), ...agreementComponents(), ...mrmcComponents() },
    },
  };
  return cached;
}
