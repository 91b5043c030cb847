/**
 * CPU time of processes from /proc (Linux), for benches that report where a request's time goes
 * whatever else the machine is running.
 */
import fs from 'node:fs';

function fields(pid: number | string): string[] | null {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  } catch {
    return null;
  }
}

/** CPU time (user + system, ms) a process has used so far. */
export function processCpuMs(pid: number | undefined): number {
  const f = pid === undefined ? null : fields(pid);
  return f ? ((Number(f[11]) + Number(f[12])) * 1000) / 100 : Number.NaN;
}

/**
 * CPU (ms) used so far by PostgreSQL: every postgres process (backends of all databases, WAL
 * writer, checkpointer…) plus what its exited children used (counted into the postmaster's
 * children times when they are reaped), so backends that came and went are not lost.
 */
export function postgresCpuMs(): number {
  let total = 0;
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let comm = '';
    try {
      comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm !== 'postgres') continue;
    const f = fields(pid);
    if (!f) continue;
    total += ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / 100;
  }
  return total;
}

/** Busy and total CPU time of the whole machine (ms, all cores) from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = f[3] + (f[4] ?? 0);
  return { busy: ((total - idle) * 1000) / 100, total: (total * 1000) / 100 };
}
