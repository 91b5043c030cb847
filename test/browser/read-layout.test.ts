/**
 * The reading panel's sticky Submit bar never covers a control of the form on a 1366×768 laptop
 * screen: brought into view as the browser does for focus (the nearest edge), "Cannot assess"
 * is the element at its own position, and a real mouse click there ticks it. And the
 * adjudication and report-rule pages load no zod (validation stays on the server).
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';

const CASE_URL = /\/read\/[0-9a-f-]{36}$/;

/** The scripts a page loads from here on, with their text. */
function scriptsOf(page: Page): { url: string; body: string }[] {
  const scripts: { url: string; body: string }[] = [];
  page.on('response', async (r) => {
    if (r.request().resourceType() === 'script') scripts.push({ url: r.url(), body: await r.text().catch(() => '') });
  });
  return scripts;
}
// zod's error code names are in every build of it.
const withZod = (scripts: { url: string; body: string }[]) => scripts.filter((s) => s.body.includes('invalid_type')).map((s) => s.url);

describe.skipIf(!hasChromium)('reading panel layout', () => {
  const ctx = useServerAndBrowser();

  it('"Cannot assess" is clickable where it is drawn, above the Submit bar', async () => {
    const page = await ctx.browser.newPage({ viewport: { width: 1366, height: 768 } });
    await signInAs(page, ctx.srv.url, 'reader4@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await page.goto(`${ctx.srv.url}/projects/mammo-birads/read`);
    await page.getByRole('button', { name: 'Start the next case' }).click();
    await page.waitForURL(CASE_URL);
    await page.getByRole('heading', { name: 'Your read' }).waitFor();
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');

    // Whatever the panel's scroll position, a control the panel shows is not under the bar.
    const covered = () =>
      page.evaluate(() => {
        const panel = document.querySelector<HTMLElement>('section[aria-label="Your read"]')!;
        // Shown: its centre lies inside every clipping (scrolling) box between it and the panel.
        const shown = (el: HTMLElement, x: number, y: number) => {
          for (let a: HTMLElement | null = el.parentElement; a && panel.contains(a); a = a.parentElement) {
            if (getComputedStyle(a).overflowY === 'visible') continue;
            const v = a.getBoundingClientRect();
            if (y < v.top || y > v.bottom || x < v.left || x > v.right) return false;
          }
          return true;
        };
        const out: string[] = [];
        for (const el of panel.querySelectorAll<HTMLElement>('fieldset input, fieldset textarea')) {
          const r = el.getBoundingClientRect();
          const x = r.left + r.width / 2;
          const y = r.top + r.height / 2;
          if (r.width === 0 || !shown(el, x, y)) continue;
          const hit = document.elementFromPoint(x, y);
          const label = el.closest('label');
          if (hit !== el && !(label && label.contains(hit))) out.push(`${el.getAttribute('name')} under ${hit?.outerHTML.slice(0, 60)}`);
        }
        return out;
      });
    expect(await covered()).toEqual([]);

    // Brought into view the way focus does it (nearest edge of the scrolling panel).
    const box = await page.evaluate(() => {
      const box = document.querySelector<HTMLInputElement>('input[name="cannotAssess"]')!;
      box.scrollIntoView({ block: 'nearest' });
      const r = box.getBoundingClientRect();
      const x = r.left + r.width / 2;
      const y = r.top + r.height / 2;
      const hit = document.elementFromPoint(x, y);
      return { x, y, hit: hit === box || Boolean(box.closest('label')?.contains(hit)), what: hit?.outerHTML.slice(0, 80) };
    });
    expect(box.hit, `at (${box.x}, ${box.y}): ${box.what}`).toBe(true);
    expect(await covered()).toEqual([]);
    await page.mouse.click(box.x, box.y);
    expect(await page.locator('input[name="cannotAssess"]').isChecked()).toBe(true);
    await page.getByLabel('Why not?').waitFor();
    await page.screenshot({ path: '/tmp/h15-read.png' });

    // Scrolled to the very bottom, nothing is covered either.
    await page.evaluate(() => {
      for (const el of document.querySelectorAll<HTMLElement>('section[aria-label="Your read"], section[aria-label="Your read"] *')) el.scrollTop = el.scrollHeight;
    });
    expect(await covered()).toEqual([]);
    await page.close();
  }, 120_000);

  it('the adjudication and report-rule pages load no zod', async () => {
    const page = await ctx.browser.newPage();
    const scripts = scriptsOf(page);
    await signInAs(page, ctx.srv.url, 'adjudicator@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await page.goto(`${ctx.srv.url}/projects/chest-pneumothorax/adjudicate`);
    await page.locator('tbody tr').first().getByRole('button').click();
    await page.waitForURL(/\/adjudicate\/[0-9a-f-]{36}$/);
    await page.getByRole('button', { name: 'Record decision' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(scripts.some((s) => s.url.includes('adjudicate.$caseId'))).toBe(true);
    expect(withZod(scripts)).toEqual([]);
    await page.close();

    const lead = await ctx.browser.newPage();
    const leadScripts = scriptsOf(lead);
    await signInAs(lead, ctx.srv.url, 'lead@example.org');
    await lead.waitForURL(`${ctx.srv.url}/`);
    await lead.goto(`${ctx.srv.url}/projects/mammo-birads/reports`);
    await lead.waitForLoadState('networkidle');
    expect(leadScripts.some((s) => s.url.includes('reports'))).toBe(true);
    expect(withZod(leadScripts)).toEqual([]);
    await lead.close();
  }, 120_000);
});
