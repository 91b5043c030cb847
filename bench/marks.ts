/**
 * `npx tsx bench/marks.ts`: lesion matching and STAPLE (stats/marks) on realistic sizes, against
 * references measured in the same run on the same inputs:
 *  - matching: a screening batch (5,000 images × 3 readers, 0–3 lesions per image, jittered marks
 *    and false marks; points and boxes) through matchLesions, against a greedy nearest-first
 *    matcher in the same process (the price of the optimal assignment); and the assignment core
 *    (maxWeightMatching) on dense n × n matrices against SciPy's linear_sum_assignment (Debian
 *    python3-scipy) when /usr/bin/python3 has it;
 *  - STAPLE: 5 raters' masks rasterised from ellipses at 256² and 1024², against ITK 5.2.1's
 *    STAPLEImageFilter (bench/reference/staple-itk.cxx; its Update() time only) when
 *    bench/reference/staple-itk.sh can build it (Debian libinsighttoolkit5-dev).
 * Figures are medians of several runs; skipped references print why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { xoshiro128ss } from '../stats/bootstrap/prng.ts';
import { maxWeightMatching } from '../stats/marks/hungarian.ts';
import { matchLesions, pairScore, type MatchRule, type ReaderMarks } from '../stats/marks/match.ts';
import { rasterise } from '../stats/marks/rasterise.ts';
import { staple } from '../stats/marks/staple.ts';
import type { Mark } from '../stats/marks/types.ts';

const rng = xoshiro128ss(2026);
const u = () => rng.next();
const gauss = () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());

function median(f: () => void, runs: number): number {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}
const fmt = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;

// ------------------------------------------------------------------ matching batch
function batch(images: number, readers: number): ReaderMarks[] {
  const out: ReaderMarks[] = Array.from({ length: readers }, (_, r) => ({ readerKey: `r${r}`, marks: [] }));
  for (let i = 0; i < images; i++) {
    const image = { sopInstanceUid: `1.2.${i}`, frame: 1 };
    const lesions = Array.from({ length: Math.floor(u() * 4) }, () => ({ x: 200 + u() * 2000, y: 200 + u() * 3000, s: 20 + u() * 80 }));
    out.forEach((r, ri) => {
      let n = 0;
      const add = (x: number, y: number, s: number) => {
        const id = `${i}-${n++}`;
        r.marks.push(
          ri % 2 === 0
            ? { id, kind: 'point', image, points: [[x, y]] }
            : {
                id,
                kind: 'box',
                image,
                points: [
                  [x - s / 2, y - s / 2],
                  [x + s / 2, y + s / 2],
                ],
              },
        );
      };
      for (const l of lesions) if (u() < 0.8) add(l.x + 6 * gauss(), l.y + 6 * gauss(), l.s * (1 + 0.15 * gauss()));
      if (u() < 0.3) add(200 + u() * 2000, 200 + u() * 3000, 40);
    });
  }
  return out;
}

/** Baseline: per image, pairs by descending affinity, greedily (two readers at a time, into the first reader's lesions). */
function greedy(readers: ReaderMarks[], rule: MatchRule, spacing: [number, number]): number {
  const byImage = new Map<string, Mark[][]>();
  readers.forEach((r, ri) => {
    for (const m of r.marks) {
      const k = m.image.sopInstanceUid!;
      const l = byImage.get(k) ?? readers.map(() => []);
      l[ri].push(m);
      byImage.set(k, l);
    }
  });
  let lesions = 0;
  for (const lists of byImage.values()) {
    const groups: Mark[][] = [];
    for (const list of lists) {
      const cand: [number, number, number][] = [];
      list.forEach((m, i) =>
        groups.forEach((g, j) => {
          const s = pairScore(m, g[0], rule, spacing);
          if (s) cand.push([s.affinity, i, j]);
        }),
      );
      cand.sort((a, b) => b[0] - a[0]);
      const usedM = new Set<number>();
      const usedG = new Set<number>();
      for (const [, i, j] of cand)
        if (!usedM.has(i) && !usedG.has(j)) {
          usedM.add(i);
          usedG.add(j);
          groups[j].push(list[i]);
        }
      list.forEach((m, i) => usedM.has(i) || groups.push([m]));
    }
    lesions += groups.length;
  }
  return lesions;
}

