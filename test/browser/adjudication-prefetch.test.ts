/**
 * The adjudication page loads the images of the next case in the adjudicator's queue while they
 * work on this one (the demo's mammography queue: four views a case).
 */
import { describe, expect, it } from 'vitest';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';

describe.skipIf(!hasChromium)('adjudication prefetch (skipped: no /usr/bin/chromium)', () => {
  const ctx = useServerAndBrowser();

  it("fetches the next queued case's images after the current case's, and only those two cases'", async () => {
    const page = await ctx.browser.newPage({ viewport: { width: 1366, height: 768 } });
    const seen: string[] = [];
    const finished: string[] = [];
    const caseOf = (u: string) => /\/cases\/([0-9a-f-]{36})\/(?:images|dicomweb)\//.exec(u)?.[1];
    page.on('request', (r) => {
      const c = caseOf(r.url());
      if (c) seen.push(c);
    });
    page.on('requestfinished', (r) => {
      const c = caseOf(r.url());
      if (c) finished.push(c);
    });
    await signInAs(page, ctx.srv.url, 'adjudicator@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await page.goto(`${ctx.srv.url}/projects/mammo-birads/adjudicate`);
    const buttons = page.getByRole('button', { name: /^(Adjudicate|Continue)$/ });
    expect(await buttons.count()).toBeGreaterThan(1);
    await buttons.first().click();
    await page.waitForURL(/\/adjudicate\/[0-9a-f-]{36}$/);
    const current = page.url().split('/').pop()!;
    await page.locator('section.viewer[data-ready="true"]').waitFor({ timeout: 60_000 });
    await expect.poll(() => finished.filter((c) => c !== current).length, { timeout: 30_000 }).toBe(4);
    const others = [...new Set(seen.filter((c) => c !== current))];
    expect(others).toHaveLength(1);
    // The current case's images were asked for first; the next case's only after.
    expect(seen.indexOf(others[0])).toBeGreaterThan(seen.lastIndexOf(current));
    // The prefetched case is the second of the queue.
    await page.goto(`${ctx.srv.url}/projects/mammo-birads/adjudicate`);
    const second = await page
      .locator('form')
      .filter({ has: page.getByRole('button', { name: /^(Adjudicate|Continue)$/ }) })
      .evaluateAll((fs) => fs.map((f) => (f.querySelector('input[name="caseId"]') as HTMLInputElement | null)?.value ?? ''));
    expect(second.filter((c) => c !== current)[0]).toBe(others[0]);
    await page.close();
  }, 120_000);
});
