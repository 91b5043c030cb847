/**
 * Browser tests: build the app, start server.ts on a free port with a scratch embedded database
 * (the demo is seeded on first start), and drive Debian's chromium with playwright-core.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);
const ROOT = path.resolve(import.meta.dirname, '../..');

export type Running = { url: string; dataDir: string; stop(): Promise<void> };

/**
 * `env` is laid over the server's environment: e.g. DATABASE_URL to run on PostgreSQL instead of a
 * scratch PGlite, or TRUTHLINE_TEST_CLOCK_FILE (accepted only on a scratch embedded database).
 */
export async function startServer(opts: { env?: Record<string, string> } = {}): Promise<Running> {
  // NODE_ENV=production: vitest sets NODE_ENV=test, which would make a development build (jsxDEV).
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'truthline-browser-'));
  // Inside the repository: the server bundle resolves its packages from ./node_modules.
  const buildDir = path.join(ROOT, '.cache', `browser-build-${path.basename(dataDir)}`);
  const viewer = spawnSync(process.execPath, ['scripts/build-viewer.mjs'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TRUTHLINE_BUILD_DIR: buildDir } });
  if (viewer.status !== 0) throw new Error(`viewer build failed: ${viewer.stderr}`);
  const build = spawnSync('npx', ['remix', 'build'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production', TRUTHLINE_BUILD_DIR: buildDir } });
  if (build.status !== 0) throw new Error(`remix build failed: ${build.stderr}`);
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', TRUTHLINE_BUILD_DIR: buildDir, PORT: '0', HOST: '127.0.0.1', TRUTHLINE_DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  delete env.APP_URL;
  Object.assign(env, opts.env);
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 420_000);
    const onData = (b: Buffer) => {
      log += b.toString();
      const m = log.match(/listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${log}`)));
  });
  return {
    url,
    dataDir,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(buildDir, { recursive: true, force: true });
    },
  };
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

export async function signInAs(page: Page, base: string, email: string, password = 'truthline-demo') {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Inside a describe block: one server (with the demo) and one browser for the block's tests.
 * Returns an object whose `srv` and `browser` are set once beforeAll has run.
 */
export function useServerAndBrowser(extraEnv: Record<string, string> = {}): { srv: Running; browser: Browser } {
  const ctx = {} as { srv: Running; browser: Browser };
  beforeAll(async () => {
    ctx.srv = await startServer({ env: extraEnv });
    ctx.browser = await launch();
  }, 600_000);
  afterAll(async () => {
    await ctx.browser?.close();
    await ctx.srv?.stop();
  });
  return ctx;
}
