/**
 * A reader works by keyboard alone, and no key changes an answer the reader did not mean to give:
 * real key presses and clicks only, never page.fill() for a shortcut.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';

const CASE_URL = /\/read\/[0-9a-f-]{36}$/;

async function startCase(page: Page, base: string, email: string, project = 'mammo-birads') {
  await signInAs(page, base, email);
  await page.waitForURL(`${base}/`);
  await page.goto(`${base}/projects/${project}/read`);
  const resume = page.getByRole('link', { name: 'Resume where you left off' });
  if (await resume.count()) await resume.click();
  else await page.getByRole('button', { name: 'Start the next case' }).click();
  await page.waitForURL(CASE_URL);
  await page.getByRole('heading', { name: 'Your read' }).waitFor();
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
  return page.url();
}

const checked = (page: Page, item: string) => page.locator(`input[name="item:${item}"]:checked`);

describe.skipIf(!hasChromium)('reading and adjudication pages by keyboard', () => {
  const ctx = useServerAndBrowser();

  it('reads two mammograms with 2, 4, Enter and moves on; focus and title follow the new case', async () => {
    const page = await ctx.browser.newPage();
    const first = await startCase(page, ctx.srv.url, 'reader1@example.org');
    expect(await page.title()).toMatch(/^Case [0-9a-f]{8} — Read — Truthline$/);
    await page.keyboard.press('2');
    await page.keyboard.press('4');
    expect(await checked(page, 'left/birads').getAttribute('value')).toBe('2');
    expect(await checked(page, 'right/birads').getAttribute('value')).toBe('4');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.toString() !== first && CASE_URL.test(u.pathname));
    // The save message sits in the always-present live region.
    await page.getByRole('status').getByText('Read saved. Here is your next case.').waitFor();
    // Focus on the new case's heading, and the title names it.
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    const id = page.url().split('/').pop()!.slice(0, 8);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(`Case ${id}`);
    expect(await page.title()).toBe(`Case ${id} — Read — Truthline`);
    // Typing in a text field never triggers a shortcut: click the comment box and type keys that are shortcuts elsewhere.
    await page.getByLabel('Comment (optional)').click();
    await page.keyboard.type('n2 4');
    expect(await page.getByLabel('Comment (optional)').inputValue()).toBe('n2 4');
    expect(page.url()).toMatch(id);
    expect(await checked(page, 'left/birads').count()).toBe(0);
    await page.close();
  });

  it('Enter on a focused link follows the link and records nothing', async () => {
    const page = await ctx.browser.newPage();
    const url = await startCase(page, ctx.srv.url, 'reader2@example.org');
    await page.keyboard.press('3');
    await page.keyboard.press('3');
    await page.getByRole('link', { name: 'Back to your queue' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/read$/);
    await page.getByRole('heading', { name: 'Cases you have read' }).waitFor();
    await page.goto(url);
    await page.getByRole('button', { name: 'Submit and next case' }).waitFor();
    await page.close();
  });

  it('after a digit the arrow keys change no answer; BI-RADS 0 has its own key', async () => {
    const page = await ctx.browser.newPage();
    await startCase(page, ctx.srv.url, 'reader3@example.org');
    await page.keyboard.press('2');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    expect(await checked(page, 'left/birads').getAttribute('value')).toBe('2');
    expect(await checked(page, 'right/birads').count()).toBe(0);
    // The key shown next to "0 — Incomplete" answers it.
    const key = await page.locator('input[name="item:right/birads"][value="0"]').getAttribute('data-key');
    expect(key).toBe('6');
    await page.keyboard.press(key!);
    expect(await checked(page, 'right/birads').getAttribute('value')).toBe('0');
    // A radio the reader clicks keeps its own arrow keys.
    await page.locator('label.option', { hasText: '3 — Probably benign' }).first().click();
    await page.keyboard.press('ArrowDown');
    expect(await checked(page, 'left/birads').getAttribute('value')).toBe('4');
    await page.close();
  });

  it('keys typed while the read is being saved do not land on the case being left', async () => {
    const page = await ctx.browser.newPage();
    const first = await startCase(page, ctx.srv.url, 'reader4@example.org');
    // Hold the save for a moment so the next keys arrive while it is under way.
    await page.route('**/read/*', async (route) => {
      if (route.request().method() === 'POST') await new Promise((r) => setTimeout(r, 1500));
      // The page may have been closed (the test is over) while the save was held.
      await route.continue().catch(() => {});
    });
    // A slow machine: React renders the saving state well after the Enter (CI under load once let
    // "1 1 Enter" through in between, and the second submit replaced the first).
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 20 });
    for (const k of ['2', '2', 'Enter', '1', '1', 'Enter']) await page.keyboard.press(k);
    await page.waitForURL((u) => u.toString() !== first && CASE_URL.test(u.pathname));
    await page.getByText('Read saved. Here is your next case.').waitFor();
    await page.unroute('**/read/*');
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    expect(await checked(page, 'left/birads').count()).toBe(0);
    expect(await checked(page, 'right/birads').count()).toBe(0);
    await page.goto(first);
    const answers = await page.locator('dl dd').allTextContents();
    expect(answers).toEqual(['2 — Benign', '2 — Benign']);
    await page.close();
  });

  it('an amendment starts from the saved confidence and comment, and the form closes once saved', async () => {
    const page = await ctx.browser.newPage();
    const url = await startCase(page, ctx.srv.url, 'reader1@example.org');
    await page.keyboard.press('1');
    await page.keyboard.press('1');
    await page.getByLabel('Confidence (0–100, optional)').click();
    await page.keyboard.type('70');
    await page.getByLabel('Comment (optional)').click();
    await page.keyboard.type('dense tissue');
    await page.getByRole('button', { name: 'Submit and stop' }).click();
    await page.waitForURL(/\/read$/);
    await page.goto(url);
    await page.getByRole('button', { name: 'Amend my read' }).click();
    expect(await page.getByLabel('Confidence (0–100, optional)').inputValue()).toBe('70');
    expect(await page.getByLabel('Comment (optional)').inputValue()).toBe('dense tissue');
    expect(await checked(page, 'left/birads').getAttribute('value')).toBe('1');
    await page.locator('label.option', { hasText: '2 — Benign' }).first().click();
    await page.getByLabel('Reason for the amendment').click();
    await page.keyboard.type('second look');
    await page.getByRole('button', { name: 'Save amendment' }).click();
    await page.getByText('Your amendment is recorded').waitFor();
    await page.getByRole('button', { name: 'Amend my read' }).waitFor();
    expect(await page.getByRole('button', { name: 'Save amendment' }).count()).toBe(0);
    await page.getByText('Confidence: 70').waitFor();
    await page.getByText('Comment: dense tissue').waitFor();
    // The history names the answers by their labels, not as JSON.
    await page.getByText('History of your reads (2)').click();
    const history = await page.locator('details li').allTextContents();
    expect(history.join('\n')).toContain('Left breast: BI-RADS assessment: 2 — Benign');
    expect(history.join('\n')).not.toContain('{');
    await page.close();
  });

  it('time on case counts from the first view across a reload and leaves hidden time out', async () => {
    const page = await ctx.browser.newPage();
    // reader4's case was opened only briefly by the test before (a few seconds at most).
    const t0 = Date.now();
    const url = await startCase(page, ctx.srv.url, 'reader4@example.org');
    await page.waitForTimeout(1500);
    await page.reload();
    await page.getByRole('heading', { name: 'Your read' }).waitFor();
    await page.waitForTimeout(1500);
    const tHide = Date.now();
    // The tab goes to the background for 20 s (the page sees the visibility change it would get).
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.waitForTimeout(20_000);
    const tShow = Date.now();
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.keyboard.press('2');
    await page.keyboard.press('2');
    await page.getByRole('button', { name: 'Submit and stop' }).click();
    await page.waitForURL(/\/read$/);
    const visibleWall = (tHide - t0 + (Date.now() - tShow)) / 1000;
    await page.goto(url);
    const text = (await page.getByText(/Time on case: [\d.]+ s/).textContent())!;
    const seconds = Number(text.match(/Time on case: ([\d.]+) s/)![1]);
    // Both page views count (from the last load alone it would be about 1.5 s); the 20 s hidden do
    // not (with them it would be over 23 s). The earlier glimpse of this case adds a few seconds at most.
    expect(seconds).toBeGreaterThanOrEqual(2.8);
    expect(seconds).toBeLessThan(visibleWall + 8);
    expect(seconds).toBeLessThan(20);
    await page.close();
  });

  it('an unanswered item is named, focus goes to the message, and nothing is recorded', async () => {
    const page = await ctx.browser.newPage();
    await startCase(page, ctx.srv.url, 'reader1@example.org', 'chest-pneumothorax');
    await page.getByRole('button', { name: 'Submit and stop' }).click();
    await page.getByRole('alert').getByText('Answer this item (or mark the case as cannot assess)').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('form-errors');
    await page.close();
  });

  // The adjudication pages (items 12 and 13), on the same server.

  it('the lead sees the adjudication queue read-only, in the form’s words', async () => {
    const page = await ctx.browser.newPage();
    await signInAs(page, ctx.srv.url, 'lead@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    const r = await page.goto(`${ctx.srv.url}/projects/chest-pneumothorax/adjudicate`);
    expect(r?.status()).toBe(200);
    await page.getByRole('heading', { name: /Disputed cases/ }).waitFor();
    expect(await page.locator('tbody tr').count()).toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: /Adjudicate|Continue/ }).count()).toBe(0);
    const text = (await page.locator('table').textContent())!;
    expect(text).toContain('Pneumothorax present?');
    expect(text).toMatch(/“(Present|Absent)”/);
    expect(text).not.toMatch(/\b(true|false)\b/);
    await page.close();
  });

  it('the adjudicator’s missing value is asked for without "cannot assess", and focus goes to the message', async () => {
    const page = await ctx.browser.newPage();
    await signInAs(page, ctx.srv.url, 'adjudicator@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await page.goto(`${ctx.srv.url}/projects/chest-pneumothorax/adjudicate`);
    await page.locator('tbody tr').first().getByRole('button').click();
    await page.waitForURL(/\/adjudicate\/[0-9a-f-]{36}$/);
    const dispute = (await page.getByRole('region', { name: 'Dispute' }).textContent())!;
    expect(dispute).toContain('Pneumothorax present?');
    expect(dispute).not.toMatch(/\b(true|false)\b/);
    await page.getByText('Enter the value for the disputed items').click();
    await page.getByLabel('Rationale (required)').click();
    await page.keyboard.type('Pleural line at the apex.');
    await page.getByRole('button', { name: 'Record decision' }).click();
    const alert = page.getByRole('alert');
    await alert.getByText('Enter a value for this disputed item').waitFor();
    expect((await alert.textContent())!.toLowerCase()).not.toContain('cannot assess');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('form-errors');
    await page.close();
  });
});