const rule: MatchRule = { radiusMm: 5, radiusPx: 50, minIoU: 0.3 };
const spacing: [number, number] = [0.07, 0.07];
const readers = batch(5000, 3);
const marks = readers.reduce((s, r) => s + r.marks.length, 0);
let lesions = 0;
const tMatch = median(() => {
  lesions = matchLesions({ readers, rule, pixelSpacing: spacing }).clusters.length;
}, 5);
let greedyLesions = 0;
const tGreedy = median(() => {
  greedyLesions = greedy(readers, rule, spacing);
}, 5);
console.log('Lesion matching, 5,000 images × 3 readers (points in mm, boxes by IoU):');
console.log(`  ${marks} marks → ${lesions} lesions: matchLesions ${fmt(tMatch)} (${((tMatch / marks) * 1000).toFixed(2)} µs per mark)`);
console.log(`  greedy nearest-first in the same run: ${fmt(tGreedy)} (${greedyLesions} lesions); ratio optimal / greedy ${(tMatch / tGreedy).toFixed(2)}`);

// ------------------------------------------------------------------ assignment core vs SciPy
const py = '/usr/bin/python3';
const hasScipy = existsSync(py) && spawnSync(py, ['-c', 'import scipy'], { encoding: 'utf8' }).status === 0;
console.log('\nAssignment core, dense n × n affinities in [0, 1):');
for (const n of [100, 300, 600]) {
  const w = Array.from({ length: n }, () => Array.from({ length: n }, () => u()));
  let total = 0;
  const t = median(
    () => {
      const a = maxWeightMatching(w, n);
      total = 0;
      a.forEach((j, i) => {
        total += w[i][j];
      });
    },
    n > 300 ? 3 : 5,
  );
  let ref = hasScipy ? '' : 'SciPy: skipped (no python3-scipy for /usr/bin/python3)';
  if (hasScipy) {
    const script = `import sys, json, time
import numpy as np
from scipy.optimize import linear_sum_assignment
w = np.array(json.load(sys.stdin))
ts = []
for _ in range(5):
    t0 = time.perf_counter(); r, c = linear_sum_assignment(w, maximize=True); ts.append((time.perf_counter() - t0) * 1000)
import scipy
print(sorted(ts)[2], w[r, c].sum(), scipy.__version__)`;
    const [ms, sum, ver] = execFileSync(py, ['-c', script], { input: JSON.stringify(w), encoding: 'utf8', maxBuffer: 1 << 28 })
      .trim()
      .split(' ');
    ref = `SciPy ${ver} linear_sum_assignment ${fmt(Number(ms))} (total ${Number(sum).toFixed(9)}); ratio ${(t / Number(ms)).toFixed(1)}×`;
  }
  console.log(`  n = ${n}: maxWeightMatching ${fmt(t)} (total ${total.toFixed(9)}); ${ref}`);
}

// ------------------------------------------------------------------ STAPLE vs ITK
const itkBin = '/tmp/bench-staple-itk';
let hasItk = existsSync(itkBin);
if (!hasItk) {
  const b = spawnSync('sh', ['bench/reference/staple-itk.sh', itkBin], { encoding: 'utf8' });
  hasItk = b.status === 0;
}
console.log('\nSTAPLE, 5 raters, masks from ellipses:');
for (const size of [256, 1024]) {
  const grid = { x0: 0, y0: 0, width: size, height: size };
  const c = size / 2;
  const masks = Array.from({ length: 5 }, (_, i) => {
    const r = size * (0.3 + 0.03 * i);
    const dx = size * 0.02 * (i - 2);
    const m: Mark = {
      id: `e${i}`,
      kind: 'ellipse',
      image: { url: 'x' },
      points: [
        [c - r + dx, c - r * 0.8],
        [c + r + dx, c + r * 0.8],
      ],
    };
    return rasterise(m, grid);
  });
  let it = 0;
  const t = median(() => {
    it = staple(masks).iterations;
  }, 5);
  let ref = 'ITK: skipped (bench/reference/staple-itk.sh could not build: needs libinsighttoolkit5-dev and g++)';
  if (hasItk) {
    const input = `${size} ${size} 5\n${masks.map((m) => m.join('')).join('\n')}\n`;
    const ts: number[] = [];
    let itkIt = 0;
    for (let k = 0; k < 3; k++) {
      const res = spawnSync(itkBin, { input, encoding: 'utf8', maxBuffer: 1 << 28 });
      ts.push(Number(/updateMs ([\d.]+)/.exec(res.stderr)![1]));
      itkIt = JSON.parse(res.stdout).iterations;
    }
    ts.sort((a, b) => a - b);
    ref = `ITK 5.2.1 STAPLEImageFilter Update() ${fmt(ts[1])} (${itkIt} iterations); ratio ${(t / ts[1]).toFixed(2)}×`;
  }
  console.log(`  ${size}² (${size * size} px): staple ${fmt(t)} (${it} iterations); ${ref}`);
}
