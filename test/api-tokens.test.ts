/**
 * Personal access tokens: created once and stored hashed, scoped to projects, last use recorded,
 * revoked by their owner; 401 JSON without a token or with a revoked/unknown one; the account
 * page and `truthline token create`.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from './db.ts';
import { makeWorld, request } from './fixtures/app.ts';
import { addMember, makeProject } from './fixtures/base.ts';
import { apiTokens, auditLog, users } from '../db/schema.ts';
import { authenticateToken, createToken, hashToken, listTokens, revokeToken } from '../app/models/tokens.server.ts';
import { AppError } from '../domain/errors.ts';
import { apiRequest, call, expectContract } from './api-support.ts';
import * as projectsRoute from '../app/routes/api.v1.projects.tsx';
import * as truthRoute from '../app/routes/api.v1.projects.$slug.truth.tsx';
import * as tokensPage from '../app/routes/account_.tokens.tsx';

let t: TestDb;
let w: Awaited<ReturnType<typeof makeWorld>>;

vi.mock('../cli/commands/db-open.ts', () => ({
  withDatabase: async (fn: (h: TestDb) => Promise<number>) => fn(t),
}));

beforeAll(async () => {
  t = await createTestDb();
  w = await makeWorld(t.db);
}, 120_000);
afterAll(async () => t?.dispose());

const listProjects = (token: string | null, headers: Record<string, string> = {}) => call(projectsRoute.loader, apiRequest('/api/v1/projects', { token, headers }));

describe('personal access tokens', () => {
  it('are returned once, stored only as a SHA-256 hash, scoped to projects the owner belongs to', async () => {
    const r = await createToken({ userId: w.users.lead.id, name: 'nightly import', projects: [w.project.slug] });
    expect(r.token).toMatch(/^tl_[A-Za-z0-9_-]{43}$/);
    const [row] = await t.db.select().from(apiTokens).where(eq(apiTokens.id, r.id));
    expect(row.tokenHash).toBe(hashToken(r.token));
    expect(JSON.stringify(row)).not.toContain(r.token.slice(3));
    expect(row.projectIds).toEqual([w.project.id]);
    const audit = await t.db.select().from(auditLog).where(eq(auditLog.target, r.id));
    expect(audit.map((a) => a.action)).toEqual(['api_token.create']);
    await expect(createToken({ userId: w.users.lead.id, name: 'x', projects: [w.other.slug] })).rejects.toThrow(AppError);
    await expect(createToken({ userId: w.users.lead.id, name: 'x', projects: [] })).rejects.toThrow(/at least one project/);
    await expect(createToken({ userId: w.users.lead.id, name: ' ', projects: [w.project.slug] })).rejects.toThrow(/name/);
  });

  it('act as their owner: projects listed are the token’s scope ∩ memberships, last use is recorded', async () => {
    const other = await makeProject(t.db, { owner: w.users.lead.id });
    await addMember(t.db, other.id, w.users.lead.id, 'reader');
    const narrow = await createToken({ userId: w.users.lead.id, name: 'narrow', projects: [other.slug] });
    const a = await listProjects(narrow.token);
    expectContract('listProjects', a, 200);
    expect(a.body.projects.map((p: { slug: string }) => p.slug)).toEqual([other.slug]);
    expect(a.body.projects[0].roles).toEqual(['reader']);
    const [row] = await t.db.select().from(apiTokens).where(eq(apiTokens.id, narrow.id));
    expect(row.lastUsedAt).toBeInstanceOf(Date);
    // In scope of neither: a project the person leads but the token does not name → 403 token_out_of_scope.
    const out = await call(truthRoute.loader, apiRequest(`/api/v1/projects/${w.project.slug}/truth`, { token: narrow.token }), { slug: w.project.slug });
    expectContract('listTruth', out, 403);
    expect(out.body.error.code).toBe('token_out_of_scope');
  });

  it('401 JSON without a token, with a malformed, unknown or revoked one, or for a deactivated account', async () => {
    const none = await listProjects(null);
    expectContract('listProjects', none, 401);
    expect(none.body.error.code).toBe('unauthorized');
    expect(none.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
    expect(none.headers.get('Content-Type')).toMatch(/application\/json/);
    // A session cookie is not an API credential.
    expect((await call(projectsRoute.loader, request('/api/v1/projects', { cookie: w.cookies.lead }))).status).toBe(401);
    expect((await listProjects(null, { Authorization: 'Basic Zm9vOmJhcg==' })).status).toBe(401);
    expect((await listProjects('tl_' + 'A'.repeat(43))).status).toBe(401);
    expect((await listProjects('not-a-token')).status).toBe(401);

    const r = await createToken({ userId: w.users.reader.id, name: 'to revoke', projects: [w.project.slug] });
    expect((await listProjects(r.token)).status).toBe(200);
    expect(await revokeToken({ userId: w.users.lead.id, tokenId: r.id })).toBe(false); // not theirs
    expect(await revokeToken({ userId: w.users.reader.id, tokenId: r.id })).toBe(true);
    expect(await revokeToken({ userId: w.users.reader.id, tokenId: r.id })).toBe(false); // already
    const revoked = await listProjects(r.token);
    expectContract('listProjects', revoked, 401);
    const slugRoute = await call(truthRoute.loader, apiRequest(`/api/v1/projects/${w.project.slug}/truth`, { token: r.token }), { slug: w.project.slug });
    expectContract('listTruth', slugRoute, 401);

    const d = await createToken({ userId: w.users.adjudicator.id, name: 'd', projects: [w.project.slug] });
    await t.db.update(users).set({ active: false }).where(eq(users.id, w.users.adjudicator.id));
    expect(await authenticateToken({ token: d.token })).toBeNull();
    await t.db.update(users).set({ active: true }).where(eq(users.id, w.users.adjudicator.id));
    expect(await authenticateToken({ token: d.token })).not.toBeNull();
  });
});

describe('account page: API tokens', () => {
  it('creates a token (shown once), lists it with last use, and revokes it', async () => {
    const form = { intent: 'create', name: 'from the page', projects: w.project.slug };
    const created = await tokensPage.action({ request: request('/account/tokens', { cookie: w.cookies.reader, form }), params: {}, context: {} });
    const body = await (created as Response).json();
    expect(body.ok).toBe(true);
    expect(body.created.token).toMatch(/^tl_/);
    expect((await listProjects(body.created.token)).status).toBe(200);

    const page = await (await tokensPage.loader({ request: request('/account/tokens', { cookie: w.cookies.reader }), params: {}, context: {} })).json();
    const mine = page.tokens.find((x: { name: string }) => x.name === 'from the page')!;
    expect(mine.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(page)).not.toContain(body.created.token);

    const bad = await tokensPage.action({ request: request('/account/tokens', { cookie: w.cookies.reader, form: { intent: 'create', name: 'x' } }), params: {}, context: {} });
    expect((bad as Response).status).toBe(400);
    expect((await (bad as Response).json()).errors.projects).toBeTruthy();

    const rev = await tokensPage.action({
      request: request('/account/tokens', { cookie: w.cookies.reader, form: { intent: 'revoke', tokenId: mine.id } }),
      params: {},
      context: {},
    });
    expect((rev as Response).status).toBe(302);
    expect((await listProjects(body.created.token)).status).toBe(401);
    // Someone else's token cannot be revoked through the page.
    const lead = await createToken({ userId: w.users.lead.id, name: 'lead’s', projects: [w.project.slug] });
    const foreign = await tokensPage.action({
      request: request('/account/tokens', { cookie: w.cookies.reader, form: { intent: 'revoke', tokenId: lead.id } }),
      params: {},
      context: {},
    });
    expect((foreign as Response).status).toBe(400);
    expect((await listTokens({ userId: w.users.lead.id })).find((x) => x.id === lead.id)?.revokedAt).toBeNull();
  });
});

describe('truthline token create', () => {
  it('prints a working token once; refuses unknown users and projects outside their memberships', async () => {
    const { run } = await import('../cli/commands/token.ts');
    const out: string[] = [];
    const err: string[] = [];
    const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const se = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    try {
      expect(await run(['create', '--user', w.users.lead.email.toUpperCase(), '--project', w.project.slug])).toBe(0);
      const token = out.join('').match(/tl_[A-Za-z0-9_-]{43}/)![0];
      expect((await listProjects(token)).body.projects.map((p: { slug: string }) => p.slug)).toEqual([w.project.slug]);
      expect(await run(['create', '--user', 'nobody@example.org', '--project', w.project.slug])).toBe(1);
      expect(await run(['create', '--user', w.users.lead.email, '--project', `${w.project.slug},${w.other.slug}`])).toBe(1);
      expect(err.join('')).toMatch(new RegExp(`no project "${w.other.slug}"`));
      expect(await run(['create', '--user', w.users.lead.email])).toBe(2);
      expect(await run(['frob'])).toBe(2);
    } finally {
      so.mockRestore();
      se.mockRestore();
    }
  });
});
