/**
 * Report extraction: accuracy and speed of reports/ against the previous extractor
 * (bench/baseline/extract-v1.ts, the code `truthline extract` ran before), in one run.
 *
 *   npx tsx bench/extract.ts [--reports 100000] [--no-cli]
 *
 * Accuracy sets:
 *  - NegEx/ConText test kit (bench/data/negex/rsAnnotations-1-120-random.txt, 2,376 sentences
 *    from 120 de-identified reports annotated by physicians for negation, temporality and
 *    experiencer; chapmanbe/negex, Apache-2.0 — see bench/data/negex/SOURCE.md). Gold status:
 *    Negated → negated; else experiencer other than the patient → not_mentioned; else
 *    "Not particular" (hypothetical) → uncertain; Historical → historical; else present.
 *  - bench/data/report-sentences.tsv: radiology and pathology sentences written for this project
 *    (uncertainty is absent from the NegEx kit), labelled by the author — not independent.
 * Negation F1 is the GenNegEx measure: negated vs not, over all sentences (published GenNegEx
 * result on this kit: F1 0.947 with the possible-negation rules on).
 * The baseline knows only "label or not": a negations:true label with the phrase as pattern;
 * no label = negated.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { compileRules, extractReport, STATUSES, type Status } from '../reports/index.ts';
import * as v1 from './baseline/extract-v1.ts';

const { values } = parseArgs({ options: { reports: { type: 'string', default: '100000' }, 'no-cli': { type: 'boolean', default: false } } });
const N = Number(values.reports);
const here = import.meta.dirname;

type Item = { phrase: string; text: string; gold: Status };

function negexKit(): Item[] {
  const rows = readFileSync(path.join(here, 'data/negex/rsAnnotations-1-120-random.txt'), 'utf8').split(/\r?\n/).filter(Boolean);
  return rows.map((line) => {
    const [, , phrase, sentence, neg, temp, exp] = line.split('\t');
    const text = sentence.replace(/^"|"$/g, '');
    const gold: Status =
      neg === 'Negated' ? 'negated' : exp !== 'Patient' ? 'not_mentioned' : temp === 'Not particular' ? 'uncertain' : temp === 'Historical' ? 'historical' : 'present';
    return { phrase: phrase.trim(), text, gold };
  });
}

function ownSet(): Item[] {
  return readFileSync(path.join(here, 'data/report-sentences.tsv'), 'utf8')
    .split(/\r?\n/)
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [phrase, gold, text] = l.split('\t');
      return { phrase, text, gold: gold as Status };
    });
}

const escape = (s: string) =>
  s
    .trim()
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\s+/g, '\\s+');

function predictNew(it: Item): Status {
  const rules = compileRules({ name: 'bench', version: 1, findings: [{ finding: 'x', phrases: [it.phrase] }] });
  return extractReport(rules, '1', it.text)[0].status;
}
function predictV1(it: Item): Status {
  const rules = v1.compileRules({ name: 'bench', version: 1, labels: [{ label: 'x', patterns: [escape(it.phrase)], negations: true }], default: 'none' });
  return v1.extractLabel(rules, it.text).label === 'x' ? 'present' : 'negated';
}

function prf(pred: Status[], gold: Status[], cls: (s: Status) => boolean) {
  let tp = 0,
    fp = 0,
    fn = 0;
  for (let i = 0; i < gold.length; i++) {
    const p = cls(pred[i]),
      g = cls(gold[i]);
    if (p && g) tp++;
    else if (p) fp++;
    else if (g) fn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : NaN;
  const recall = tp + fn ? tp / (tp + fn) : NaN;
  return { n: tp + fn, precision, recall, f1: (2 * precision * recall) / (precision + recall) };
}
const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '  -  ');

function report(name: string, items: Item[]) {
  const gold = items.map((i) => i.gold);
  const mine = items.map(predictNew);
  const base = items.map(predictV1);
  const acc = (p: Status[]) => p.filter((x, i) => x === gold[i]).length / gold.length;
  const negMine = prf(mine, gold, (s) => s === 'negated');
  const negBase = prf(base, gold, (s) => s === 'negated');
  console.log(`\n## ${name} (${items.length} sentences)`);
  console.log(
    `negation (negated vs not)   new: P ${f(negMine.precision)} R ${f(negMine.recall)} F1 ${f(negMine.f1)}   baseline: P ${f(negBase.precision)} R ${f(negBase.recall)} F1 ${f(negBase.f1)}`,
  );
  console.log(`accuracy over 5 statuses    new: ${f(acc(mine))}   baseline (present/negated only): ${f(acc(base))}`);
  console.log('status          n     P      R      F1   | baseline P   R      F1');
  for (const s of STATUSES) {
    const a = prf(mine, gold, (x) => x === s);
    const b = prf(base, gold, (x) => x === s);
    console.log(`${s.padEnd(14)} ${String(a.n).padStart(4)}  ${f(a.precision)}  ${f(a.recall)}  ${f(a.f1)} | ${f(b.precision)}  ${f(b.recall)}  ${f(b.f1)}`);
  }
  const confusion = new Map<string, number>();
  mine.forEach((p, i) => p !== gold[i] && confusion.set(`${gold[i]}→${p}`, (confusion.get(`${gold[i]}→${p}`) ?? 0) + 1));
  console.log(
    `errors (gold→new): ${[...confusion]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  if (process.env.SHOW_ERRORS)
    items.forEach((it, i) => mine[i] !== gold[i] && process.env.SHOW_ERRORS === gold[i] && console.log(`  ${gold[i]}→${mine[i]} [${it.phrase}] ${it.text.slice(0, 200)}`));
}

report('NegEx/ConText test kit', negexKit());
report('Truthline report sentences', ownSet());

// ---------------------------------------------------------------------------------------------
// Speed

const sentencesPool = [
  ...ownSet().map((i) => i.text),
  'Heart size is normal.',
  'The mediastinum is unremarkable.',
  'Degenerative changes of the spine.',
  'Lines and tubes in standard position.',
];
let seed = 42;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
function makeReport(): string {
  const k = 4 + Math.floor(rnd() * 8);
  const parts = ['FINDINGS:'];
  for (let j = 0; j < k; j++) parts.push(sentencesPool[Math.floor(rnd() * sentencesPool.length)]);
  parts.push('\nIMPRESSION:', sentencesPool[Math.floor(rnd() * sentencesPool.length)]);
  return parts.join(' ');
}
const reports = Array.from({ length: N }, makeReport);
const chars = reports.reduce((s, r) => s + r.length, 0);
const FINDINGS = ['pneumothorax', 'pleural effusion', 'pneumonia', 'fracture', 'carcinoma', 'mass', 'hemorrhage', 'embolism'];
const newRules = compileRules({ name: 'speed', version: 1, findings: FINDINGS.map((x) => ({ finding: x, phrases: [x] })) });
const v1Rules = v1.compileRules({ name: 'speed', version: 1, labels: FINDINGS.map((x) => ({ label: x, patterns: [escape(x)], negations: true })), default: 'none' });

/**
 * Seconds of CPU (user + system) the work took. On a shared machine wall-clock time mostly
 * measures the other tenants; CPU time is what the work costs. Wall time is printed beside it.
 */
