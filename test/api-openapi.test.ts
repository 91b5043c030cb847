/**
 * /api/v1/openapi.json: every API route file is in the document with the methods it exports,
 * and the document is derived from the same zod schemas the handlers parse with.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { openApiDocument } from '../app/api/openapi.ts';
import { ENDPOINTS } from '../app/api/endpoints.ts';
import * as s from '../app/api/schemas.ts';
import { validateSchema } from './api-support.ts';
import { servesGet } from '../app/api/http.server.ts';
import { CSV_COLUMNS } from '../app/models/export.server.ts';

const ROUTES = path.resolve(import.meta.dirname, '../app/routes');
const apiFiles = fs.readdirSync(ROUTES).filter((f) => f.startsWith('api.'));
const doc = openApiDocument() as any;
const strip = (x: Record<string, unknown>) => {
  const { $schema: _, ...rest } = x;
  return rest;
};

describe('OpenAPI document', () => {
  it('lists every API route file, with exactly the methods the module exports', async () => {
    expect(apiFiles.length).toBeGreaterThanOrEqual(10);
    for (const f of apiFiles) {
      const mod = await import(path.join(ROUTES, f));
      const documented = ENDPOINTS.filter((e) => e.file === f);
      expect(documented.length, `${f} is not in ENDPOINTS`).toBeGreaterThan(0);
      // An action-only route's loader (onlyMethods) answers GET with 405: it is not a GET operation.
      expect(
        documented.some((e) => e.method === 'get'),
        `${f}: loader ⇔ GET`,
      ).toBe(servesGet(mod.loader));
      expect(
        documented.some((e) => e.method === 'post'),
        `${f}: action ⇔ POST`,
      ).toBe(typeof mod.action === 'function');
      for (const e of documented) expect(doc.paths[e.path]?.[e.method]?.operationId, `${e.method} ${e.path}`).toBe(e.operationId);
    }
    expect(ENDPOINTS.filter((e) => !apiFiles.includes(e.file))).toEqual([]);
    // Flat-route file name → URL path agrees with the documented path.
    for (const e of ENDPOINTS) {
      const url =
        '/' +
        e.file
          .replace(/\.tsx$/, '')
          .replace('[.]', '\u0000')
          .split('.')
          .join('/')
          .replace('\u0000', '.')
          .replace(/\$(\w+)/g, '{$1}');
      expect(url).toBe(e.path);
    }
  });

  it('is OpenAPI 3.1 with unique operation ids, bearer security, and every $ref resolvable', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const ids = ENDPOINTS.map((e) => e.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]);
    for (const r of refs) {
      let target: any = doc;
      for (const p of r.replace(/^#\//, '').split('/')) target = target?.[p];
      expect(target, r).toBeTruthy();
    }
    // Every non-public operation documents 401 and the error shape.
    for (const e of ENDPOINTS) {
      const op = doc.paths[e.path][e.method];
      if (e.roles !== 'public') expect(op.responses['401'].content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
    }
  });

  it('is generated from the handlers’ zod schemas (request bodies, queries and responses)', () => {
    const op = (id: string) => {
      const e = ENDPOINTS.find((x) => x.operationId === id)!;
      return doc.paths[e.path][e.method];
    };
    expect(op('createCases').requestBody.content['application/json'].schema).toEqual(strip(z.toJSONSchema(s.bulkCreateCasesSchema, { io: 'input' }) as never));
    expect(op('submitRead').requestBody.content['application/json'].schema).toEqual(strip(z.toJSONSchema(s.submitReadSchema, { io: 'input' }) as never));
    expect(op('listCases').responses['200'].content['application/json'].schema).toEqual(strip(z.toJSONSchema(s.caseListSchema) as never));
    expect(op('getCase').responses['200'].content['application/json'].schema).toEqual(strip(z.toJSONSchema(s.caseDetailSchema) as never));
    expect(op('listCases').parameters.map((p: { name: string }) => p.name)).toEqual(['slug', 'cursor', 'limit']);
    expect(op('getAgreement').responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/AgreementReport');
    expect(doc.components.schemas.Error).toEqual(strip(z.toJSONSchema(s.errorSchema) as never));
    expect(op('submitEvidence').requestBody.content['application/json'].schema).toEqual(strip(z.toJSONSchema(s.evidenceInputSchema, { io: 'input' }) as never));
    expect(op('submitEvidence').responses['201'].content['application/json'].schema).toEqual(strip(z.toJSONSchema(s.evidenceResultSchema) as never));
  });

  it('describes the export per media type: csv as text, JSON Lines with a per-line schema, PROV-JSON — all from the zod schemas', () => {
    const e = ENDPOINTS.find((x) => x.operationId === 'exportTruth')!;
    const ok = doc.paths[e.path][e.method].responses['200'];
    expect(Object.keys(ok.content).sort()).toEqual(['application/json', 'application/x-ndjson', 'text/csv']);
    expect(ok.content['text/csv'].schema.type).toBe('string');
    expect(ok.content['text/csv'].schema.description).toContain(CSV_COLUMNS.join(','));
    expect(ok.content['application/x-ndjson'].schema.type).toBe('string');
    expect(ok.content['application/x-ndjson']['x-item-schema']).toEqual(strip(z.toJSONSchema(s.exportRecordSchema) as never));
    expect(ok.content['application/json'].schema).toEqual(strip(z.toJSONSchema(s.provDocumentSchema) as never));
    expect(ok.headers['Content-Disposition'].schema).toEqual({ type: 'string' });
    expect(doc.paths[e.path][e.method].parameters.map((p: { name: string }) => p.name)).toEqual(['slug', 'format']);
  });

  it('the validator used by the contract tests rejects what the schemas reject', () => {
    const schema = op200('listProjects');
    expect(validateSchema({ projects: [] }, schema, doc)).toEqual([]);
    expect(validateSchema({ projects: [{ id: 'x' }] }, schema, doc).length).toBeGreaterThan(0);
    expect(validateSchema({ error: { code: 'nope', message: 'm', details: null } }, { $ref: '#/components/schemas/Error' }, doc).length).toBeGreaterThan(0);
    expect(validateSchema({ error: { code: 'not_found', message: 'm', details: null } }, { $ref: '#/components/schemas/Error' }, doc)).toEqual([]);
    expect(validateSchema({ statistics: [{}] }, { $ref: '#/components/schemas/AgreementReport' }, doc).length).toBeGreaterThan(0);
  });
});

function op200(id: string) {
  const e = ENDPOINTS.find((x) => x.operationId === id)!;
  return doc.paths[e.path][e.method].responses['200'].content['application/json'].schema;
}
