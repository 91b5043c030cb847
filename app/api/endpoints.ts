/**
 * Every API operation: its route file, method, path, who may call it, and the zod schemas its
 * handler parses with and answers with. app/api/openapi.ts turns this list into the OpenAPI
 * document; the handlers import the same schema objects.
 */
import { z } from 'zod';
import * as s from './schemas.ts';
import { CSV_COLUMNS } from '../models/export.server.ts';

/**
 * A success body that is not (only) JSON, by media type: a zod schema for a JSON body,
 * `{ lines }` for JSON Lines (each line one value of the schema), `{ text }` for text described
 * in words (e.g. CSV).
 */
export type Media = z.ZodType | { lines: z.ZodType } | { text: string };
export type MediaResponse = { media: Record<string, Media>; headers?: Record<string, string> };

export type Endpoint = {
  /** The route module under app/routes. */
  file: string;
  method: 'get' | 'post';
  /** OpenAPI path ({slug}, {caseId}). */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  /** Project roles that may call it; 'any' = any signed-in token; 'public' = no token. */
  roles: ('reader' | 'adjudicator' | 'lead')[] | 'any' | 'public';
  query?: z.ZodObject;
  body?: z.ZodType;
  /**
   * Success responses by status: a zod schema (JSON), `agreement` or `mrmc` (the stats/
   * documents, schemas from stats/agreement.schema.json and stats/mrmc.schema.json), `openapi`,
   * or bodies by media type (MediaResponse).
   */
  responses: Record<number, z.ZodType | 'agreement' | 'mrmc' | 'openapi' | MediaResponse>;
  /** Error statuses it can answer with (beyond 401). */
  errors: number[];
  bodyLimit?: number;
};

