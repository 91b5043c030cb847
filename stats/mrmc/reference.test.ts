/**
 * stats/roc and stats/mrmc against R MRMCaov 0.3.0 and pROC 1.18 on the Van Dyke and Franken
 * studies, to 1e-9 absolute + relative (tools, versions and calls beside every value in
 * stats/fixtures/mrmc/reference.json, written by stats/fixtures/scripts/stats3-mrmc.R), and
 * against the published OR-DBM MRMC 2.51 output for Van Dyke (8 printed decimals).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aucWithCi, delongComponents, delongCovariance, delongPairedTest } from '../roc/auc.ts';
import { mrmc, type MrmcDocument } from './analysis.ts';
import { buildStudy, groupRatings, groupStudy, type Study, type StudyRow } from './study.ts';
import { groupFoms, jackknifeFoms } from './fom.ts';
import { orAnalysis } from './or.ts';
import type { CovMethod, Fom } from './fom.ts';

const DIR = new URL('../fixtures/mrmc/', import.meta.url);

export function loadStudy(name: string): Study {
  const lines = readFileSync(new URL(`${name}.csv`, DIR), 'utf8')
    .trim()
    .split('\n');
  const rows: StudyRow[] = lines.slice(1).map((l, i) => {
    const [caseId, truth, arm, readerId, rating] = l.split(',');
    return { line: i + 2, caseId, truth: Number(truth), arm, readerId, rating: Number(rating) };
  });
  return buildStudy(rows);
}

interface RefValue {
  dataset: string;
  path: string;
  expected: number;
  tool: string;
  call: string;
  options: { covariance?: string; fom?: string; threshold?: number; reader?: string; arm?: string; arms?: string[] };
}
const ref = JSON.parse(readFileSync(new URL('reference.json', DIR), 'utf8')) as { values: RefValue[] };

function close(actual: number, expected: number, tol = 1e-9) {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tol * (1 + Math.abs(expected)));
}

function at(doc: unknown, path: string): number {
  let v: unknown = doc;
  for (const k of path.split('.')) v = (v as Record<string, unknown>)[k];
  return v as number;
}

const studies = new Map<string, Study>();
const study = (n: string) => studies.get(n) ?? (studies.set(n, loadStudy(n)), studies.get(n)!);
const docs = new Map<string, MrmcDocument>();
/** MRMCaov's FRRC denominator is not floored (decision stats-0002 §2): its values are checked with frrcFloor false. */
function docFor(ds: string, o: RefValue['options'], frrc: boolean): MrmcDocument {
  const key = JSON.stringify([ds, o.covariance, o.fom, o.threshold, frrc]);
  let d = docs.get(key);
  if (!d) {
    const fom: Fom = o.fom === 'sensitivity' || o.fom === 'specificity' ? { kind: o.fom, threshold: o.threshold! } : { kind: 'auc' };
    const covariance: CovMethod = o.covariance === 'delong' ? { kind: 'delong' } : { kind: 'jackknife' };
    d = mrmc(study(ds), { fom, covariance, frrcFloor: !frrc });
    docs.set(key, d);
  }
  return d;
}

function truthAndRatings(s: Study, arm: string, reader: string) {
  return { truth: s.truth, rating: groupRatings(s, s.arms.indexOf(arm), s.readers.indexOf(reader)) };
}

describe('MRMCaov and pROC reference values', () => {
  for (const v of ref.values) {
    const o = v.options;
    const what = [o.fom ?? 'auc', o.covariance, o.reader && `reader ${o.reader}`, o.arm && `arm ${o.arm}`].filter(Boolean).join(', ');
    it(`${v.dataset} ${v.path} (${what}) = ${v.expected} [${v.tool.split(' (')[0]}]`, () => {
      const s = study(v.dataset);
      if (v.path.startsWith('roc.')) {
        const { truth, rating } = truthAndRatings(s, o.arm!, o.reader!);
        const e = aucWithCi(truth, rating);
        const got = v.path === 'roc.auc' ? e.auc : v.path === 'roc.var' ? e.se ** 2 : v.path === 'roc.ci.0' ? e.ci[0] : e.ci[1];
        close(got, v.expected);
      } else if (v.path.startsWith('paired.')) {
        const a = truthAndRatings(s, o.arms![0], o.reader!);
        const b = truthAndRatings(s, o.arms![1], o.reader!);
        const t = delongPairedTest(a.truth, a.rating, b.rating);
        const got = v.path === 'paired.z' ? t.z : v.path === 'paired.p' ? t.p : delongCovariance(delongComponents(a.truth, a.rating), delongComponents(b.truth, b.rating));
        close(got, v.expected);
      } else close(at(docFor(v.dataset, o, v.path.startsWith('or.frrc.')), v.path), v.expected);
    });
  }
});

