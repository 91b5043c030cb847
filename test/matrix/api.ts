/**
 * The HTTP API (/api/v1): a Bearer token per persona (test/fixtures/app.ts makeWorld), no
 * session. No token → 401 ('login'); non-members (admin, the other project's lead) → 404 so
 * project names do not leak; a member without the role → 403. Session cookies are sent too and
 * must not count. POST rows carry a form body, so a permitted caller gets 415 ('ok' here: the
 * body check comes after the access check).
 */
import { bearer } from '../fixtures/app.ts';
import { all, type Expect, type Spec, type World } from './types.ts';

const headers = (w: World, p: Parameters<typeof bearer>[1]) => bearer(w, p);
const slug = (w: World) => ({ slug: w.project.slug });
const kase = (w: World) => ({ slug: w.project.slug, caseId: w.kase.id });

const api = (o: Partial<Expect>): Expect => ({
  anonymous: 'login',
  admin: 'notfound',
  otherLead: 'notfound',
  lead: 'forbidden',
  reader: 'forbidden',
  adjudicator: 'forbidden',
  ...o,
});
const leadApi = api({ lead: 'ok' });

export const entries: Record<string, Spec> = {
  'api.v1.openapi[.]json.tsx': { path: () => '/api/v1/openapi.json', loader: all('ok') },
  'api.v1.projects.tsx': { path: () => '/api/v1/projects', headers, loader: { ...all('ok'), anonymous: 'login' } },
  'api.v1.projects.$slug.cases.tsx': { path: (w) => `/api/v1/projects/${w.project.slug}/cases`, params: slug, headers, loader: leadApi, action: leadApi },
  // The world's case is assigned to nobody, so the reader may not see it (404), as in the reader page.
  'api.v1.projects.$slug.cases.$caseId.tsx': {
    path: (w) => `/api/v1/projects/${w.project.slug}/cases/${w.kase.id}`,
    params: kase,
    headers,
    loader: api({ lead: 'ok', reader: 'notfound' }),
  },
  'api.v1.projects.$slug.cases.$caseId.reads.tsx': {
    path: (w) => `/api/v1/projects/${w.project.slug}/cases/${w.kase.id}/reads`,
    params: kase,
    headers,
    loader: api({ lead: 'ok', reader: 'notfound' }),
    action: api({ reader: 'ok' }),
  },
  'api.v1.projects.$slug.next-case.tsx': { path: (w) => `/api/v1/projects/${w.project.slug}/next-case`, params: slug, headers, action: api({ reader: 'ok' }) },
  'api.v1.projects.$slug.evidence.tsx': { path: (w) => `/api/v1/projects/${w.project.slug}/evidence`, params: slug, headers, action: leadApi },
  'api.v1.projects.$slug.truth.tsx': { path: (w) => `/api/v1/projects/${w.project.slug}/truth`, params: slug, headers, loader: leadApi },
  'api.v1.projects.$slug.agreement.tsx': { path: (w) => `/api/v1/projects/${w.project.slug}/agreement`, params: slug, headers, loader: leadApi },
  // The world's project has a panel reference: a permitted lead gets 409 (nothing to analyse), 'ok' here.
  'api.v1.projects.$slug.mrmc.tsx': { path: (w) => `/api/v1/projects/${w.project.slug}/mrmc`, params: slug, headers, loader: leadApi },
  'api.v1.projects.$slug.export.tsx': { path: (w) => `/api/v1/projects/${w.project.slug}/export`, params: slug, headers, loader: leadApi },
  'account_.tokens.tsx': {
    path: () => '/account/tokens',
    loader: { ...all('ok'), anonymous: 'login' },
    action: { ...all('ok'), anonymous: 'login' },
    form: () => ({ intent: 'create' }),
  },
};
