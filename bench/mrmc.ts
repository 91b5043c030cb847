/**
 * `npm run bench:mrmc`: Obuchowski–Rockette with jackknife covariance (stats/mrmc) on simulated
 * fully crossed studies, 10 readers × 2 arms × 1,000 cases and 25 × 2 × 10,000, against R
 * MRMCaov measured in the same run on the same CSV when `Rscript` and MRMCaov are installed
 * (R_LIBS may point at a local library; see stats/fixtures/scripts/stats3-mrmc.R). MRMCaov's
 * jackknife refits the AUC once per deleted case and group (25 × 2 × 10,000 = 500,000 fits) and
 * even its DeLong covariance did not finish within 15 minutes on the 2-core CI machine, so on the
 * large study R runs only with BENCH_MRMC_R_LARGE=1 (the reason is printed otherwise).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildStudy, mrmc, type StudyRow } from '../stats/mrmc/index.ts';

function simulate(R: number, C: number, seed: number): StudyRow[] {
  let x = seed >>> 0;
  const u = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const gauss = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const rows: StudyRow[] = [];
  const truth = Array.from({ length: C }, (_, k) => (k % 2 === 0 ? 1 : 0));
  const caseEffect = truth.map(() => gauss());
  for (const arm of ['A', 'B'])
    for (let r = 0; r < R; r++)
      for (let k = 0; k < C; k++) {
        const mu = truth[k] ? (arm === 'B' ? 1.6 : 1.4) : 0;
        // Five-point scale, like the reader studies the tools were written for.
        const latent = mu + 0.6 * caseEffect[k] + gauss();
        const rating = Math.max(1, Math.min(5, Math.round(latent + 2.5)));
        rows.push({ line: rows.length + 2, caseId: `c${k}`, truth: truth[k], arm, readerId: `r${r}`, rating });
      }
  return rows;
}

function timeTs(rows: StudyRow[], runs: number): { ms: number; F: number } {
  const study = buildStudy(rows);
  let F = 0;
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    F = mrmc(study, { covariance: { kind: 'jackknife' } }).or.rrrc.F;
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { ms: t[Math.floor(t.length / 2)], F };
}

function timeR(csv: string, cov: 'jackknife'): { ms: number; F: number } | { skipped: string } {
  const script = `suppressMessages(library(MRMCaov)); d <- read.csv("${csv}"); t0 <- proc.time()[["elapsed"]];
s <- summary(mrmc(empirical_auc(truth, rating), arm, reader_id, case_id, data = d, cov = ${cov}));
cat(sprintf("%.3f %.17g\\n", 1000 * (proc.time()[["elapsed"]] - t0), s$test_equality$F))`;
  const res = spawnSync('Rscript', ['-e', script], { encoding: 'utf8', env: process.env });
  if (res.error) return { skipped: 'Rscript is not installed' };
  if (res.status !== 0) return { skipped: `MRMCaov not available (${res.stderr.trim().split('\n').pop()})` };
  const [ms, F] = res.stdout.trim().split(/\s+/).map(Number);
  return { ms, F };
}

const dir = mkdtempSync(path.join(tmpdir(), 'bench-mrmc-'));
for (const [R, C] of [
  [10, 1000],
  [25, 10000],
] as const) {
  const rows = simulate(R, C, R * C);
  const csv = path.join(dir, `study-${R}x${C}.csv`);
  writeFileSync(csv, 'case_id,truth,arm,reader_id,rating\n' + rows.map((r) => `${r.caseId},${r.truth},${r.arm},${r.readerId},${r.rating}`).join('\n') + '\n');
  const ts = timeTs(rows, C > 5000 ? 3 : 5);
  console.log(`OR jackknife, ${R} readers × 2 arms × ${C} cases: stats/mrmc ${ts.ms.toFixed(1)} ms (median), F = ${ts.F.toFixed(6)}`);
  if (C > 5000 && process.env.BENCH_MRMC_R_LARGE !== '1') {
    console.log('  R MRMCaov: skipped at this size — 500,000 jackknife AUC refits take far longer than a bench run (set BENCH_MRMC_R_LARGE=1 to run it)');
    continue;
  }
  const r = timeR(csv, 'jackknife');
  if ('skipped' in r) console.log(`  R MRMCaov: skipped — ${r.skipped}`);
  else
    console.log(
      `  R MRMCaov jackknife ${r.ms.toFixed(0)} ms, F = ${r.F.toFixed(6)} (|ΔF| ${Math.abs(r.F - ts.F).toExponential(1)}); stats/mrmc is ${(r.ms / ts.ms).toFixed(0)}× faster`,
    );
}
