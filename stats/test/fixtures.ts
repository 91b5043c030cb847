/** Loads the reference fixtures (stats/fixtures/*.json) and turns them into Ratings. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fromColumns, type Level, type Ratings } from '../ratings.ts';

export interface Expected {
  id: string;
  match: Record<string, unknown>;
  field: string;
  expected: number;
  tool: string;
  call: string;
}

export interface Fixture {
  dataset: string;
  description: string;
  raters: string[];
  categories: string[];
  matrix: (string | null)[][];
  runs: { level: Level }[];
  expected: Expected[];
}

const dir = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures');

export function loadFixtures(): Fixture[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Fixture);
}

export function fixtureRatings(fx: Fixture, level: Level): Ratings {
  const c: string[] = [];
  const r: string[] = [];
  const v: (string | null)[] = [];
  fx.matrix.forEach((row, i) =>
    row.forEach((x, g) => {
      c.push(`case${i + 1}`);
      r.push(fx.raters[g]);
      v.push(x);
    }),
  );
  return fromColumns(c, r, v, { level, categories: fx.categories });
}