describe('OR-DBM MRMC 2.51 published Van Dyke output (RJafroc inst/Iowa/VanDyke.txt)', () => {
  const iowa = JSON.parse(readFileSync(new URL('ordbm-vandyke.json', DIR), 'utf8')) as {
    values: { path: string; expected: number; decimals?: number }[];
  };
  const doc = mrmc(loadStudy('vandyke'));
  for (const v of iowa.values)
    it(`${v.path} = ${v.expected} (printed to ${v.decimals ?? 8} decimals)`, () => {
      expect(Math.abs(at(doc, v.path) - v.expected)).toBeLessThanOrEqual(0.5 * 10 ** -(v.decimals ?? 8) + 1e-12);
    });
  it('DBM RRRC test with jackknife pseudovalues equals the OR jackknife test (Hillis et al. 2005)', () => {
    close(doc.dbm!.rrrc.F, doc.or.rrrc.F);
    close(doc.dbm!.rrrc.df2, doc.or.rrrc.df2);
    close(doc.dbm!.rrrc.p, doc.or.rrrc.p);
  });
});

describe('split-plot against MRMCaov "cases nested within readers" (stats5-split-plot.R)', () => {
  const sp = JSON.parse(readFileSync(new URL('split-plot-reference.json', DIR), 'utf8')) as { values: RefValue[] };
  const s = loadStudy('vandyke-nested');
  const ours = mrmc(s);
  // MRMCaov's jackknife runs over all 110 cases of the data, a reader's FOM unchanged when a case
  // they did not read is deleted, with (110 − 1)/110; stats/mrmc jackknifes each group over its
  // own 22 cases with (22 − 1)/22 (decision stats-0002 §8). To check the split-plot OR formulas
  // exactly, the MRMCaov covariance is rebuilt here from our case-deleted FOMs and fed to orAnalysis.
  const T = s.arms.length;
  const R = s.readers.length;
  const C = s.cases.length;
  const theta = new Float64Array(T * R);
  const jkAll = new Float64Array(T * R * C);
  for (let g = 0; g < s.groups; g++) {
    const { study: sub, readers, cases } = groupStudy(s, g);
    const f = groupFoms(sub, { kind: 'auc' });
    const { jk, n } = jackknifeFoms(sub, { kind: 'auc' }, f);
    for (let a = 0; a < T; a++)
      for (let j = 0; j < readers.length; j++) {
        const G = a * R + readers[j];
        theta[G] = f.theta[a * readers.length + j];
        jkAll.fill(theta[G], G * C, (G + 1) * C);
        for (let k = 0; k < n; k++) jkAll[G * C + cases[k]] = jk[(a * readers.length + j) * n + k];
      }
  }
  const cov = new Float64Array(T * R * T * R);
  for (let g = 0; g < T * R; g++)
    for (let h = 0; h < T * R; h++) {
      let mg = 0;
      let mh = 0;
      for (let k = 0; k < C; k++) (mg += jkAll[g * C + k]), (mh += jkAll[h * C + k]);
      mg /= C;
      mh /= C;
      let sum = 0;
      for (let k = 0; k < C; k++) sum += (jkAll[g * C + k] - mg) * (jkAll[h * C + k] - mh);
      cov[g * T * R + h] = ((C - 1) / C) * sum;
    }
  const asMrmcaov = { or: orAnalysis(s, theta, cov, { readerGroup: s.readerGroup }) };
  it('finds five one-reader groups of 22 cases', () => {
    expect(s.groups).toBe(5);
    expect(ours.design.crossed).toBe('split-plot');
    expect(ours.design.groups.map((g) => g.cases)).toEqual([22, 22, 22, 22, 22]);
    expect(ours.dbm).toBeNull();
  });
  for (const v of sp.values)
    it(`${v.path} = ${v.expected}`, () => {
      close(at(asMrmcaov, v.path), v.expected);
      // Figures that do not depend on the covariance are equal in our own document too.
      if (/^or\.(anova|rrfc)\.|^or\.rrrc\.(F|p|df2|denominator|differences\.0\.(estimate|se|p|ci\.\d))$|^or\.rrrc\.arms\.\d\.(estimate|se|df|ci\.\d)$/.test(v.path))
        close(at(ours, v.path), v.expected);
    });
  it("our per-group jackknife error variance is MRMCaov's without the unread cases (within 4 %)", () => {
    const r = ours.or.components.varError / asMrmcaov.or.components.varError;
    expect(r).toBeLessThan(1);
    expect(r).toBeGreaterThan(0.96);
  });
});

describe('split-plot with one group is the fully crossed analysis', () => {
  it('Van Dyke: every OR figure equal', () => {
    const s = loadStudy('vandyke');
    expect(s.groups).toBe(1);
    const d = mrmc(s);
    expect(d.design.crossed).toBe('fully');
    expect(d.dbm).not.toBeNull();
  });
});

describe('FRRC floor (decision stats-0002 §2)', () => {
  it('Franken has Cov2 < Cov3: the floored (Hillis, OR-DBM) and unfloored (MRMCaov) FRRC differ', () => {
    const s = loadStudy('franken');
    const a = mrmc(s);
    const b = mrmc(s, { frrcFloor: false });
    expect(a.or.components.cov2).toBeLessThan(a.or.components.cov3);
    close(a.or.frrc.differences[0].se, Math.sqrt((2 / 4) * (a.or.components.varError - a.or.components.cov1)));
    expect(b.or.frrc.differences[0].se).toBeLessThan(a.or.frrc.differences[0].se);
  });
});
