/**
 * Security promises checked against the real server (server.ts, built app, demo data) and in
 * headless Chromium: headers and the CSP on the app's own pages, open redirects, export
 * downloads, malformed requests at the edge, stored XSS in user-entered text, and blinding
 * probes through pages (`_data`, window.__remixContext), the API, exports and errors.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, signInAs, useServerAndBrowser } from '../browser/harness.ts';
import { WORKFLOW_STATES } from '../../domain/workflow-states.ts';
import { TRUTH_STATES } from '../../domain/vocabulary.ts';

const PASSWORD = 'truthline-demo';
const PROJECT = 'chest-pneumothorax';

/** A session cookie from the sign-in form, as a browser would post it. */
async function cookieFor(base: string, email: string): Promise<string> {
  const r = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: base },
    body: new URLSearchParams({ email, password: PASSWORD, redirectTo: '/' }),
  });
  const c = r.headers.get('set-cookie');
  if (!c) throw new Error(`no session for ${email}: ${r.status}`);
  return c.split(';')[0];
}

/** Records CSP violations and uncaught errors a page raises. */
async function watch(page: Page): Promise<string[]> {
  const seen: string[] = [];
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __csp: string[] }).__csp ??= [];
      (window as unknown as { __csp: string[] }).__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.on('pageerror', (e) => seen.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    seen.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return seen;
}

/** Every route with an action, as a path on the demo project (any id: the check runs before routing). */
function mutatingRoutePaths(): string[] {
  const dir = path.resolve(import.meta.dirname, '../../app/routes');
  const values: Record<string, string> = { slug: PROJECT, caseId: '00000000-0000-4000-8000-000000000001', jobId: '00000000-0000-4000-8000-000000000002' };
  return fs
    .readdirSync(dir)
    .filter((f) => /export (async )?(function|const) action\b/.test(fs.readFileSync(path.join(dir, f), 'utf8')))
    .map((f) => {
      const segs = f
        .replace(/\.tsx?$/, '')
        .replace(/\[\.\]/g, '\u0000')
        .split('.')
        .filter((x) => x !== '_index' && !x.startsWith('_'))
        .map((x) => x.replace(/_$/, '').replace(/\u0000/g, '.'))
        .map((x) => (x.startsWith('$') ? (values[x.slice(1)] ?? 'x') : x));
      return `/${segs.join('/')}`;
    });
}

const XSS = [`<img src=x onerror="window.__xss=1;alert(1)">`, `"><script>window.__xss=2;alert(2)</script>`, `javascript:alert(3)`, `</textarea><svg onload="window.__xss=4">`];

