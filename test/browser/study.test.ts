/**
 * The demo reader study end to end in the browser: two readers, fully crossed, two
 * arms with a 28-day washout. Calibration cases first (known answer shown after the read), then
 * session 1 in each reader's own order — one reader unaided, the other aided (counterbalanced):
 * the AI panel appears only in the aided arm — then session 2 is withheld and the queue page
 * says when it opens. The server runs on the test clock (app/lib/test-clock.server.ts: system
 * time plus an offset the test writes to a file, accepted only on this scratch database): moved
 * 29 days on, each reader gets the other arm's 8 cases (AI panel now for the reader who read
 * unaided first, never for the other), then the blind re-reads after one more washout.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';

const SLUG = 'reader-study-ai';
const DAY = 86_400_000;
const clockFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'truthline-clock-')), 'offset-ms');
fs.writeFileSync(clockFile, '0');
/** Moves the server's clock to `days` after the real time. */
const setClock = (days: number) => fs.writeFileSync(clockFile, String(days * DAY));

describe.skipIf(!hasChromium)('reader study in the browser', () => {
  const ctx = Object.assign(useServerAndBrowser({ TRUTHLINE_TEST_CLOCK_FILE: clockFile }), { shots: {} as Record<string, boolean> });

  /** Reads every case the reader is offered until the queue withholds the next one; returns what each case showed. */
  async function readSession(page: Page, who: string) {
    const base = ctx.srv.url;
    await page.goto(`${base}/projects/${SLUG}/read`);
    await page.getByRole('button', { name: 'Start the next case' }).click();
    await page.waitForURL(/\/read\/[0-9a-f-]{36}$/);
    const seen: { url: string; position: string; ai: boolean; calibration: boolean; session: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const id = /\/read\/([0-9a-f-]{36})$/.exec(new URL(page.url()).pathname)?.[1];
      if (!id) break;
      // The router moves the URL before React commits the new page: read the panel once the
      // heading names this case, never the previous case's panel.
      await page.getByRole('heading', { name: `Case ${id.slice(0, 8)}` }).waitFor();
      await page.getByTestId('study-panel').waitFor();
      const position = (await page.getByTestId('study-panel').locator('strong').first().textContent()) ?? '';
      const session = (await page.getByTestId('study-panel').locator('p').first().textContent()) ?? '';
      const ai = (await page.getByTestId('ai-panel').count()) > 0;
      const calibration = (await page.getByText('Calibration — not part of the study results').count()) > 0;
      seen.push({ url: page.url(), position, ai, calibration, session });
      // Screenshots show the images, not "Loading images…" (the viewer marks itself ready).
      const imagesShown = () =>
        page
          .locator('section.viewer[data-ready="true"]')
          .waitFor({ timeout: 60_000 })
          .catch(() => undefined);
      if ((ai && !ctx.shots.aided) || (!ai && !calibration && !ctx.shots.unaided)) await imagesShown();
      if (ai && !ctx.shots.aided) {
        await page.screenshot({ path: '/tmp/h15s-aided.png', fullPage: true });
        ctx.shots.aided = true;
      }
      if (!ai && !calibration && !ctx.shots.unaided) {
        await page.screenshot({ path: '/tmp/h15s-unaided.png', fullPage: true });
        ctx.shots.unaided = true;
      }
      await page.getByRole('radio', { name: i % 3 === 0 ? /Present/ : /Absent/ }).click();
      const before = page.url();
      await page.getByRole('button', { name: 'Submit and next case' }).click();
      if (calibration) {
        // The same case stays, now with its known answer; then on to the next.
        await page.getByTestId('calibration-answer').waitFor();
        if (!ctx.shots.calibration) {
          await page.screenshot({ path: '/tmp/h15s-calibration.png', fullPage: true });
          ctx.shots.calibration = true;
        }
        await page.getByRole('button', { name: 'Next case' }).click();
        await page.waitForURL((u) => u.toString() !== before);
      } else await page.waitForURL((u) => u.toString() !== before);
    }
    expect(new URL(page.url()).pathname, `${who} ends on the queue page`).toBe(`/projects/${SLUG}/read`);
    return seen;
  }

  /** The reader's queue page says when their next session opens: that date, checked against `days` of test clock + 28. */
  async function expectWithheld(page: Page, clockDays: number, status: string) {
    const washout = page.getByTestId('washout');
    await washout.waitFor();
    expect((await washout.textContent()) ?? '').toContain('Your next session opens on');
    const opens = Date.parse((await washout.locator('time').getAttribute('datetime')) ?? '');
    expect(Math.abs(opens - (Date.now() + (clockDays + 28) * DAY))).toBeLessThan(2 * 3_600_000);
    await expect(page.getByTestId('study-status').textContent()).resolves.toContain(status);
    // Asking for a case anyway gives none.
    await page.getByRole('button', { name: 'Start the next case' }).click();
    await page.getByText('No case is waiting for you right now').waitFor();
  }

  it('two readers: calibration first, then one arm each (AI panel only when aided), the other arm withheld until the washout ends', async () => {
    const results: Awaited<ReturnType<typeof readSession>>[] = [];
    for (const who of ['reader1@example.org', 'reader2@example.org']) {
      const page = await ctx.browser.newPage();
      await signInAs(page, ctx.srv.url, who);
      await page.waitForURL(`${ctx.srv.url}/`);
      const seen = await readSession(page, who);
      results.push(seen);
      // 2 calibration cases, then the 8 cases of the first arm; the known answer never counted.
      expect(seen.map((s) => s.calibration)).toEqual([true, true, ...Array(8).fill(false)]);
      expect(seen.map((s) => s.position)).toEqual(seen.map((_, i) => `Case ${i + 1} of 20`));
      const arms = new Set(seen.filter((s) => !s.calibration).map((s) => s.ai));
      expect(arms.size, 'one arm per session').toBe(1);
      // Session 2 is withheld: the queue page says when it opens (28 days after the last read).
      await expectWithheld(page, 0, '10 of 20');
      if (who === 'reader1@example.org') await page.screenshot({ path: '/tmp/h15s-washout.png', fullPage: true });
      await page.close();
    }
    // Counterbalanced: one reader started unaided, the other aided; the AI panel showed only in the aided arm.
    const aidedFirst = results.map((seen) => seen.filter((s) => !s.calibration)[0].ai);
    expect([...aidedFirst].sort()).toEqual([false, true]);
    // The two readers met the cases in different orders (the case pages differ position by position).
    expect(results[0].filter((s) => !s.calibration).map((s) => s.url)).not.toEqual(results[1].filter((s) => !s.calibration).map((s) => s.url));

    // The lead's summary: the design in plain words, both readers half-way, waiting for the washout.
    const lead = await ctx.browser.newPage();
    await signInAs(lead, ctx.srv.url, 'lead@example.org');
    await lead.waitForURL(`${ctx.srv.url}/`);
    await lead.goto(`${ctx.srv.url}/projects/${SLUG}/study`);
    await lead.getByText('Fully crossed: each of the 2 readers reads each of the 8 cases in every arm').waitFor();
    await lead.getByText('opens', { exact: false }).first().waitFor();
    expect(await lead.locator('tbody tr').filter({ hasText: '10 of 20' }).count()).toBe(2);
    await lead.close();

    // 29 days on (test clock): the washout is over. Each reader gets the other arm's 8 cases,
    // the AI panel on every one of them for the reader who read unaided first, on none for the other.
    setClock(29);
    const second: Awaited<ReturnType<typeof readSession>>[] = [];
    for (const [i, who] of ['reader1@example.org', 'reader2@example.org'].entries()) {
      const page = await ctx.browser.newPage();
      await signInAs(page, ctx.srv.url, who);
      await page.waitForURL(`${ctx.srv.url}/`);
      const seen = await readSession(page, who);
      second.push(seen);
      expect(seen.map((s) => s.position)).toEqual(seen.map((_, k) => `Case ${k + 11} of 20`));
      expect(seen.every((s) => !s.calibration)).toBe(true);
      expect(seen.map((s) => s.ai)).toEqual(Array(8).fill(!aidedFirst[i]));
      expect(seen.every((s) => s.session.includes('Session 3 of 4'))).toBe(true);
      // None of session 1's reading units comes back: these are the other arm's units.
      expect(seen.filter((s) => results[i].some((r) => r.url === s.url))).toEqual([]);
      // The re-reads wait for one more washout, counted from this session's last read.
      await expectWithheld(page, 29, '18 of 20');
      await page.close();
    }

    // 58 days on: the blind re-reads (a quarter of the cases, first arm), then nothing is left.
    setClock(58);
    for (const who of ['reader1@example.org', 'reader2@example.org']) {
      const page = await ctx.browser.newPage();
      await signInAs(page, ctx.srv.url, who);
      await page.waitForURL(`${ctx.srv.url}/`);
      const seen = await readSession(page, who);
      expect(seen.map((s) => s.position)).toEqual(['Case 19 of 20', 'Case 20 of 20']);
      expect(seen.every((s) => s.session.includes('Final session'))).toBe(true);
      await page.close();
    }

    const lead2 = await ctx.browser.newPage();
    await signInAs(lead2, ctx.srv.url, 'lead@example.org');
    await lead2.waitForURL(`${ctx.srv.url}/`);
    await lead2.goto(`${ctx.srv.url}/projects/${SLUG}/study`);
    await lead2.getByText('Fully crossed: each of the 2 readers reads each of the 8 cases in every arm').waitFor();
    expect(await lead2.locator('tbody tr').filter({ hasText: '20 of 20' }).count()).toBe(2);
    await lead2.screenshot({ path: '/tmp/h15s-summary.png', fullPage: true });
    await lead2.close();
  }, 900_000);
});
