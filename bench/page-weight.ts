/**
 * JavaScript weight of the reading page: builds the app, starts it on a scratch
 * embedded database with the demo, opens a case as reader1 in Debian's chromium and adds up the
 * JavaScript the page loads — bytes on the wire (compressed) and decoded — leaving out the viewer
 * bundle (/viewer/, cached separately). Reference measured in the same run: the same page asked
 * for with `Accept-Encoding: identity` (no compression). Also lists the biggest chunks.
 *
 *   npx tsx bench/page-weight.ts            (target: under 150 KiB transferred)
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const ROOT = path.resolve(import.meta.dirname, '..');
const TARGET_KIB = 150;

async function start(): Promise<{ url: string; stop(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'truthline-weight-'));
  const buildDir = path.join(ROOT, '.cache', `weight-build-${path.basename(dataDir)}`);
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', TRUTHLINE_BUILD_DIR: buildDir };
  for (const cmd of [
    [process.execPath, 'scripts/build-viewer.mjs'],
    ['npx', 'remix', 'build'],
  ]) {
    const r = spawnSync(cmd[0], cmd.slice(1), { cwd: ROOT, encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr}`);
  }
  const runEnv: NodeJS.ProcessEnv = { ...env, PORT: '0', HOST: '127.0.0.1', TRUTHLINE_DATA_DIR: dataDir };
  delete runEnv.DATABASE_URL;
  delete runEnv.APP_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], { cwd: ROOT, env: runEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (b: Buffer) => {
      log += b.toString();
      const m = log.match(/listening on (http:\/\/[^\s]+)/);
      if (m) resolve(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${log}`)));
  });
  return {
    url,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(buildDir, { recursive: true, force: true });
    },
  };
}

type Weight = { scripts: { url: string; wire: number; decoded: number }[]; wire: number; decoded: number };

async function readingPageJs(browser: Browser, base: string, identity: boolean): Promise<Weight> {
  const context = await browser.newContext(identity ? { extraHTTPHeaders: { 'Accept-Encoding': 'identity' } } : {});
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill('reader1@example.org');
  await page.getByLabel('Password').fill('truthline-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/`);
  await page.goto(`${base}/projects/mammo-birads/read`);
  const resume = page.getByRole('link', { name: 'Resume where you left off' });
  if (await resume.count()) await resume.click();
  else await page.getByRole('button', { name: 'Start the next case' }).click();
  await page.waitForURL(/\/read\/[0-9a-f-]{36}$/);
  const caseUrl = page.url();
  // A cold cache: a new context holding only the session cookie, as a reader arriving on the case.
  const cold = await browser.newContext(identity ? { extraHTTPHeaders: { 'Accept-Encoding': 'identity' } } : {});
  await cold.addCookies(await context.cookies());
  const p = await cold.newPage();
  const scripts: Promise<{ url: string; wire: number; decoded: number }>[] = [];
  p.on('response', (r) => {
    const u = new URL(r.url());
    if (!u.pathname.endsWith('.js') || u.pathname.startsWith('/viewer/')) return;
    scripts.push((async () => ({ url: u.pathname, wire: (await r.request().sizes()).responseBodySize, decoded: (await r.body()).length }))());
  });
  await p.goto(caseUrl, { waitUntil: 'networkidle' });
  const list = await Promise.all(scripts);
  await cold.close();
  await context.close();
  return { scripts: list, wire: list.reduce((a, s) => a + s.wire, 0), decoded: list.reduce((a, s) => a + s.decoded, 0) };
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

async function main() {
  const srv = await start();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const gz = await readingPageJs(browser, srv.url, false);
    const plain = await readingPageJs(browser, srv.url, true);
    console.log('Reading page JavaScript (viewer bundle excluded), cold cache:');
    console.log(`  scripts:                 ${gz.scripts.length}`);
    console.log(`  decoded:                 ${kib(gz.decoded)}`);
    console.log(`  transferred (gzip):      ${kib(gz.wire)}`);
    console.log(`  reference, no compression (same run): ${kib(plain.wire)}  → ratio ${(gz.wire / plain.wire).toFixed(3)}`);
    console.log(`  zod in the page:         ${gz.scripts.some((s) => s.decoded > 300_000) ? 'a chunk over 300 KB is loaded (check for zod)' : 'no chunk over 300 KB'}`);
    console.log('  biggest chunks (decoded → transferred):');
    for (const s of [...gz.scripts].sort((a, b) => b.decoded - a.decoded).slice(0, 5)) console.log(`    ${s.url}  ${kib(s.decoded)} → ${kib(s.wire)}`);
    console.log(`  target < ${TARGET_KIB} KiB transferred: ${gz.wire < TARGET_KIB * 1024 ? 'met' : 'NOT met'}`);
  } finally {
    await browser.close();
    await srv.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
