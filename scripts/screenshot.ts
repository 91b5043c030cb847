/**
 * Development aid: sign in as a demo account and screenshot pages.
 * tsx scripts/screenshot.ts BASE_URL EMAIL OUT_DIR path1 path2 …
 */
import { chromium } from 'playwright-core';

const [base, email, out, ...paths] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const page = await browser.newPage({ viewport: { width: 1366, height: 850 } });
if (email !== '-') {
  await page.goto(`${base}/login`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', 'truthline-demo');
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
}
for (const [i, p] of paths.entries()) {
  await page.goto(`${base}${p}`);
  await page.waitForLoadState('networkidle');
  const file = `${out}/${i}-${p.replace(/[^a-z0-9]+/gi, '_')}.png`;
  await page.screenshot({ path: file, fullPage: true });
  console.log(file);
}
await browser.close();
