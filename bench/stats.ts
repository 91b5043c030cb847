/**
 * `npm run bench:stats` — categorical agreement speed on 100,000 cases × 5 readers × 5 categories
 * (fixed seed), against the installed references (statsmodels via /usr/bin/python3; R irr if
 * installed, on a 10,000-case subset because irr::kappam.fleiss is quadratic in cases: ~93 s on
 * 100k). Never run in tests. The last line is one JSON object with the figures in ms.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fromCodes, caseCounts, selectCases, type Ratings } from '../stats/ratings.ts';
import { fleissComplete } from '../stats/categorical/fleiss.ts';
import { fleissFW } from '../stats/categorical/framework.ts';
import { krippendorffAlpha } from '../stats/categorical/krippendorff.ts';
import { weightMatrix } from '../stats/categorical/weights.ts';
import { benchStats2 } from './stats2.ts';

const N = 100_000;
const R = 5;
const Q = 5;
const SEED = 20240604;
const SUBSET = 10_000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Data: a latent category per case; each reader reports it with probability 0.7, else uniform.
const rand = mulberry32(SEED);
const caseIndex = new Int32Array(N * R);
const raterIndex = new Int32Array(N * R);
const code = new Int32Array(N * R);
for (let i = 0; i < N; i++) {
  const latent = Math.floor(rand() * Q);
  for (let g = 0; g < R; g++) {
    const k = i * R + g;
    caseIndex[k] = i;
    raterIndex[k] = g;
    code[k] = rand() < 0.7 ? latent : Math.floor(rand() * Q);
  }
}
const categories = ['1', '2', '3', '4', '5'];
const ratings = fromCodes({ level: 'ordinal', categories, nCases: N, nRaters: R, caseIndex, raterIndex, code });

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function time(fn: () => unknown, reps = 7): number {
  fn(); // warm-up
  const t: number[] = [];
  for (let j = 0; j < reps; j++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}
const identity = weightMatrix('identity', Q);
const fleiss = (r: Ratings) => {
  const cc = caseCounts(r);
  return [fleissComplete(cc).value, fleissFW(cc, identity).se];
};
const alpha = (r: Ratings, m: 'nominal' | 'ordinal') => krippendorffAlpha(caseCounts(r), m, r.categoryValues).value;

const fleissMs = time(() => fleiss(ratings));
const alphaNominalMs = time(() => alpha(ratings, 'nominal'));
const alphaOrdinalMs = time(() => alpha(ratings, 'ordinal'));
const sub = selectCases(
  ratings,
  Array.from({ length: SUBSET }, (_, i) => i),
);
const fleissSubMs = time(() => fleiss(sub));
const alphaSubMs = time(() => alpha(sub, 'nominal'));
console.log(`data: ${N} cases × ${R} readers × ${Q} categories, seed ${SEED}`);
console.log(`Fleiss κ (value + Gwet SE + H0 test)  ${fleissMs.toFixed(2)} ms   (κ = ${fleiss(ratings)[0].toFixed(6)})`);
console.log(`Krippendorff α nominal                 ${alphaNominalMs.toFixed(2)} ms   (α = ${alpha(ratings, 'nominal').toFixed(6)})`);
console.log(`Krippendorff α ordinal                 ${alphaOrdinalMs.toFixed(2)} ms   (α = ${alpha(ratings, 'ordinal').toFixed(6)})`);

// Files for the CLI and the references.
const dir = mkdtempSync(path.join(tmpdir(), 'bench-stats-'));
const csvPath = path.join(dir, 'ratings.csv');
const wide = path.join(dir, 'wide.csv');
{
  const long: string[] = ['case_id,reader_id,label'];
  const w: string[] = [];
  for (let i = 0; i < N; i++) {
    const row: string[] = [];
    for (let g = 0; g < R; g++) {
      const c = categories[code[i * R + g]];
      long.push(`case${i + 1},reader${g + 1},${c}`);
      row.push(c);
    }
    w.push(row.join(','));
  }
  writeFileSync(csvPath, long.join('\n') + '\n');
  writeFileSync(wide, w.join('\n') + '\n');
}

// CLI end to end: process start, parse, every nominal statistic, JSON out.
const cliRuns: number[] = [];
for (let j = 0; j < 3; j++) {
  const t0 = performance.now();
  const res = spawnSync('node', ['cli/bin.js', 'agreement', csvPath, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  cliRuns.push(performance.now() - t0);
  if (res.status !== 0) throw new Error(`CLI failed: ${res.stderr}`);
}
const cliMs = median(cliRuns);
console.log(`CLI end to end (${N * R} ratings, nominal, json) ${cliMs.toFixed(0)} ms`);

const ref: Record<string, number | string | null> = {};
// statsmodels
try {
  const py = `
import time, numpy as np, statsmodels
from statsmodels.stats.inter_rater import fleiss_kappa, aggregate_raters
x = np.loadtxt(${JSON.stringify(wide)}, delimiter=',', dtype=int)
t = []
for _ in range(5):
    t0 = time.perf_counter(); k = fleiss_kappa(aggregate_raters(x)[0]); t.append(time.perf_counter() - t0)
print(sorted(t)[2] * 1000, k, statsmodels.__version__)
`;
  const [ms, k, v] = execFileSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8', timeout: 300_000 }).trim().split(/\s+/);
  ref.statsmodels_fleiss_ms = Number(ms);
  console.log(`statsmodels ${v} fleiss_kappa(aggregate_raters(x)) ${Number(ms).toFixed(1)} ms (κ = ${Number(k).toFixed(6)}) → ${(Number(ms) / fleissMs).toFixed(1)}× ours`);
} catch (e) {
  ref.statsmodels_fleiss_ms = null;
  console.log(`statsmodels: skipped (${(e as Error).message.split('\n')[0]})`);
}
// python krippendorff (fast-krippendorff), if installed
try {
  const py = `
import time, numpy as np, krippendorff
x = np.loadtxt(${JSON.stringify(wide)}, delimiter=',').T
t0 = time.perf_counter(); a = krippendorff.alpha(reliability_data=x, level_of_measurement='nominal'); print((time.perf_counter()-t0)*1000, a)
`;
  const [ms] = execFileSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'ignore'] })
    .trim()
    .split(/\s+/);
  ref.py_krippendorff_nominal_ms = Number(ms);
  console.log(`python krippendorff alpha nominal ${Number(ms).toFixed(1)} ms → ${(Number(ms) / alphaNominalMs).toFixed(1)}× ours`);
} catch {
  console.log('python krippendorff (fast-krippendorff): not installed, skipped');
}
// R irr on the first 10k cases
const rLib = process.env.R_LIBS ?? '/tmp/Rlib';
try {
  const rs = `
suppressMessages(library(irr, lib.loc = c(${JSON.stringify(rLib)}, .libPaths())))
x <- as.matrix(read.csv(${JSON.stringify(wide)}, header = FALSE, nrows = ${SUBSET}))
a <- system.time(k <- kappam.fleiss(x))[["elapsed"]]
b <- system.time(al <- kripp.alpha(t(x), "nominal"))[["elapsed"]]
cat(a * 1000, b * 1000, k$value, as.character(packageVersion("irr")), "\n")
`;
  const [fm, am, k, v] = execFileSync('Rscript', ['-e', rs], { encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'ignore'] })
    .trim()
    .split(/\s+/);
  ref.r_irr_fleiss_10k_ms = Number(fm);
  ref.r_irr_alpha_nominal_10k_ms = Number(am);
  console.log(
    `R irr ${v} kappam.fleiss on the first ${SUBSET} cases ${Number(fm).toFixed(0)} ms (κ = ${Number(k).toFixed(6)}) → ${(Number(fm) / fleissSubMs).toFixed(0)}× ours on the same subset (${fleissSubMs.toFixed(2)} ms)`,
  );
  console.log(
    `R irr ${v} kripp.alpha nominal on the first ${SUBSET} cases ${Number(am).toFixed(0)} ms → ${(Number(am) / alphaSubMs).toFixed(0)}× ours on the same subset (${alphaSubMs.toFixed(2)} ms)`,
  );
  console.log('  (subset because irr::kappam.fleiss grows quadratically: ~93 s on 100k cases on this machine)');
} catch (e) {
  console.log(`R irr: skipped (${(e as Error).message.split('\n')[0]}); build it from CRAN sources into ${rLib} (see stats/fixtures/scripts/reference.R)`);
}

// stats II: Dawid–Skene and the CLI with truth inference (bench/stats2.ts).
const stats2 = benchStats2({ N, R, Q, raterIndex, code, csvPath, dir });

console.log(
  JSON.stringify({
    ...stats2,
    fleiss_ms: +fleissMs.toFixed(3),
    alpha_nominal_ms: +alphaNominalMs.toFixed(3),
    alpha_ordinal_ms: +alphaOrdinalMs.toFixed(3),
    cli_total_ms: +cliMs.toFixed(1),
    ...ref,
    ours_fleiss_10k_ms: +fleissSubMs.toFixed(3),
    ours_alpha_nominal_10k_ms: +alphaSubMs.toFixed(3),
  }),
);
