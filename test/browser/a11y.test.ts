/**
 * Accessibility (WCAG 2.1 AA): axe-core (npm axe-core, injected into the page)
 * on every page each role can reach — found by following the app's own links from the start
 * page, plus the pages behind buttons (a case to read, a case to adjudicate, the amend form, a
 * refused submit). Any violation fails, named with the page and the elements.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

type Violation = { id: string; help: string; nodes: { target: string[]; failureSummary?: string }[] };

async function axe(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const violations = await page.evaluate(
    async (tags) =>
      (await (window as unknown as { axe: { run(c: Document, o: object): Promise<{ violations: unknown[] }> } }).axe.run(document, { runOnly: { type: 'tag', values: tags } }))
        .violations,
    TAGS,
  );
  return (violations as Violation[]).map((v) => `${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Pages are the same page whatever the ids and query: /projects/x/cases/<uuid>?page=2 → /projects/x/cases/:id. */
const shape = (u: URL) => u.pathname.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ':id').replace(/\/jobs\/[^/]+$/, '/jobs/:id');
// Not pages: downloads, image and API paths, signing out.
const SKIP = /\/logout|\/api\/|\/dicomweb|\/images\/|\/export\/|\.(csv|json|zip|parquet|svg|png)$/;

async function crawl(page: Page, base: string, start: string[], seen: Map<string, string[]>, limit = 40) {
  const queue = [...start];
  while (queue.length && seen.size < limit) {
    const url = new URL(queue.shift()!, base);
    if (url.origin !== new URL(base).origin || SKIP.test(url.pathname) || seen.has(shape(url))) continue;
    const r = await page.goto(url.toString());
    if (!r || r.status() >= 400 || !r.headers()['content-type']?.includes('text/html')) continue;
    seen.set(shape(url), await axe(page));
    for (const href of await page.locator('a[href]').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href))) queue.push(href);
  }
}

function report(seen: Map<string, string[]>) {
  return [...seen.entries()].filter(([, v]) => v.length).map(([p, v]) => `${p}\n  ${v.join('\n  ')}`);
}

describe.skipIf(!hasChromium)('accessibility of every page, every role (axe-core)', () => {
  const ctx = useServerAndBrowser();
  const newPage = async () => (await ctx.browser.newContext({ bypassCSP: true })).newPage();

  it('signed out: the sign-in page', async () => {
    const page = await newPage();
    const seen = new Map<string, string[]>();
    await crawl(page, ctx.srv.url, ['/login'], seen);
    expect(report(seen)).toEqual([]);
  });

  it('a reader: queue, a case, a refused submit, a saved read and its amend form', async () => {
    const page = await newPage();
    await signInAs(page, ctx.srv.url, 'reader1@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    const seen = new Map<string, string[]>();
    await crawl(page, ctx.srv.url, ['/', '/projects/mammo-birads/read', '/projects/chest-pneumothorax/read'], seen);
    await page.goto(`${ctx.srv.url}/projects/mammo-birads/read`);
    await page.getByRole('button', { name: 'Start the next case' }).click();
    await page.waitForURL(/\/read\/[0-9a-f-]{36}$/);
    await page.locator('section.viewer[data-ready="true"]').waitFor({ timeout: 60_000 });
    seen.set('read case', await axe(page));
    await page.getByRole('button', { name: 'Submit and stop' }).click();
    await page.locator('#form-errors').waitFor();
    seen.set('read case, refused submit', await axe(page));
    const url = page.url();
    await page.keyboard.press('2');
    await page.keyboard.press('2');
    await page.getByRole('button', { name: 'Submit and stop' }).click();
    await page.waitForURL(/\/read$/);
    seen.set('queue after a save', await axe(page));
    await page.goto(url);
    seen.set('saved read', await axe(page));
    await page.getByRole('button', { name: 'Amend my read' }).click();
    seen.set('amend form', await axe(page));
    expect(report(seen)).toEqual([]);
    // Keyboard: the first Tab reaches the skip link, which is visible and moves focus to the content.
    await page.goto(`${ctx.srv.url}/projects/mammo-birads/read`);
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    expect(await skip.evaluate((a) => a === document.activeElement)).toBe(true);
    const box = (await skip.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.width).toBeGreaterThan(20);
    await page.screenshot({ path: '/tmp/h15d-skip-link.png', clip: { x: 0, y: 0, width: 500, height: 120 } });
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
  });

  it('the adjudicator: queue and a case to adjudicate', async () => {
    const page = await newPage();
    await signInAs(page, ctx.srv.url, 'adjudicator@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    const seen = new Map<string, string[]>();
    await crawl(page, ctx.srv.url, ['/', '/projects/chest-pneumothorax/adjudicate', '/projects/mammo-birads/adjudicate'], seen);
    await page.goto(`${ctx.srv.url}/projects/chest-pneumothorax/adjudicate`);
    await page.locator('tbody tr').first().getByRole('button').click();
    await page.waitForURL(/\/adjudicate\/[0-9a-f-]{36}$/);
    await page.locator('section.viewer[data-ready="true"]').waitFor({ timeout: 60_000 });
    seen.set('adjudicate case', await axe(page));
    await page.screenshot({ path: '/tmp/h15d-adjudicate.png', fullPage: true });
    await page.getByRole('button', { name: 'Record decision' }).click();
    await page.locator('#form-errors').waitFor();
    seen.set('adjudicate case, refused submit', await axe(page));
    expect(report(seen)).toEqual([]);
  });

  it('the lead: every project page, the adjudication queue included', async () => {
    const page = await newPage();
    await signInAs(page, ctx.srv.url, 'lead@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    const seen = new Map<string, string[]>();
    await crawl(page, ctx.srv.url, ['/', '/projects/chest-pneumothorax', '/projects/mammo-birads'], seen, 60);
    expect([...seen.keys()]).toContain('/projects/chest-pneumothorax/adjudicate');
    expect(report(seen)).toEqual([]);
  }, 300_000);

  it('the administrator: accounts', async () => {
    const page = await newPage();
    await signInAs(page, ctx.srv.url, 'admin@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    const seen = new Map<string, string[]>();
    await crawl(page, ctx.srv.url, ['/', '/admin/users'], seen);
    expect(report(seen)).toEqual([]);
  });
});
