/**
 * stats II figures for `npm run bench:stats` (called from bench/stats.ts on the same generated
 * data): Dawid–Skene EM, 50 iterations on 100,000 cases × 5 readers × 5 classes, and the CLI end
 * to end with truth inference (--infer: majority vote + Dawid–Skene). crowd-kit's DawidSkene is
 * timed on the same data when its source is present in /tmp/ckmin (see
 * stats/fixtures/scripts/stats2-dawid-skene.py); it is not a dependency.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { dawidSkene, type DsInput } from '../stats/inference/dawidSkene.ts';

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function benchStats2(opts: { N: number; R: number; Q: number; raterIndex: Int32Array; code: Int32Array; csvPath: string; dir: string }): Record<string, number | null> {
  const { N, R, Q, raterIndex, code, csvPath, dir } = opts;
  // Ratings are case-major (case i = rows i·R … i·R + R − 1).
  const caseStart = Int32Array.from({ length: N + 1 }, (_, i) => i * R);
  const d: DsInput = { nCases: N, nReaders: R, nClasses: Q, caseStart, reader: raterIndex, label: code };
  dawidSkene(d, { maxIter: 5, tol: 0 }); // warm-up
  const runs: number[] = [];
  let ll = 0;
  for (let j = 0; j < 5; j++) {
    const t0 = performance.now();
    const res = dawidSkene(d, { maxIter: 50, tol: 0 });
    runs.push(performance.now() - t0);
    ll = res.logLikelihood;
  }
  const dsMs = median(runs);
  console.log(`Dawid–Skene EM, 50 iterations, ${N} cases × ${R} readers × ${Q} classes  ${dsMs.toFixed(0)} ms (log-likelihood ${ll.toFixed(3)})`);

  const out: Record<string, number | null> = { dawid_skene_50_ms: +dsMs.toFixed(1) };
  const cliRuns: number[] = [];
  for (let j = 0; j < 3; j++) {
    const t0 = performance.now();
    const res = spawnSync('node', ['cli/bin.js', 'agreement', csvPath, '--infer', '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    cliRuns.push(performance.now() - t0);
    if (res.status !== 0) throw new Error(`CLI --infer failed: ${res.stderr}`);
  }
  const cliMs = median(cliRuns);
  out.cli_infer_total_ms = +cliMs.toFixed(1);
  console.log(`CLI end to end with --infer (majority + Dawid–Skene to convergence, posterior per case, json) ${cliMs.toFixed(0)} ms`);

  if (existsSync('/tmp/ckmin/crowdkit/aggregation/classification/dawid_skene.py')) {
    try {
      const long = path.join(dir, 'ck.csv');
      const rows = ['task,worker,label'];
      for (let k = 0; k < N * R; k++) rows.push(`${Math.floor(k / R)},${raterIndex[k]},${code[k]}`);
      writeFileSync(long, rows.join('\n') + '\n');
      const py = `
import sys, time; sys.path.insert(0, '/tmp/ckmin')
import math, pandas as pd
from crowdkit.aggregation.classification.dawid_skene import DawidSkene
df = pd.read_csv(${JSON.stringify(long)})
t0 = time.perf_counter(); DawidSkene(n_iter=50, tol=-math.inf).fit(df); print((time.perf_counter() - t0) * 1000)
`;
      const ms = Number(execFileSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      out.crowdkit_dawid_skene_50_ms = +ms.toFixed(0);
      console.log(`crowd-kit 1.4.1 DawidSkene(n_iter=50) on the same data ${ms.toFixed(0)} ms → ${(ms / dsMs).toFixed(0)}× ours`);
    } catch (e) {
      console.log(`crowd-kit: skipped (${(e as Error).message.split('\n')[0]})`);
    }
  } else console.log('crowd-kit: source not in /tmp/ckmin, skipped');
  return out;
}