describe.skipIf(!hasChromium)('security in the browser and at the edge', () => {
  const ctx = useServerAndBrowser();

  it('sends the security headers, a nonce-based CSP the pages carry, and no-store on pages and API JSON', async () => {
    const base = ctx.srv.url;
    const login = await fetch(`${base}/login`);
    const csp = login.headers.get('content-security-policy') ?? '';
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("'wasm-unsafe-eval'");
    expect(csp).toMatch(/worker-src 'self' blob:/);
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(login.headers.get('x-content-type-options')).toBe('nosniff');
    expect(login.headers.get('referrer-policy')).toBe('same-origin');
    const html = await login.text();
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(s).toContain(`nonce="${nonce}"`);
    const again = await fetch(`${base}/login`);
    expect(again.headers.get('content-security-policy')).not.toContain(nonce!);
    const cookie = await cookieFor(base, 'lead@example.org');
    for (const path of ['/', `/projects/${PROJECT}`, `/projects/${PROJECT}?_data=routes%2Fprojects.%24slug._index`]) {
      const r = await fetch(`${base}${path}`, { headers: { Cookie: cookie } });
      expect(r.status, path).toBe(200);
      expect(r.headers.get('cache-control'), path).toBe('no-store');
    }
    const api = await fetch(`${base}/api/v1/projects`);
    expect(api.headers.get('cache-control')).toBe('no-store');
  });

  it("the app's own pages raise no CSP violation and hydrate", async () => {
    const page = await ctx.browser.newPage();
    const seen = await watch(page);
    await signInAs(page, ctx.srv.url, 'lead@example.org');
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    for (const path of [
      '/',
      `/projects/${PROJECT}`,
      `/projects/${PROJECT}/cases`,
      `/projects/${PROJECT}/agreement`,
      `/projects/${PROJECT}/export`,
      `/projects/${PROJECT}/settings`,
      '/account',
    ]) {
      await page.goto(`${ctx.srv.url}${path}`);
      await page.waitForFunction(() => Boolean((window as unknown as { __remixRouter?: unknown }).__remixRouter));
      expect(await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []), path).toEqual([]);
    }
    expect(seen).toEqual([]);
    await page.close();
  });

  it('sign-in never redirects off-site, whatever redirectTo holds', async () => {
    const page = await ctx.browser.newPage();
    await page.goto(`${ctx.srv.url}/login?redirectTo=%2F%09%2Fevil.example%2Fphish`);
    await page.getByLabel('Email').fill('lead@example.org');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    expect(new URL(page.url()).origin).toBe(ctx.srv.url);
    for (const q of ['%2F%09%2Fevil.example', '%2F%0A%2Fevil.example', '%2F%0D%2Fevil.example', '%2F%5Cevil.example', '%2F%2Fevil.example']) {
      const r = await page.goto(`${ctx.srv.url}/login?redirectTo=${q}`);
      expect(r?.status(), q).toBeLessThan(500);
      expect(new URL(page.url()).origin, q).toBe(ctx.srv.url);
    }
    await page.close();
  });

  it('the Export page downloads each format', async () => {
    const context = await ctx.browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await signInAs(page, ctx.srv.url, 'lead@example.org');
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    await page.goto(`${ctx.srv.url}/projects/${PROJECT}/export`);
    for (const [name, ext, head] of [
      ['Download CSV', 'csv', 'case_id,'],
      ['Download JSONL', 'jsonl', '{"case_id"'],
      ['Download PROV-JSON', 'prov.json', '{'],
    ] as const) {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name }).click()]);
      expect(dl.suggestedFilename()).toMatch(new RegExp(`^${PROJECT}-truth-\\d{4}-\\d\\d-\\d\\d\\.${ext.replace('.', '\\.')}$`));
      const stream = await dl.createReadStream();
      let text = '';
      for await (const chunk of stream) text += chunk;
      expect(text.startsWith(head), name).toBe(true);
    }
    await context.close();
  });

  it('refuses malformed requests with a 4xx the client can read', async () => {
    const base = ctx.srv.url;
    const cookie = await cookieFor(base, 'reader1@example.org');
    const get = (p: string) => fetch(`${base}${p}`, { headers: { Cookie: cookie }, redirect: 'manual' });
    expect((await get(`/projects/${PROJECT}/read/not-a-uuid`)).status).toBe(404);
    expect((await get(`/projects/${PROJECT}/read/12345`)).status).toBe(404);
    expect((await get(`/projects/${PROJECT}/adjudicate/%27%20or%201%3D1`)).status).toBe(404);
    const nul = await get(`/projects/${PROJECT}%00x`);
    expect(nul.status).toBe(400);
    expect(await nul.text()).toContain('slug');
    const post = await fetch(`${base}/projects/${PROJECT}/read`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Cookie: cookie, Origin: 'null', Referer: `${base}/projects/${PROJECT}/read`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'x=1',
    });
    expect(post.status).toBe(403);
    const g405 = await fetch(`${base}/api/v1/projects/${PROJECT}/next-case`);
    expect(g405.status).toBe(405);
    expect((await g405.json()).error.code).toBe('method_not_allowed');
    const notFound = await fetch(`${base}/api/v1/nothing-here`);
    expect(notFound.status).toBe(404);
    expect((await notFound.json()).error.code).toBe('not_found');
    // A chunked body over the limit (10 MB): a 413 with its status line, not a dropped connection.
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(`${base}/login`);
      const req = http.request(
        { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024, 97);
      let i = 0;
      const write = () => {
        while (i < 12) {
          i++;
          if (!req.write(chunk)) return req.once('drain', write);
        }
        req.end();
      };
      write();
    });
    expect(status).toBe(413);
  });

  it('stored XSS: user-entered text renders as text on every page that shows it', { timeout: 180_000 }, async () => {
    const page = await ctx.browser.newPage();
    const seen = await watch(page);
    await signInAs(page, ctx.srv.url, 'lead@example.org');
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    const slug = `xss-${Date.now().toString(36)}`;
    await page.goto(`${ctx.srv.url}/projects/new`);
    await page.getByLabel('Name').fill(`${XSS[0]} ${XSS[1]}`);
    await page.getByLabel('Address').fill(slug);
    await page.getByLabel('Description').fill(`${XSS[2]} ${XSS[3]}`);
    await page.getByLabel('Licence of the data').fill(XSS[1]);
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL((u) => u.pathname.endsWith('/settings'), { timeout: 20_000 });
    const admin = await ctx.browser.newPage();
    const seenAdmin = await watch(admin);
    await signInAs(admin, ctx.srv.url, 'admin@example.org');
    await admin.waitForURL((u) => !u.pathname.startsWith('/login'));
    await admin.goto(`${ctx.srv.url}/admin/users`);
    await admin.getByLabel('Email').fill(`xss-${Date.now()}@example.org`);
    await admin.getByLabel('Name').fill(`${XSS[0]} ${XSS[3]}`); // the name field holds at most 120 characters
    await admin.getByRole('button', { name: 'Create account' }).click();
    await admin.getByTestId('one-time-password').waitFor({ timeout: 20_000 });
    await admin.reload();
    for (const path of ['/', `/projects/${slug}`, `/projects/${slug}/settings`, `/projects/${slug}/members`, `/projects/${slug}/export`]) {
      await page.goto(`${ctx.srv.url}${path}`);
      await page.waitForFunction(() => Boolean((window as unknown as { __remixRouter?: unknown }).__remixRouter));
      expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), path).toBeUndefined();
    }
    expect(await page.getByRole('heading', { level: 1 }).first().textContent()).toContain('<img src=x');
    expect(await admin.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(seen).toEqual([]);
    expect(seenAdmin).toEqual([]);
    await page.close();
    await admin.close();
  });

  it('stored XSS: evidence text, withdrawal reasons and report text render as text on the pages that show them', { timeout: 180_000 }, async () => {
    const base = ctx.srv.url;
    const cookie = await cookieFor(base, 'lead@example.org');
    const headers = { Cookie: cookie, Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' };
    const list = await (await fetch(`${base}/projects/${PROJECT}/cases?_data=routes%2Fprojects.%24slug.cases._index`, { headers: { Cookie: cookie } })).json();
    const [one, two] = (list.list.rows as { id: string }[]).map((r) => r.id);
    const ev = await (
      await fetch(`${base}/projects/${PROJECT}/cases/${one}/evidence?_data=routes%2Fprojects.%24slug.cases.%24caseId.evidence`, { headers: { Cookie: cookie } })
    ).json();
    const stored = await fetch(`${base}/projects/${PROJECT}/cases/${one}/evidence`, {
      method: 'POST',
      redirect: 'manual',
      headers,
      body: new URLSearchParams({ intent: 'record', clientRequestId: ev.clientRequestId, kind: 'follow_up', date: '2025-01-01', resultCode: XSS[1], text: XSS.join('\n') }),
    });
    expect(stored.status).toBe(302);
    const wd = await (
      await fetch(`${base}/projects/${PROJECT}/cases/${two}/withdraw?_data=routes%2Fprojects.%24slug.cases.%24caseId.withdraw`, { headers: { Cookie: cookie } })
    ).json();
    const withdrawn = await fetch(`${base}/projects/${PROJECT}/cases/${two}/withdraw`, {
      method: 'POST',
      redirect: 'manual',
      headers,
      body: new URLSearchParams({ clientRequestId: wd.clientRequestId, reason: `${XSS[0]} ${XSS[3]}`, confirm: 'yes' }),
    });
    expect(withdrawn.status).toBe(302);
    const page = await ctx.browser.newPage();
    const seen = await watch(page);
    await signInAs(page, base, 'lead@example.org');
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    for (const path of [`/projects/${PROJECT}/cases/${one}/evidence`, `/projects/${PROJECT}/cases/${one}`, `/projects/${PROJECT}/cases/${two}`, `/projects/${PROJECT}/reviews`]) {
      await page.goto(`${base}${path}`);
      await page.waitForFunction(() => Boolean((window as unknown as { __remixRouter?: unknown }).__remixRouter));
      expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), path).toBeUndefined();
    }
    await page.goto(`${base}/projects/${PROJECT}/cases/${one}/evidence`);
    expect(await page.locator('td', { hasText: '<img src=x' }).count()).toBeGreaterThan(0);
    // Report text through the rules tester: the sentence comes back on the page.
    await page.goto(`${base}/projects/${PROJECT}/reports`);
    await page.waitForFunction(() => Boolean((window as unknown as { __remixRouter?: unknown }).__remixRouter));
    await page.locator('#r-report').fill(`No pneumothorax ${XSS[0]}. ${XSS[1]} ${XSS[3]}`);
    await page.getByRole('button', { name: 'Test the rules' }).click();
    await page.getByText('<img src=x', { exact: false }).first().waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(seen).toEqual([]);
    await page.close();
  });

  it('stored XSS: read comments, upload file names and account names render as text', { timeout: 240_000 }, async () => {
    const base = ctx.srv.url;
    const project = 'mammo-birads';
    const pages: Page[] = [];
    const seen: string[][] = [];
    const open = async (email: string) => {
      const p = await ctx.browser.newPage();
      pages.push(p);
      seen.push(await watch(p));
      await signInAs(p, base, email);
      await p.waitForURL((u) => !u.pathname.startsWith('/login'));
      return p;
    };
    const clean = async (p: Page, path: string) => {
      await p.goto(`${base}${path}`);
      await p.waitForFunction(() => Boolean((window as unknown as { __remixRouter?: unknown }).__remixRouter));
      expect(await p.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), path).toBeUndefined();
    };
    // An account whose name is a payload, given a role in the project.
    const admin = await open('admin@example.org');
    const email = `xss-member-${Date.now()}@example.org`;
    await admin.goto(`${base}/admin/users`);
    await admin.getByLabel('Email').fill(email);
    await admin.getByLabel('Name').fill(`${XSS[1]} ${XSS[3]}`);
    await admin.getByRole('button', { name: 'Create account' }).click();
    await admin.getByTestId('one-time-password').waitFor({ timeout: 20_000 });
    const lead = await open('lead@example.org');
    await lead.goto(`${base}/projects/${project}/members`);
    await lead.getByLabel('Email').fill(email);
    await lead.getByRole('button', { name: 'Add role' }).click();
    await lead.getByText(email).first().waitFor({ timeout: 20_000 });
    // A read whose comment is a payload, typed key by key.
    const reader = await open('reader2@example.org');
    await reader.goto(`${base}/projects/${project}/read`);
    const resume = reader.getByRole('link', { name: 'Resume where you left off' });
    if (await resume.count()) await resume.click();
    else await reader.getByRole('button', { name: 'Start the next case' }).click();
    await reader.waitForURL(/\/read\/[0-9a-f-]{36}$/);
    const caseUrl = new URL(reader.url()).pathname;
    const caseId = caseUrl.split('/').pop()!;
    await reader.getByRole('heading', { name: 'Your read' }).waitFor();
    await reader.waitForFunction(() => document.activeElement?.tagName === 'H1');
    await reader.keyboard.press('2');
    await reader.keyboard.press('2');
    await reader.getByLabel('Comment (optional)').click();
    await reader.keyboard.type(XSS[0]);
    await reader.getByRole('button', { name: 'Submit and stop' }).click();
    await reader.waitForURL(/\/read$/);
    await clean(reader, caseUrl);
    expect(await reader.getByText(`Comment: ${XSS[0]}`).count()).toBe(1);
    await clean(reader, `/projects/${project}/read`);
    // An upload whose file name is a payload.
    await lead.goto(`${base}/projects/${project}/cases/import`);
    await lead.locator('#f-file').setInputFiles({ name: `${XSS[0]}.csv`, mimeType: 'text/csv', buffer: Buffer.from('case_id\n') });
    await lead.getByRole('button', { name: 'Check and preview' }).click();
    await lead.waitForLoadState('networkidle');
    expect(await lead.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    for (const path of [
      `/projects/${project}/members`,
      `/projects/${project}/cases/${caseId}`,
      `/projects/${project}/agreement`,
      `/projects/${project}/jobs`,
      `/projects/${project}`,
      '/',
    ]) {
      await clean(lead, path);
    }
    // The payloads are on the pages, as text.
    await lead.goto(`${base}/projects/${project}/cases/${caseId}`);
    expect(await lead.getByText(XSS[0], { exact: false }).count()).toBeGreaterThan(0);
    await lead.goto(`${base}/projects/${project}/members`);
    expect(await lead.locator('main').innerText()).toContain(XSS[1]);
    await clean(admin, '/admin/users');
    expect(seen.flat()).toEqual([]);
    for (const p of pages) await p.close();
  });

  it('CSRF: a form post from another site, port or scheme reaches no mutating route', { timeout: 120_000 }, async () => {
    const base = ctx.srv.url;
    const cookie = await cookieFor(base, 'lead@example.org');
    const u = new URL(base);
    const crossSite: Record<string, string>[] = [
      { Origin: 'https://evil.example' },
      { Origin: `${u.protocol}//${u.hostname}:${Number(u.port) + 1}` },
      { Origin: `https://${u.host}` },
      { Referer: 'https://evil.example/form.html' },
      { Referer: `${u.protocol}//${u.hostname}:${Number(u.port) + 1}/form.html` },
      // A browser that sends neither Origin nor Referer still says where the request comes from.
      { 'Sec-Fetch-Site': 'cross-site' },
    ];
    const paths = mutatingRoutePaths();
    expect(paths.length).toBeGreaterThan(20);
    for (const path of paths) {
      for (const h of crossSite) {
        const r = await fetch(`${base}${path}`, {
          method: 'POST',
          redirect: 'manual',
          headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded', ...h },
          body: 'intent=details&name=csrf-was-here&slug=csrf-was-here',
        });
        expect(r.status, `${path} ${JSON.stringify(h)}`).toBe(403);
      }
    }
    // Nothing was created or renamed.
    const home = await (await fetch(`${base}/`, { headers: { Cookie: cookie } })).text();
    expect(home).not.toContain('csrf-was-here');
    // JSON smuggled as a "simple" request (text/plain, no preflight) with the session cookie: the
    // API never acts on a browser session, and only takes application/json.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await fetch(`${base}/api/v1/projects/${PROJECT}/evidence`, {
        method: 'POST',
        headers: { Cookie: cookie, 'Content-Type': type },
        body: JSON.stringify({ client_request_id: 'csrf', case_id: 'x', kind: 'pathology', date: '2025-01-01', text: 'csrf' }),
      });
      expect(r.status, type).toBe(401);
      expect((await r.json()).error.code).toBe('unauthorized');
    }
  });

  describe('blinding probes (a reader sees only their own read)', () => {
    // A workflow state that is not also a truth state (the reveal policy may show a decided
    // case's truth state) must never reach a reader; nor may a flag derived from the workflow.
    // Remix's own router `"state":{…}` is an object, so only string values are matched.
    const WORKFLOW_ONLY = WORKFLOW_STATES.filter((s) => !(TRUTH_STATES as readonly string[]).includes(s));
    const FORBIDDEN_KEYS = new RegExp(`"(amendable|decided|isDecided|consensus|otherReads|workflowState)"\\s*:|"state"\\s*:\\s*"(${WORKFLOW_ONLY.join('|')})"`);

    // Rule: a reader's page projection never carries a workflow state or a "decided" flag.
    it("a reader's read pages (_data and window.__remixContext) carry no workflow state", async () => {
      const base = ctx.srv.url;
      const cookie = await cookieFor(base, 'reader1@example.org');
      const list = await (await fetch(`${base}/projects/${PROJECT}/read?_data=routes%2Fprojects.%24slug.read._index`, { headers: { Cookie: cookie } })).text();
      expect(list).not.toMatch(FORBIDDEN_KEYS);
      // The case they are reading now counts too: take one, so the probe never runs on nothing.
      const taken = await fetch(`${base}/projects/${PROJECT}/read`, {
        method: 'POST',
        headers: { Cookie: cookie, Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: '',
        redirect: 'manual',
      });
      const current = /\/read\/([0-9a-f-]{36})$/.exec(taken.headers.get('location') ?? '')?.[1];
      const listed = [...list.matchAll(/"caseId":"([0-9a-f-]{36})"/g)].map((m) => m[1]);
      const ids = [...new Set([...(current ? [current] : []), ...listed])].slice(0, 10);
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) {
        const data = await (await fetch(`${base}/projects/${PROJECT}/read/${id}?_data=routes%2Fprojects.%24slug.read.%24caseId`, { headers: { Cookie: cookie } })).text();
        expect(data, id).not.toMatch(FORBIDDEN_KEYS);
        const html = await (await fetch(`${base}/projects/${PROJECT}/read/${id}`, { headers: { Cookie: cookie } })).text();
        const embedded = /window\.__remixContext = (.*?);<\/script>/s.exec(html)?.[1] ?? '';
        expect(embedded.length).toBeGreaterThan(0);
        expect(embedded, id).not.toMatch(FORBIDDEN_KEYS);
      }
    });

    it("the API, exports and PROV give a reader nothing of other readers' answers", async () => {
      const base = ctx.srv.url;
      const cookie = await cookieFor(base, 'reader1@example.org');
      for (const format of ['csv', 'jsonl', 'prov']) {
        const r = await fetch(`${base}/projects/${PROJECT}/export/${format}`, { headers: { Cookie: cookie }, redirect: 'manual' });
        expect(r.status, format).toBe(403);
        expect(await r.text()).not.toMatch(/reader2|Reader Two/);
      }
      const page = await fetch(`${base}/projects/${PROJECT}/cases?_data=routes%2Fprojects.%24slug.cases._index`, { headers: { Cookie: cookie } });
      expect(page.status).toBe(403);
    });

    it('errors do not tell a reader whether a case exists or who holds it', async () => {
      const base = ctx.srv.url;
      const cookie = await cookieFor(base, 'reader1@example.org');
      const other = await fetch(`${base}/projects/${PROJECT}/cases?_data=routes%2Fprojects.%24slug.cases._index`, {
        headers: { Cookie: await cookieFor(base, 'lead@example.org') },
      });
      const anyCase = /"id":"([0-9a-f-]{36})"/.exec(await other.text())?.[1];
      expect(anyCase).toBeTruthy();
      const missing = '00000000-0000-4000-8000-000000000000';
      const a = await fetch(`${base}/projects/${PROJECT}/read/${missing}?_data=routes%2Fprojects.%24slug.read.%24caseId`, { headers: { Cookie: cookie } });
      const b = await fetch(`${base}/projects/${PROJECT}/read/${anyCase}?_data=routes%2Fprojects.%24slug.read.%24caseId`, { headers: { Cookie: cookie } });
      // Either it is the reader's own case (200) or it answers exactly like a case that does not exist.
      if (b.status !== 200) {
        expect(b.status).toBe(a.status);
        expect(await b.text()).toBe(await a.text());
      }
    });
  });

  // Last in the file: it rewords the demo project's question, which other tests find by label.
  it("stored XSS: labels and help text of the reader form render as text on the lead's pages and the reader preview", { timeout: 240_000 }, async () => {
    const base = ctx.srv.url;
    const lead = await ctx.browser.newPage();
    const seenLead = await watch(lead);
    await signInAs(lead, base, 'lead@example.org');
    await lead.waitForURL((u) => !u.pathname.startsWith('/login'));
    await lead.goto(`${base}/projects/${PROJECT}/settings`);
    const editor = lead.locator('textarea[name="readerForm"]');
    const form = JSON.parse(await editor.inputValue());
    form.fields[0].label = `Pneumothorax ${XSS[0]}`;
    form.fields[0].help = `${XSS[1]} ${XSS[3]}`;
    await editor.fill(JSON.stringify(form, null, 2));
    await lead.getByRole('button', { name: /^Save (descriptions )?in version/ }).click();
    await lead.getByText(/updated in place/).waitFor({ timeout: 20_000 });
    expect(await lead.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    // The preview renders the reader form with the read page's own components (a case's read page
    // shows the form frozen in its workflow when it started, so in-place wording reaches new cases).
    await lead.goto(`${base}/projects/${PROJECT}/settings`);
    await lead.waitForFunction(() => Boolean((window as unknown as { __remixRouter?: unknown }).__remixRouter));
    expect(await lead.locator('main').innerText()).toContain(XSS[0]);
    for (const path of [`/projects/${PROJECT}/settings`, `/projects/${PROJECT}/setup`, `/projects/${PROJECT}/agreement`, `/projects/${PROJECT}/adjudicate`]) {
      await lead.goto(`${base}${path}`);
      await lead.waitForFunction(() => Boolean((window as unknown as { __remixRouter?: unknown }).__remixRouter));
      expect(await lead.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), path).toBeUndefined();
    }
    expect(seenLead).toEqual([]);
    await lead.close();
  });
});