let lastWall = 0;
function time(fn: () => void): number {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  lastWall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}
console.log(`\n## Speed: ${N.toLocaleString('en')} synthetic reports (${(chars / N).toFixed(0)} chars each on average), ${FINDINGS.length} findings, in process`);
const tNew = time(() => {
  for (let i = 0; i < reports.length; i++) extractReport(newRules, String(i), reports[i]);
});
const wNew = lastWall;
// The baseline answers one label per report (first label wins): it does less work per report.
const tV1 = time(() => {
  for (const r of reports) v1.extractLabel(v1Rules, r);
});
const wV1 = lastWall;
console.log(`new (all ${FINDINGS.length} findings per report): ${(N / tNew).toFixed(0)} reports/s of CPU (${tNew.toFixed(2)} s CPU, ${wNew.toFixed(2)} s wall)`);
console.log(
  `baseline (first label only):        ${(N / tV1).toFixed(0)} reports/s of CPU (${tV1.toFixed(2)} s CPU, ${wV1.toFixed(2)} s wall)   throughput new/baseline ${(tV1 / tNew).toFixed(2)}×`,
);
const os = await import('node:os');
console.log(`(load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores; CPU time counts every thread of the process, GC included)`);

// Long report with many negated mentions: the baseline rescans from the sentence start per match.
const longOf = (target: number) => {
  const unit = 'No carcinoma, no carcinoma and no carcinoma; ';
  return unit.repeat(Math.ceil(target / unit.length)).slice(0, target);
};
const one = compileRules({ name: 'long', version: 1, findings: [{ finding: 'carcinoma', phrases: ['carcinoma'] }] });
const oneV1 = v1.compileRules({ name: 'long', version: 1, labels: [{ label: 'carcinoma', patterns: ['carcinoma'], negations: true }], default: 'none' });
console.log('\n## One long report of repeated negated mentions (seconds)');
console.log('chars      new      baseline');
for (const size of [15_000, 30_000, 60_000, 240_000]) {
  const text = longOf(size);
  const a = time(() => extractReport(one, 'x', text));
  const b = size <= 30_000 ? time(() => v1.extractLabel(oneV1, text)) : NaN;
  console.log(`${String(size).padEnd(9)} ${a.toFixed(3).padStart(7)}   ${Number.isFinite(b) ? b.toFixed(3) : '(skipped: quadratic, 111 s measured at 240k in the issue)'}`);
}

