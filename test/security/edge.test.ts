/**
 * Security promises checked by calling route modules and helpers directly (no server): session
 * cookie, one-time passwords, project creation, malformed input, API errors, CSV formula cells,
 * text encodings, export downloads and withdrawal. The browser-level checks (headers, CSP,
 * redirects, XSS, blinding through pages) are in browser.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { createTestDb, type TestDb } from '../db.ts';
import { makeCase, makeUser } from '../fixtures/base.ts';
import { apiToken, invoke, makeWorld, request, sessionCookie } from '../fixtures/app.ts';
import { apiRequest, call } from '../api-support.ts';
import type { World } from '../matrix/types.ts';
import { auditLog, cases, users } from '../../db/schema.ts';
import { signIn } from '../../app/auth.server.ts';
import { originAllowed } from '../../app/lib/origin.ts';
import { checkAddress } from '../../app/lib/request-edge.ts';
import { apiRoute, readJson } from '../../app/api/http.server.ts';
import { decodeTextFile, TextFileError } from '../../formats/text-file.ts';
import { formulaCells, neutraliseCell } from '../../app/lib/csv-safety.ts';
import { csvCell } from '../../app/models/export.server.ts';
import { csvCell as extractCsvCell } from '../../cli/commands/extract.ts';
import { startCaseWorkflow } from '../../workflows/runtime.ts';
import { withdrawCase } from '../../app/models/evidence.server.ts';
import { runJobNow } from '../../jobs/runner.ts';
import * as home from '../../app/routes/_index.tsx';
import * as account from '../../app/routes/account.tsx';
import * as projectsNew from '../../app/routes/projects.new.tsx';
import * as adminUsers from '../../app/routes/admin.users.tsx';
import * as exportFile from '../../app/routes/projects.$slug.export_.$format.tsx';
import * as importPage from '../../app/routes/projects.$slug.cases.import.tsx';
import * as nextCase from '../../app/routes/api.v1.projects.$slug.next-case.tsx';
import * as evidenceApi from '../../app/routes/api.v1.projects.$slug.evidence.tsx';
import * as apiCase from '../../app/routes/api.v1.projects.$slug.cases.$caseId.tsx';
import * as apiCases from '../../app/routes/api.v1.projects.$slug.cases.tsx';
import * as casePage from '../../app/routes/projects.$slug.cases.$caseId.tsx';

let t: TestDb;
let w: World;
beforeAll(async () => {
  t = await createTestDb();
  w = await makeWorld(t.db);
}, 120_000);
afterAll(async () => t?.dispose());

describe('session cookie', () => {
  it('is a browser-session cookie: no Max-Age, no Expires; HttpOnly, SameSite=Lax', async () => {
    const req = new Request('http://localhost:3000/login', { method: 'POST', headers: { 'x-truthline-client-ip': '10.9.9.9' } });
    const r = await signIn(req, w.users.reader.email, 'correct horse battery');
    expect(r.ok).toBe(true);
    const cookie = r.ok ? r.headers.get('Set-Cookie')! : '';
    expect(cookie).toMatch(/^truthline_session=/);
    expect(cookie).not.toMatch(/Max-Age|Expires/i);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });
});

describe('one-time password', () => {
  it('reaches nothing but the account page until changed, API tokens included', async () => {
    const u = await makeUser(t.db, { email: `otp-${Date.now()}@example.org`, mustChangePassword: true });
    const cookie = await sessionCookie(u.email);
    const r = await invoke(home.loader as never, request('/', { cookie }), {});
    expect(r.status).toBe(302);
    expect(r.headers.get('Location')).toBe('/account');
    const acc = await invoke(account.loader as never, request('/account', { cookie }), {});
    expect(acc.status).toBe(200);
    const token = await apiToken(t.db, u.id, []);
    const api = await call(apiCases.loader as never, apiRequest(`/api/v1/projects/${w.project.slug}/cases`, { token }), { slug: w.project.slug });
    expect(api.status).toBe(403);
    expect(api.body.error.details).toEqual({ reason: 'password_change_required' });
  });

  it('throttles the current-password check like sign-in', async () => {
    const u = await makeUser(t.db, { email: `thr-${Date.now()}@example.org` });
    const cookie = await sessionCookie(u.email);
    const attempt = (current: string) =>
      invoke(account.action as never, request('/account', { cookie, form: { current, next: 'a brand new password', confirm: 'a brand new password' } }), {});
    for (let i = 0; i < 10; i++) expect((await attempt(`wrong-${i}`)).status).toBe(400);
    const locked = await attempt('correct horse battery');
    expect(locked.status).toBe(429);
    expect(await locked.text()).toMatch(/Too many failed password attempts/);
    const [row] = await t.db.select().from(users).where(eq(users.id, u.id));
    expect(row.passwordChangedAt.getTime()).toBeLessThan(Date.now() - 1000);
  }, 120_000);
});

describe('creating projects', () => {
  it('needs an administrator or an account an administrator marked as a project creator', async () => {
    const form = { name: 'Creator test', slug: `ct-${Date.now()}`, template: 'binary' };
    const before = await invoke(projectsNew.action as never, request('/projects/new', { cookie: w.cookies.reader, form }), {});
    expect(before.status).toBe(403);
    const allow = await invoke(adminUsers.action as never, request('/admin/users', { cookie: w.cookies.admin, form: { intent: 'allow-projects', userId: w.users.reader.id } }), {});
    expect(allow.status).toBe(200);
    const cookie = await sessionCookie(w.users.reader.email);
    const page = await invoke(projectsNew.loader as never, request('/projects/new', { cookie }), {});
    expect(page.status).toBe(200);
    const audit = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'user.grant_project_creator'), eq(auditLog.target, w.users.reader.id)));
    expect(audit).toHaveLength(1);
    await invoke(adminUsers.action as never, request('/admin/users', { cookie: w.cookies.admin, form: { intent: 'disallow-projects', userId: w.users.reader.id } }), {});
  });
});

describe('malformed input is a 4xx naming what is wrong', () => {
  it.each([
    ['/projects/x/read/not-a-uuid1', 404],
    ["/projects/x/adjudicate/1'%20or%201=1", 404],
    ['/api/v1/projects/x/cases/123', 404],
    ['/projects/ab%00c', 400],
    ['/projects/x?q=%00', 400],
    ['/projects/x/cases/%E0%A4%A', 400],
  ])('%s → %i', (path, status) => expect(checkAddress(path)?.status).toBe(status));

  it('lets well-formed addresses through', () => {
    for (const p of [
      '/projects/x/read/0b7c2b8e-2f1a-4c3b-9d7e-1a2b3c4d5e6f',
      '/projects/x/cases/import',
      '/projects/x/read',
      '/login?redirectTo=%2Fprojects',
      '/projects/x/export/csv',
    ])
      expect(checkAddress(p)).toBeNull();
  });

  it('names the form field holding a NUL byte', async () => {
    const r = await invoke(
      projectsNew.action as never,
      request('/projects/new', { cookie: w.cookies.admin, form: { name: 'bad\u0000name', slug: 'ok-slug', template: 'binary' } }),
      {},
    );
    expect(r.status).toBe(400);
    const body = await r.json();
    expect(body.errors.name[0]).toMatch(/"name" contains a NUL byte/);
  });

  it('names the JSON field holding a NUL byte', async () => {
    const req = new Request('http://x/api', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ a: [{ text: 'x\u0000' }] }) });
    await expect(readJson(req)).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/a\.0\.text/) });
  });

  it('refuses Origin: null even with a same-origin Referer', () => {
    expect(originAllowed({ method: 'POST', protocol: 'http', host: 'localhost:3000', origin: 'null', referer: 'http://localhost:3000/login' })).toBe(false);
  });

  it.each([
    ['next-case', nextCase],
    ['evidence', evidenceApi],
  ])('GET on the action-only %s endpoint is 405 JSON with Allow', async (_n, mod) => {
    const r = await call((mod as unknown as { loader: never }).loader, apiRequest(`/api/v1/projects/${w.project.slug}/x`, { token: w.tokens.lead }), { slug: w.project.slug });
    expect(r.status).toBe(405);
    expect(r.body.error.code).toBe('method_not_allowed');
    expect(r.headers.get('Allow')).toBe('POST');
  });
});

describe('API errors while the database is away', () => {
  it('a connection error is a 503 JSON error at once, not a 500', async () => {
    const dead = apiRoute(async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    });
    const r = await call(dead as never, apiRequest('/api/v1/projects'));
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('unavailable');
    const wrapped = apiRoute(async () => {
      throw new Error('Failed query', { cause: Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }) });
    });
    expect((await call(wrapped as never, apiRequest('/api/v1/projects'))).status).toBe(503);
  });
});

describe('CSV formula cells', () => {
  it.each(['=HYPERLINK("http://evil.example","x")', '+1+1', '-2+3', '@SUM(A1)', '\tcmd', '\r=1'])('%j is written as text', (v) => {
    expect(neutraliseCell(v)).toBe(`'${v}`);
    expect(csvCell(v).replace(/^"|"$/g, '')).toMatch(/^'/);
    expect(extractCsvCell(v).replace(/^"|"$/g, '')).toMatch(/^'/);
  });
  it('keeps plain numbers and ordinary text', () => {
    for (const v of ['-0.5', '12', 'left', '1e-3']) expect(neutraliseCell(v)).toBe(v);
  });
  it('lists formula cells of an import with line and column', () => {
    expect(formulaCells('case_id,patient_id\nA1,=cmd|x\nA2,P2\n@evil,P3\n')).toEqual([
      { line: 2, column: 2, value: '=cmd|x' },
      { line: 4, column: 1, value: '@evil' },
    ]);
  });
  it('the import preview warns about them', async () => {
    const text = 'case_id,patient_id,study_date,images\n=1+1,P1,2024-01-01,a.png\n';
    // The check runs as a background job: the form redirects to it, and its result carries the warning.
    const r = await invoke(
      importPage.action as never,
      request(`/projects/${w.project.slug}/cases/import`, { cookie: w.cookies.lead, form: { intent: 'preview', text, format: 'auto', ratio: '70/15/15' } }),
      { slug: w.project.slug },
    );
    expect(r.status).toBe(302);
    const jobId = new URL(r.headers.get('Location')!, 'http://localhost').searchParams.get('job')!;
    await runJobNow({ jobId, db: t.db });
    const page = await invoke(importPage.loader as never, request(`/projects/${w.project.slug}/cases/import?job=${jobId}`, { cookie: w.cookies.lead }), { slug: w.project.slug });
    const body = await page.json();
    expect(body.job.result.formulaCells).toEqual([{ line: 2, column: 1, value: '=1+1' }]);
  });
});

describe('text files must be UTF-8', () => {
  it('refuses Latin-1 naming the line and byte', () => {
    const latin1 = Buffer.concat([Buffer.from('case_id,patient_id\nA1,P1\nA2,'), Buffer.from([0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72]), Buffer.from('\n')]);
    expect(() => decodeTextFile(latin1, 'The manifest')).toThrow(TextFileError);
    expect(() => decodeTextFile(latin1, 'The manifest')).toThrow(/line 3 has the byte 0xFC/);
  });
  it('refuses a NUL byte, accepts a BOM', () => {
    expect(() => decodeTextFile(Buffer.from('a\nb\u0000'), 'x')).toThrow(/NUL byte on line 2/);
    expect(decodeTextFile(Buffer.from('\ufeffa,b'), 'x')).toBe('a,b');
  });
  it('the import page refuses a Latin-1 upload with a file-level error', async () => {
    const fd = new FormData();
    fd.set('intent', 'preview');
    fd.set('format', 'auto');
    fd.set('ratio', '70/15/15');
    fd.set('text', '');
    fd.set('file', new File([Buffer.from([0x63, 0x61, 0x73, 0x65, 0x0a, 0xe9, 0x0a])], 'm.csv', { type: 'text/csv' }));
    const req = new Request(`http://localhost:3000/projects/${w.project.slug}/cases/import`, {
      method: 'POST',
      body: fd,
      headers: { Cookie: w.cookies.lead!, 'x-truthline-client-ip': '127.0.0.1' },
    });
    const r = await invoke(importPage.action as never, req, { slug: w.project.slug });
    expect(r.status).toBe(400);
    expect((await r.json()).errors.file[0]).toMatch(/m\.csv is not valid UTF-8: line 2 has the byte 0xE9/);
  });
});

describe('export downloads', () => {
  const audits = async () => (await t.db.select().from(auditLog).where(eq(auditLog.action, 'truth.export'))).length;
  it.each(['csv', 'jsonl', 'prov'])('%s is a file with one audit row', async (format) => {
    const n = await audits();
    const r = await invoke(exportFile.loader as never, request(`/projects/${w.project.slug}/export/${format}`, { cookie: w.cookies.lead }), { slug: w.project.slug, format });
    expect(r.status).toBe(200);
    expect(r.headers.get('Content-Disposition')).toMatch(/^attachment; filename="/);
    expect((await r.text()).length).toBeGreaterThan(10);
    expect(await audits()).toBe(n + 1);
  });
  it('an unknown format produces no file and no audit row', async () => {
    const n = await audits();
    const r = await invoke(exportFile.loader as never, request(`/projects/${w.project.slug}/export/xls`, { cookie: w.cookies.lead }), { slug: w.project.slug, format: 'xls' });
    expect(r.status).toBe(404);
    expect(await audits()).toBe(n);
  });
});

describe('withdrawal', () => {
  it('no API answer or page returns the patient id, study date or reads of a withdrawn case', async () => {
    const c = await makeCase(t.db, w.project.id);
    await t.db.transaction(async (tx) => startCaseWorkflow({ tx, caseId: c.id }));
    const r = await withdrawCase({ caseId: c.id, actorId: w.users.lead.id, reason: 'consent withdrawn' });
    expect(r.status, JSON.stringify(r)).toBe('applied');
    const [row] = await t.db.select().from(cases).where(eq(cases.id, c.id));
    expect(row.withdrawnAt).not.toBeNull();
    const one = await call(apiCase.loader as never, apiRequest(`/api/v1/projects/${w.project.slug}/cases/${c.id}`, { token: w.tokens.lead }), {
      slug: w.project.slug,
      caseId: c.id,
    });
    expect(one.status).toBe(404);
    expect(one.text).not.toContain(row.studyDate);
    let cursor: string | null = null;
    let found: any = null;
    do {
      const page = await call(
        apiCases.loader as never,
        apiRequest(`/api/v1/projects/${w.project.slug}/cases?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { token: w.tokens.lead }),
        { slug: w.project.slug },
      );
      found ??= page.body.cases.find((x: { id: string }) => x.id === c.id);
      cursor = page.body.next_cursor;
    } while (cursor && !found);
    expect(found).toMatchObject({ withdrawn: true, patient_id: null, study_date: null });
    const page = await invoke(casePage.loader as never, request(`/projects/${w.project.slug}/cases/${c.id}`, { cookie: w.cookies.lead }), { slug: w.project.slug, caseId: c.id });
    const data = await page.json();
    expect(data.kase.patient).toBeNull();
    expect(data.kase.studyDate).toBeNull();
    expect(data.prov.reads).toEqual([]);
  });
});
