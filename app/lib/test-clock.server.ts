/**
 * The browser tests' clock (domain/clock.ts): with TRUTHLINE_TEST_CLOCK_FILE set, "now" is the
 * system clock plus the number of milliseconds written in that file (read on each call, so the
 * test moves the clock while the server runs; a missing or empty file means 0). Refused unless
 * the server runs on an embedded database in a scratch folder under the OS temporary directory:
 * a server with a real PostgreSQL or a lasting data folder cannot be started with it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installClock } from '../../domain/clock.ts';

/** Installs the test clock if asked; returns why it may not be (the server then refuses to start). */
export function installTestClockFromEnv({ kind, dataDir }: { kind: 'pglite' | 'postgres'; dataDir: string }): string | null {
  const file = process.env.TRUTHLINE_TEST_CLOCK_FILE;
  if (!file) return null;
  const tmp = fs.realpathSync(os.tmpdir());
  const inTmp = (p: string) => {
    const rel = path.relative(tmp, fs.realpathSync(p));
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  };
  if (kind !== 'pglite' || process.env.DATABASE_URL) return 'TRUTHLINE_TEST_CLOCK_FILE is for browser tests: it is refused with a PostgreSQL database';
  if (!inTmp(dataDir)) return `TRUTHLINE_TEST_CLOCK_FILE is for browser tests: the data folder must be a scratch folder under ${tmp}`;
  const offset = () => {
    try {
      const n = Number(fs.readFileSync(file, 'utf8').trim() || '0');
      return Number.isFinite(n) ? n : 0;
    } catch {
      return 0;
    }
  };
  installClock(() => Date.now() + offset());
  process.stderr.write(`truthline: TEST CLOCK in use (offset read from ${file}); never in production\n`);
  return null;
}