if (!values['no-cli']) {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-extract-'));
  const csv = path.join(dir, 'reports.csv');
  writeFileSync(csv, 'id,text\n' + reports.map((r, i) => `r${i},"${r.replace(/"/g, '""')}"`).join('\n') + '\n');
  const rulesFile = path.join(dir, 'rules.json');
  writeFileSync(rulesFile, JSON.stringify({ name: 'speed', version: 1, findings: FINDINGS.map((x) => ({ finding: x, phrases: [x] })) }));
  const root = path.resolve(here, '..');
  // CPU of the child process from bash's `time` (user+system), wall from here.
  const cli = (rules: string) => {
    const t0 = performance.now();
    const err = execFileSync('bash', ['-c', `TIMEFORMAT='%U %S'; { time node cli/bin.js extract --rules "$1" "$2" > /dev/null; } 2>&1`, 'bench', rules, csv], {
      cwd: root,
      encoding: 'utf8',
    });
    const [u, s2] = err.trim().split(/\s+/).slice(-2).map(Number);
    return { cpu: u + s2, wall: (performance.now() - t0) / 1000 };
  };
  const a = cli(rulesFile);
  const v1File = path.join(dir, 'labels.json');
  writeFileSync(v1File, JSON.stringify({ name: 'speed', version: 1, labels: FINDINGS.map((x) => ({ label: x, patterns: [escape(x)], negations: true })), default: 'none' }));
  const b = cli(v1File);
  console.log(`\n## CLI end to end (start-up included), node cli/bin.js extract on the same ${N.toLocaleString('en')} reports`);
  console.log(`findings form (${FINDINGS.length} rows per report): ${(N / a.cpu).toFixed(0)} reports/s of CPU (${a.cpu.toFixed(2)} s CPU, ${a.wall.toFixed(2)} s wall)`);
  console.log(`labels form on the new engine (1 row per report): ${(N / b.cpu).toFixed(0)} reports/s of CPU (${b.cpu.toFixed(2)} s CPU, ${b.wall.toFixed(2)} s wall)`);
}
