/** Each demo account signs in through the form and sees what its role allows. */
import { describe, expect, it } from 'vitest';
import { hasChromium, signInAs, useServerAndBrowser } from './harness.ts';

// Browser tests need Debian's chromium (.ci/run installs it); without it they cannot run at all.
describe.skipIf(!hasChromium)('demo accounts in the browser', () => {
  const ctx = useServerAndBrowser();

  it('health check reports the database', async () => {
    const r = await fetch(`${ctx.srv.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ status: 'ok', database: 'reachable' });
  });

  it('the lead sees both projects and the lead tabs', async () => {
    const page = await ctx.browser.newPage();
    await signInAs(page, ctx.srv.url, 'lead@example.org');
    await expect(page.getByRole('heading', { name: 'Your projects' }).textContent()).resolves.toBe('Your projects');
    await page.getByRole('link', { name: 'Screening mammography — BI-RADS' }).click();
    await page.waitForURL('**/projects/mammo-birads');
    const tabs = await page.getByRole('navigation', { name: 'Project' }).getByRole('link').allTextContents();
    expect(tabs).toEqual(expect.arrayContaining(['Overview', 'Cases', 'Reviews', 'Agreement', 'Setup', 'Members']));
    expect(tabs).not.toContain('Read');
    await page.close();
  });

  it.each(['reader1@example.org', 'reader2@example.org', 'reader3@example.org', 'reader4@example.org'])(
    '%s sees the Read tab only, and a lead page is refused with 403',
    async (email) => {
      const page = await ctx.browser.newPage();
      await signInAs(page, ctx.srv.url, email);
      await page.getByRole('link', { name: 'Chest radiograph — pneumothorax' }).click();
      await page.waitForURL('**/projects/chest-pneumothorax');
      const tabs = await page.getByRole('navigation', { name: 'Project' }).getByRole('link').allTextContents();
      expect(tabs).toEqual(['Overview', 'Read']);
      const r = await page.goto(`${ctx.srv.url}/projects/chest-pneumothorax/members`);
      expect(r?.status()).toBe(403);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('You do not have access to this page');
      await page.close();
    },
  );

  it('the adjudicator sees the Adjudicate tab', async () => {
    const page = await ctx.browser.newPage();
    await signInAs(page, ctx.srv.url, 'adjudicator@example.org');
    await page.getByRole('link', { name: 'Chest radiograph — pneumothorax' }).click();
    await page.waitForURL('**/projects/chest-pneumothorax');
    const tabs = await page.getByRole('navigation', { name: 'Project' }).getByRole('link').allTextContents();
    expect(tabs).toEqual(['Overview', 'Adjudicate']);
    await page.close();
  });

  it('the admin manages accounts and sees no project', async () => {
    const page = await ctx.browser.newPage();
    await signInAs(page, ctx.srv.url, 'admin@example.org');
    await page.getByText('You are not a member of any project yet.').waitFor();
    await page.getByRole('link', { name: 'Accounts' }).first().click();
    await page.getByLabel('Email').fill('new.reader@example.org');
    await page.getByRole('button', { name: 'Create account' }).click();
    const pw = await page.getByTestId('one-time-password').textContent();
    expect(pw).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    const r = await page.goto(`${ctx.srv.url}/projects/chest-pneumothorax`);
    expect(r?.status()).toBe(404);
    await page.close();
  });

  it('ten wrong passwords lock the account with a clear message', async () => {
    const page = await ctx.browser.newPage();
    for (let i = 0; i < 10; i++) {
      await signInAs(page, ctx.srv.url, 'reader4@example.org', `wrong-${i}`);
      await page.getByText('Email or password is incorrect.').waitFor();
    }
    await signInAs(page, ctx.srv.url, 'reader4@example.org');
    await page.getByText(/locked for 15 minutes/).waitFor();
    expect(page.url()).toContain('/login');
    await page.close();
  });
});
