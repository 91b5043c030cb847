/** A reader works by keyboard alone: next case, choose with digits, submit with Enter. */
import { describe, expect, it } from 'vitest';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';

// Browser tests need Debian's chromium (.ci/run installs it); without it they cannot run at all.
describe.skipIf(!hasChromium)('reader by keyboard', () => {
  const ctx = useServerAndBrowser();

  it('reads two mammograms with 2, 4, Enter and moves on to the next case', async () => {
    const page = await ctx.browser.newPage();
    await signInAs(page, ctx.srv.url, 'reader1@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await page.goto(`${ctx.srv.url}/projects/mammo-birads/read`);
    await page.getByRole('button', { name: 'Start the next case' }).click();
    await page.waitForURL(/\/read\/[0-9a-f-]{36}$/);
    const first = page.url();
    await page.getByRole('heading', { name: 'Your read' }).waitFor();
    await page.keyboard.press('2');
    await page.keyboard.press('4');
    expect(await page.locator('input[name="item:left/birads"]:checked').getAttribute('value')).toBe('2');
    expect(await page.locator('input[name="item:right/birads"]:checked').getAttribute('value')).toBe('4');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.toString() !== first && /\/read\/[0-9a-f-]{36}$/.test(u.pathname));
    await page.getByText('Read saved. Here is your next case.').waitFor();
    // Typing in a text field never triggers a shortcut.
    await page.getByLabel('Comment (optional)').fill('n2 4');
    expect(page.url()).not.toBe(first);
    expect(await page.locator('input[name="item:left/birads"]:checked').count()).toBe(0);
    await page.goto(`${ctx.srv.url}/projects/mammo-birads/read`);
    await page.getByText('1 read', { exact: false }).first().waitFor();
    await page.close();
  });

  it('an unanswered item is named and nothing is recorded', async () => {
    const page = await ctx.browser.newPage();
    await signInAs(page, ctx.srv.url, 'reader1@example.org');
    await page.waitForURL(`${ctx.srv.url}/`);
    await page.goto(`${ctx.srv.url}/projects/chest-pneumothorax/read`);
    await page.getByRole('button', { name: 'Start the next case' }).click();
    await page.waitForURL(/\/read\/[0-9a-f-]{36}$/);
    await page.getByRole('button', { name: 'Submit and stop' }).click();
    await page.getByText('Answer this item (or mark the case as cannot assess)').waitFor();
    await page.close();
  });
});
