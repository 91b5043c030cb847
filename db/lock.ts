/**
 * PGlite is one process's database: a second process opening the same folder would corrupt it.
 * The holder writes its pid to ./data/truthline.pid; others are refused while that pid lives.
 */
import fs from 'node:fs';
import path from 'node:path';

export class LockedError extends Error {}

const held = new Set<string>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockPath(dir: string) {
  return path.join(dir, 'truthline.pid');
}

export function acquireLock(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const file = lockPath(dir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      held.add(file);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (pid === process.pid) return;
      if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) {
        throw new LockedError(`The embedded database in ${dir} is in use by another Truthline process (pid ${pid}): stop the server or set DATABASE_URL.`);
      }
      fs.rmSync(file, { force: true }); // stale lock from a crashed process
    }
  }
  throw new LockedError(`Could not take the lock ${file}`);
}

export function releaseLock(dir: string): void {
  const file = lockPath(dir);
  if (!held.has(file)) return;
  held.delete(file);
  try {
    if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file);
  } catch {
    /* already gone */
  }
}
