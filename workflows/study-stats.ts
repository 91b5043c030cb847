/**
 * Study statistics on a reader's own pairs of answers: the calibration score (reader
 * vs known truth) that qualifies a reader, and intra-reader agreement (first read vs blind re-read).
 * Cohen's κ from stats/ (the same function the agreement dashboard uses, checked there against irr).
 */
import { cohenKappaTable, weightMatrix } from '../stats/index.ts';

/** An item's answer as a category: binary/nominal/ordinal as text, multi-label sorted, numeric as text. */
export function answerCategory(values: unknown, item: string): string | null {
  if (values === null || typeof values !== 'object') return null;
  const v = (values as Record<string, unknown>)[item];
  if (v === undefined || v === null) return null;
  return Array.isArray(v) ? [...v].map(String).sort().join('|') : String(v);
}

export type PairKappa = { n: number; kappa: number | null; agreement: number | null };

/** Cohen's κ over pairs of categories (unweighted). κ is null when undefined (fewer than 2 pairs, or one category only). */
export function pairKappa(pairs: [string, string][]): PairKappa {
  const n = pairs.length;
  if (n === 0) return { n, kappa: null, agreement: null };
  const agreement = pairs.filter(([a, b]) => a === b).length / n;
  const cats = [...new Set(pairs.flat())].sort();
  if (n < 2 || cats.length < 2) return { n, kappa: null, agreement };
  const q = cats.length;
  const idx = new Map(cats.map((c, i) => [c, i]));
  const table = new Float64Array(q * q);
  for (const [a, b] of pairs) table[idx.get(a)! * q + idx.get(b)!] += 1;
  const r = cohenKappaTable(table, q, weightMatrix('identity', q));
  return { n, kappa: Number.isFinite(r.value) ? r.value : null, agreement };
}
