/**
 * The application's clock: what "now" is when a request does not say (workflows/runtime.ts
 * `toIso`). It is the system clock, except in a browser test: server.ts may install a test clock
 * (TRUTHLINE_TEST_CLOCK_FILE) that it refuses on anything but a scratch embedded database, so a
 * test can move a reader study past its washout without waiting 28 days. Kept on globalThis
 * because the Remix server bundle and server.ts (run by tsx) each get their own copy of this
 * module.
 */
const KEY = Symbol.for('truthline.clock');
type G = typeof globalThis & { [KEY]?: () => number };

export function now(): Date {
  const source = (globalThis as G)[KEY];
  return new Date(source ? source() : Date.now());
}

/** Replaces the clock once, at start-up (server.ts decides whether that is allowed). */
export function installClock(fn: () => number): void {
  if ((globalThis as G)[KEY]) throw new Error('the clock is installed once, at start-up');
  (globalThis as G)[KEY] = fn;
}
