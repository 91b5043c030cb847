/**
 * The FROC page in the browser: the lead finds it in the project tabs, starts the computation with
 * the button (a job), and after it ran sees the demo's empty state (its cases wait for readers).
 */
import { describe, expect, it } from 'vitest';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';

describe.skipIf(!hasChromium)('FROC page in the browser', () => {
  const ctx = useServerAndBrowser();

  it('the lead opens FROC from the tabs, computes, and sees that no case is decided yet', async () => {
    const page = await ctx.browser.newPage();
    await page.setViewportSize({ width: 1300, height: 900 });
    try {
      await signInAs(page, ctx.srv.url, 'lead@example.org');
      await page.waitForURL(`${ctx.srv.url}/`);
      await page.goto(`${ctx.srv.url}/projects/mammo-marks`);
      await page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name: 'FROC' }).click();
      await page.waitForURL(/\/projects\/mammo-marks\/froc$/);
      await expect.poll(() => page.getByText('Not computed yet for this truth source.').count()).toBe(1);
      await page.getByRole('button', { name: 'Compute FROC scores' }).click();
      // The job stores the scores and the COCO file together: one reload shows both.
      await expect
        .poll(
          async () => {
            await page.reload();
            return page.getByText('No decided cases with marks yet.').count();
          },
          { timeout: 60_000, interval: 1000 },
        )
        .toBe(1);
      expect(await page.getByRole('link', { name: 'Download the truth lesions as COCO JSON' }).count()).toBe(1);
      await page.screenshot({ path: '/tmp/h20b-froc-empty.png', fullPage: true });
    } catch (e) {
      await page.screenshot({ path: '/tmp/h20b-froc-failure.png', fullPage: true }).catch(() => {});
      throw e;
    }
  }, 600_000);
});
