/**
 * stats/froc against RJafroc 2.1.3's own code (its C++ FOMs and R St()/FROCPoints(), run in R 4.2.2
 * by stats/fixtures/scripts/stats4-froc.R) on RJafroc's FROC datasets 01 (TONY, 2 arms) and 04
 * (FEDERICA, 5 arms): FOMs, FROC points and the OR analysis of wAFROC and AFROC, to 1e-9 (the
 * goal is 1e-6). Tool, version and call beside every value in stats/fixtures/froc/reference.json.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type FrocFom, frocFom, frocPoints } from './fom.ts';
import { type JafrocDocument, jafroc } from './jafroc.ts';
import { buildFrocStudy, type FrocCaseInput, type FrocReadingInput, type FrocStudy } from './study.ts';

const DIR = new URL('../fixtures/froc/', import.meta.url);
const csv = (f: string) =>
  readFileSync(new URL(f, DIR), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));

export function loadFroc(name: string): FrocStudy {
  const cases: FrocCaseInput[] = csv(`${name}-truth.csv`).map(([id, n, w]) => ({
    id,
    lesions: Number(n),
    weights: Number(n) ? w.split(';').map(Number) : [],
  }));
  const lesions = new Map(cases.map((c) => [c.id, c.lesions]));
  const rows = csv(`${name}-ratings.csv`);
  const arms = [...new Set(rows.map((r) => r[0]))];
  const readers = [...new Set(rows.map((r) => r[1]))];
  const readings = new Map<string, FrocReadingInput>();
  for (const arm of arms)
    for (const reader of readers)
      for (const c of cases) readings.set(`${arm}|${reader}|${c.id}`, { arm, reader, caseId: c.id, nl: [], ll: new Array(lesions.get(c.id)!).fill(null) });
  for (const [arm, reader, caseId, kind, lesion, rating] of rows) {
    const r = readings.get(`${arm}|${reader}|${caseId}`)!;
    if (kind === 'NL') r.nl.push(Number(rating));
    else r.ll[Number(lesion) - 1] = Number(rating);
  }
  return buildFrocStudy({ cases, readings: [...readings.values()], arms, readers });
}

interface RefValue {
  dataset: string;
  path: string;
  expected: number;
  call: string;
}
const ref = JSON.parse(readFileSync(new URL('reference.json', DIR), 'utf8')) as { tool: string; values: RefValue[] };

function at(doc: unknown, path: string[]): number {
  let v: unknown = doc;
  for (const k of path) v = (v as Record<string, unknown>)[k];
  return v as number;
}

describe(`stats/froc against ${ref.tool}`, () => {
  for (const ds of ['dataset01', 'dataset04']) {
    const s = loadFroc(ds);
    const docs = new Map<string, JafrocDocument>();
    const points = new Map<string, ReturnType<typeof frocPoints>>();
    const values = ref.values.filter((v) => v.dataset === ds);
    it(`${ds}: ${values.length} values to 1e-9`, () => {
      expect(values.length).toBeGreaterThan(100);
      for (const v of values) {
        const [head, ...rest] = v.path.split('.');
        let actual: number;
        if (head === 'fom') actual = frocFom(s, rest[0] as FrocFom, Number(rest[1]), Number(rest[2]));
        else if (head === 'froc') {
          const key = `${rest[0]}.${rest[1]}`;
          if (!points.has(key)) points.set(key, frocPoints(s, Number(rest[0]), Number(rest[1])));
          const pts = points.get(key)!;
          // RJafroc lists the origin, then one point per distinct rating: the same count.
          expect(pts.length).toBe(values.filter((x) => x.path.startsWith(`froc.${key}.`) && x.path.endsWith('.nlf')).length);
          actual = at(pts[Number(rest[2])], [rest[3]]);
        } else {
          const fom = rest[0] as FrocFom;
          if (!docs.has(fom)) docs.set(fom, jafroc(s, { fom }));
          actual = at(docs.get(fom)!.or, rest.slice(1));
        }
        const tol = 1e-9 * (1 + Math.abs(v.expected));
        if (!(Math.abs(actual - v.expected) <= tol)) expect.fail(`${ds} ${v.path}: ${actual} vs ${v.expected} (${v.call})`);
      }
    });
  }
});
