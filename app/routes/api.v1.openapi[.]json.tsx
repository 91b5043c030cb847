/** GET /api/v1/openapi.json — the OpenAPI 3.1 document (public: it holds no data). */
import { openApiDocument } from '~/api/openapi.ts';
import { apiRoute, jsonResponse } from '~/api/http.server.ts';

export const loader = apiRoute(async () => jsonResponse(openApiDocument(), 200, { 'Cache-Control': 'public, max-age=300' }));