export const ENDPOINTS: Endpoint[] = [
  {
    file: 'api.v1.openapi[.]json.tsx',
    method: 'get',
    path: '/api/v1/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This document (OpenAPI 3.1), generated from the zod schemas the handlers use',
    roles: 'public',
    responses: { 200: 'openapi' },
    errors: [],
  },
  {
    file: 'api.v1.projects.tsx',
    method: 'get',
    path: '/api/v1/projects',
    operationId: 'listProjects',
    summary: "Projects in the token's scope where you are a member, with your roles",
    roles: 'any',
    responses: { 200: s.projectListSchema },
    errors: [],
  },
  {
    file: 'api.v1.projects.$slug.cases.tsx',
    method: 'get',
    path: '/api/v1/projects/{slug}/cases',
    operationId: 'listCases',
    summary: 'Cases of the project in creation order (cursor pagination)',
    roles: ['lead'],
    query: s.pageQuery,
    responses: { 200: s.caseListSchema },
    errors: [400, 403, 404],
  },
  {
    file: 'api.v1.projects.$slug.cases.tsx',
    method: 'post',
    path: '/api/v1/projects/{slug}/cases',
    operationId: 'createCases',
    summary: 'Create cases in bulk — all or nothing',
    description:
      'Every row is validated first (its own fields, duplicates within the request and in the project, a patient’s split); any problem → 422 `invalid_rows` with details [{index, field, message}] (index is 0-based) and nothing is written. Otherwise patients, cases and findings are created and each case’s workflow is started in one transaction.',
    roles: ['lead'],
    body: s.bulkCreateCasesSchema,
    bodyLimit: 4 * 1024 * 1024,
    responses: { 201: s.bulkCreateResultSchema },
    errors: [400, 403, 404, 413, 415, 422],
  },
  {
    file: 'api.v1.projects.$slug.cases.$caseId.tsx',
    method: 'get',
    path: '/api/v1/projects/{slug}/cases/{caseId}',
    operationId: 'getCase',
    summary: 'One case as you may see it',
    description:
      'Leads: everything, with all reads and the current truth. Readers: only a case assigned to them or read by them (else 404), with their own reads; other reads, the state and the truth only when the project reveals them after finishing and the case is decided.',
    roles: ['reader', 'lead'],
    responses: { 200: s.caseDetailSchema },
    errors: [403, 404],
  },
  {
    file: 'api.v1.projects.$slug.cases.$caseId.reads.tsx',
    method: 'get',
    path: '/api/v1/projects/{slug}/cases/{caseId}/reads',
    operationId: 'listReads',
    summary: 'Reads of a case as you may see them (same blinding as getCase)',
    roles: ['reader', 'lead'],
    responses: { 200: s.readListSchema },
    errors: [403, 404],
  },
  {
    file: 'api.v1.projects.$slug.cases.$caseId.reads.tsx',
    method: 'post',
    path: '/api/v1/projects/{slug}/cases/{caseId}/reads',
    operationId: 'submitRead',
    summary: 'Submit your read of a case assigned to you (idempotent by client_request_id)',
    description:
      'The same rules as the reader page: you need an open assignment on the case (ask for next-case), values must fit the reader form (422), and a case that no longer accepts your read answers 409 `state_conflict`. A repeat of a client_request_id answers 200 with repeat: true and changes nothing; the first answers 201.',
    roles: ['reader'],
    body: s.submitReadSchema,
    responses: { 201: s.submitReadResultSchema, 200: s.submitReadResultSchema },
    errors: [403, 404, 409, 413, 415, 422],
  },
  {
    file: 'api.v1.projects.$slug.next-case.tsx',
    method: 'post',
    path: '/api/v1/projects/{slug}/next-case',
    operationId: 'nextCase',
    summary: 'Your next case to read (pull-based assignment, as in the reader page)',
    description:
      'Hands out your open assignment again if you have one; otherwise the next eligible case in your own reproducible order (seeded by project and reader; or import order when the project fixes it), and reserves one more as `next` so its images can be prefetched. You hold at most one current and one reserved case per project. assignment: null when nothing is left.',
    roles: ['reader'],
    responses: { 200: s.nextCaseSchema },
    errors: [403, 404],
  },
  {
    file: 'api.v1.projects.$slug.evidence.tsx',
    method: 'post',
    path: '/api/v1/projects/{slug}/evidence',
    operationId: 'submitEvidence',
    summary: 'Record one evidence result (report, pathology, surgery, follow-up) through the case workflow (idempotent by client_request_id)',
    description:
      'The same rules as the lead’s evidence page and the evidence file import: the result becomes an `evidence.record` workflow event, which writes the evidence row and any truth version or discordance review in one transaction. case_id is the importer’s case id (or the opaque id). A finding that is not one of the case’s, or a date the workflow rejects, answers 422; a withdrawn case, or a case that does not accept evidence now, 409 `state_conflict`. A repeat of a client_request_id answers 200 with repeat: true and records nothing; the same id used for another request (another case, person or event) is 409 `idempotency_conflict`. The first answers 201.',
    roles: ['lead'],
    body: s.evidenceInputSchema,
    responses: { 201: s.evidenceResultSchema, 200: s.evidenceResultSchema },
    errors: [400, 403, 404, 409, 413, 415, 422],
  },
  {
    file: 'api.v1.projects.$slug.truth.tsx',
    method: 'get',
    path: '/api/v1/projects/{slug}/truth',
    operationId: 'listTruth',
    summary: 'Truth labels with provenance, per case (cursor pagination)',
    roles: ['lead'],
    query: s.truthQuery,
    responses: { 200: s.truthListSchema },
    errors: [400, 403, 404],
  },
  {
    file: 'api.v1.projects.$slug.agreement.tsx',
    method: 'get',
    path: '/api/v1/projects/{slug}/agreement',
    operationId: 'getAgreement',
    summary: 'Inter-reader agreement for one reader-form item: the stats/ JSON document',
    roles: ['lead'],
    query: s.agreementQuery,
    responses: { 200: 'agreement' },
    errors: [400, 403, 404, 422],
  },
  {
    file: 'api.v1.projects.$slug.mrmc.tsx',
    method: 'get',
    path: '/api/v1/projects/{slug}/mrmc',
    operationId: 'getMrmc',
    summary: 'Multi-reader multi-case analysis (Obuchowski–Rockette, DBM) of the readers against the evidence reference: the dashboard’s document',
    description:
      'Reader studies compare their arms (fully crossed or split-plot); other projects are one arm, "as read". Header X-Truthline-Version names the definition version. 409 when there is nothing to analyse yet (panel reference, too few verified reads in every arm), with the reason.',
    roles: ['lead'],
    query: s.mrmcQuery,
    responses: { 200: 'mrmc' },
    errors: [400, 403, 404, 409, 422],
  },
  {
    file: 'api.v1.projects.$slug.export.tsx',
    method: 'get',
    path: '/api/v1/projects/{slug}/export',
    operationId: 'exportTruth',
    summary: 'Export truth with provenance: csv, jsonl (default) or W3C PROV-JSON',
    description:
      'One record per case (or per finding in finding-level projects) with its current truth — state, value, method, version, policy and rule versions, the reads and evidence it derives from, decider, rationale — and the case’s hash-chain head; cases without truth yet appear as `pending`. Withdrawn cases are never included. The same file as the lead’s export page and `truthline export`; each export is written to the audit log. The answer is a download (Content-Disposition: attachment).',
    roles: ['lead'],
    query: s.exportQuery,
    responses: {
      200: {
        media: {
          'text/csv': { text: `format=csv. RFC 4180 with a header row: ${CSV_COLUMNS.join(',')}. truth_value is JSON text; lists are ";"-separated ids.` },
          'application/x-ndjson': { lines: s.exportRecordSchema },
          'application/json': s.provDocumentSchema,
        },
        headers: { 'Content-Disposition': 'attachment; filename="<slug>-truth-<YYYY-MM-DD>.<csv|jsonl|prov.json>"' },
      },
    },
    errors: [400, 403, 404],
  },
];

export function endpoint(operationId: string): Endpoint {
  const e = ENDPOINTS.find((x) => x.operationId === operationId);
  if (!e) throw new Error(`no endpoint ${operationId}`);
  return e;
}
