/**
 * Ratings in long form (case, reader, value) → a compact typed-array representation.
 *
 * Stable API (reused by stats/measurement, stats/accuracy, stats/bootstrap, stats/inference):
 *
 *   const r = fromColumns(caseIds, readerIds, values, { level: 'ordinal', categories: ['lo','mid','hi'] });
 *   r.caseIndex[k], r.raterIndex[k], r.code[k]   // rating k (sorted by case, stable)
 *   r.categoryValues[r.code[k]]                   // numeric value (interval/ratio) or position 1..q
 *
 * - Missing ratings: a row whose value is null/undefined or a missing token ('' or 'NA' by
 *   default) is dropped and counted in `missingRows`. Readers per case may differ.
 * - Levels: nominal (categories in declared order, else sorted), ordinal (declared order; if
 *   none is declared and every value is a number, numeric order), interval and ratio (values must
 *   be numbers; categories are the distinct values in increasing order; ratio needs values ≥ 0).
 * - Repeated ratings: without `repeated`, a second rating of a case by the same reader is an
 *   error. With `repeated`, the k-th rating (k ≥ 2, in input order) of a case by reader R is
 *   attributed to a virtual rater "R#k" (rater = reader × occasion). Statistics on exchangeable
 *   raters (Fleiss, Krippendorff, Gwet, Brennan–Prediger, percent agreement) then pool all
 *   ratings of a case; pairwise statistics (Cohen, Scott, weighted κ) compare raters such as
 *   "R" vs "R#2", i.e. intra-reader agreement between occasions.
 * - Multi-label answers: `multiLabel()` splits each answer into one binary variable per label.
 *
 * Errors are thrown as RatingsError carrying the 0-based input row index.
 */

export type Level = 'nominal' | 'ordinal' | 'interval' | 'ratio';
export const LEVELS: readonly Level[] = ['nominal', 'ordinal', 'interval', 'ratio'];

export type RawValue = string | number | null | undefined;

export interface RatingRow {
  caseId: string;
  readerId: string;
  value: RawValue;
}

export interface RatingsOptions {
  /** Default 'nominal'. */
  level?: Level;
  /** Declared categories (their order is the category order; required for non-numeric ordinal). */
  categories?: readonly string[];
  /** Accept several ratings of a case by one reader (see module comment). */
  repeated?: boolean;
  /** Tokens meaning "no rating". Default ['', 'NA']. */
  missingTokens?: readonly string[];
}

export type RatingsErrorCode = 'empty' | 'unknown_category' | 'repeated_rating' | 'not_a_number' | 'negative_ratio' | 'needs_categories' | 'bad_categories';

export class RatingsError extends Error {
  constructor(
    message: string,
    /** 0-based index of the offending input row, or -1 when it concerns the whole input/options. */
    readonly row: number,
    readonly code: RatingsErrorCode,
  ) {
    super(message);
    this.name = 'RatingsError';
  }
}

export interface Ratings {
  level: Level;
  /** Category labels; code c ↔ categories[c]. */
  categories: string[];
  /** Numeric value of each category: the number (interval/ratio) or position 1..q (nominal/ordinal). */
  categoryValues: Float64Array;
  /** Whether categories were declared by the caller (affects q in Brennan–Prediger and Gwet). */
  categoriesDeclared: boolean;
  caseIds: string[];
  readerIds: string[];
  /** Rater labels (= readerIds unless repeated ratings created "R#k" raters). */
  raterIds: string[];
  /** Reader index of each rater. */
  raterReader: Int32Array;
  /** Occasion (1-based) of each rater: 1 for "R", k for "R#k". */
  raterOccasion: Int32Array;
  repeated: boolean;
  nCases: number;
  nReaders: number;
  nRaters: number;
  nCategories: number;
  nRatings: number;
  /** Per rating, sorted by case (stable w.r.t. input order). */
  caseIndex: Int32Array;
  raterIndex: Int32Array;
  code: Int32Array;
  /** Ratings of case i are k ∈ [caseStart[i], caseStart[i+1]). Length nCases + 1. */
  caseStart: Int32Array;
  /** Input rows dropped as missing. */
  missingRows: number;
}

const DEFAULT_MISSING = ['', 'NA'];

function isMissing(v: RawValue, tokens: ReadonlySet<string>): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'number') return Number.isNaN(v);
  return tokens.has(v);
}

/** Parses a finite number the way a CSV user expects ("1", "-2.5", "1e3"); NaN otherwise. */
export function parseNumber(v: string | number): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : NaN;
  const s = v.trim();
  if (s === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return NaN;
  return Number(s);
}

function compareLabels(a: string, b: string): number {
  const x = parseNumber(a);
  const y = parseNumber(b);
  if (!Number.isNaN(x) && !Number.isNaN(y)) return x - y || (a < b ? -1 : a > b ? 1 : 0);
  if (!Number.isNaN(x)) return -1;
  if (!Number.isNaN(y)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Builds Ratings from an iterable of rows. */
export function buildRatings(rows: Iterable<RatingRow>, opts: RatingsOptions = {}): Ratings {
  const c: string[] = [];
  const r: string[] = [];
  const v: RawValue[] = [];
  for (const row of rows) {
    c.push(row.caseId);
    r.push(row.readerId);
    v.push(row.value);
  }
  return fromColumns(c, r, v, opts);
}

/** Builds Ratings from three parallel columns. */
export function fromColumns(caseIds: ArrayLike<string>, readerIds: ArrayLike<string>, values: ArrayLike<RawValue>, opts: RatingsOptions = {}): Ratings {
  const nRows = values.length;
  if (caseIds.length !== nRows || readerIds.length !== nRows) {
    throw new RatingsError('columns have different lengths', -1, 'empty');
  }
  const caseOf = new Int32Array(nRows);
  const readerOf = new Int32Array(nRows);
  const valueOf = new Int32Array(nRows);
  const caseNames: string[] = [];
  const readerNames: string[] = [];
  const distinct: RawValue[] = [];
  const cm = new Map<string, number>();
  const rm = new Map<string, number>();
  const vm = new Map<RawValue, number>();
  for (let row = 0; row < nRows; row++) {
    const c = String(caseIds[row]);
    let ci = cm.get(c);
    if (ci === undefined) {
      ci = caseNames.length;
      cm.set(c, ci);
      caseNames.push(c);
    }
    caseOf[row] = ci;
    const r = String(readerIds[row]);
    let ri = rm.get(r);
    if (ri === undefined) {
      ri = readerNames.length;
      rm.set(r, ri);
      readerNames.push(r);
    }
    readerOf[row] = ri;
    const v = values[row];
    let vi = vm.get(v);
    if (vi === undefined) {
      vi = distinct.length;
      vm.set(v, vi);
      distinct.push(v);
    }
    valueOf[row] = vi;
  }
  return fromInterned({ nRows, caseOf, caseNames, readerOf, readerNames, valueOf, values: distinct, namesDistinct: true }, opts);
}

/**
 * Long-form columns with each distinct string/value stored once (e.g. straight from a CSV
 * parser): row k is case `caseNames[caseOf[k]]`, reader `readerNames[readerOf[k]]`, raw value
 * `values[valueOf[k]]`. Equal names under different ids are the same case/reader; every value
 * entry is read exactly as fromColumns reads a cell. fromColumns(…) ≡ fromInterned(intern(…)).
 */
export interface InternedColumns {
  nRows: number;
  caseOf: Int32Array;
  caseNames: readonly string[];
  readerOf: Int32Array;
  readerNames: readonly string[];
  valueOf: Int32Array;
  values: readonly RawValue[];
  /** The producer guarantees that caseNames and readerNames have no repeats (skips a lookup per name). */
  namesDistinct?: boolean;
}

const UNSEEN = -2;
const MISSING = -1;

/** Builds Ratings from interned columns (the fast path: each distinct value is classified once). */
export function fromInterned(cols: InternedColumns, opts: RatingsOptions = {}): Ratings {
  const level = opts.level ?? 'nominal';
  const tokens = new Set(opts.missingTokens ?? DEFAULT_MISSING);
  const { nRows, caseOf, caseNames, readerOf, readerNames, valueOf, values } = cols;
  const distinctNames = cols.namesDistinct === true;
  if (caseOf.length !== nRows || readerOf.length !== nRows || valueOf.length !== nRows) {
    throw new RatingsError('columns have different lengths', -1, 'empty');
  }
  const numeric = level === 'interval' || level === 'ratio';

  // Categories: declared (validated) or collected.
  const catIndex = new Map<string, number>();
  let categories: string[] = [];
  let declared = false;
  let numValues: number[] = [];
  if (opts.categories && opts.categories.length > 0) {
    declared = true;
    categories = opts.categories.map((x) => String(x));
    const seen = new Set<string>();
    for (const cat of categories) {
      if (seen.has(cat)) throw new RatingsError(`category "${cat}" is declared twice`, -1, 'bad_categories');
      seen.add(cat);
      if (numeric && Number.isNaN(parseNumber(cat))) {
        throw new RatingsError(`category "${cat}" is not a number (level ${level})`, -1, 'bad_categories');
      }
    }
    if (numeric) {
      // For numeric levels categories are matched by value, so "1" and "1.0" are the same.
      numValues = categories.map((x) => parseNumber(x));
      const order = categories.map((_, i) => i).sort((a, b) => numValues[a] - numValues[b]);
      categories = order.map((i) => categories[i]);
      numValues = order.map((i) => numValues[i]);
      for (let i = 1; i < numValues.length; i++) {
        if (numValues[i] === numValues[i - 1]) {
          throw new RatingsError(`categories "${categories[i - 1]}" and "${categories[i]}" are the same number`, -1, 'bad_categories');
        }
      }
    }
  }

  const numIndex = new Map<number, number>();
  if (declared && numeric) numValues.forEach((x, i) => numIndex.set(x, i));
  if (declared && !numeric) categories.forEach((x, i) => catIndex.set(x, i));
  const collected: string[] = [];
  const collectedNum: number[] = [];

  /** Code of a raw value (provisional when categories are collected), MISSING, or throws for `row`. */
  const classify = (raw: RawValue, row: number): number => {
    if (isMissing(raw, tokens)) return MISSING;
    if (numeric) {
      const x = parseNumber(raw as string | number);
      if (Number.isNaN(x)) {
        throw new RatingsError(`"${String(raw)}" is not a number (level ${level})`, row, 'not_a_number');
      }
      if (level === 'ratio' && x < 0) {
        throw new RatingsError(`${String(raw)} is negative; ratio level needs values ≥ 0`, row, 'negative_ratio');
      }
      const found = numIndex.get(x);
      if (found !== undefined) return found;
      if (declared) {
        throw new RatingsError(`unknown category "${String(raw)}" (declared: ${categories.join(',')})`, row, 'unknown_category');
      }
      const code = collectedNum.length;
      numIndex.set(x, code);
      collectedNum.push(x);
      collected.push(String(raw).trim());
      return code;
    }
    const s = String(raw);
    const found = catIndex.get(s);
    if (found !== undefined) return found;
    if (declared) {
      throw new RatingsError(`unknown category "${s}" (declared: ${categories.join(',')})`, row, 'unknown_category');
    }
    const code = collected.length;
    catIndex.set(s, code);
    collected.push(s);
    return code;
  };

  // Pass 1, in input order: codes, case/reader indices by first appearance among kept rows.
  const valueCode = new Int32Array(values.length).fill(UNSEEN);
  const caseOfName = new Int32Array(caseNames.length).fill(-1);
  const readerOfName = new Int32Array(readerNames.length).fill(-1);
  const caseMap = new Map<string, number>();
  const readerMap = new Map<string, number>();
  const caseList: string[] = [];
  const readerList: string[] = [];
  const rowCase = new Int32Array(nRows);
  const rowReader = new Int32Array(nRows);
  const rowCode = new Int32Array(nRows);
  let kept = 0;
  let missingRows = 0;
  for (let row = 0; row < nRows; row++) {
    const vj = valueOf[row];
    let code = valueCode[vj];
    if (code === UNSEEN) {
      code = classify(values[vj], row);
      valueCode[vj] = code;
    }
    if (code === MISSING) {
      missingRows++;
      continue;
    }
    const cj = caseOf[row];
    let ci = caseOfName[cj];
    if (ci < 0) {
      const cid = caseNames[cj];
      let found = distinctNames ? undefined : caseMap.get(cid);
      if (found === undefined) {
        found = caseList.length;
        if (!distinctNames) caseMap.set(cid, found);
        caseList.push(cid);
      }
      ci = caseOfName[cj] = found;
    }
    const rj = readerOf[row];
    let ri = readerOfName[rj];
    if (ri < 0) {
      const rid = readerNames[rj];
      let found = distinctNames ? undefined : readerMap.get(rid);
      if (found === undefined) {
        found = readerList.length;
        if (!distinctNames) readerMap.set(rid, found);
        readerList.push(rid);
      }
      ri = readerOfName[rj] = found;
    }
    rowCase[kept] = ci;
    rowReader[kept] = ri;
    rowCode[kept] = code;
    kept++;
  }
  if (kept === 0) throw new RatingsError('no ratings', -1, 'empty');

  // Sort collected categories and remap codes.
  if (!declared) {
    let order: number[];
    if (numeric) {
      order = collectedNum.map((_, i) => i).sort((a, b) => collectedNum[a] - collectedNum[b]);
      numValues = order.map((i) => collectedNum[i]);
    } else {
      const allNumeric = collected.every((x) => !Number.isNaN(parseNumber(x)));
      if (level === 'ordinal' && !allNumeric) {
        throw new RatingsError('ordinal level needs the category order (declare categories, e.g. --categories low,mid,high)', -1, 'needs_categories');
      }
      order = collected.map((_, i) => i).sort((a, b) => compareLabels(collected[a], collected[b]));
    }
    categories = order.map((i) => collected[i]);
    const remap = new Int32Array(order.length);
    order.forEach((old, neu) => (remap[old] = neu));
    for (let k = 0; k < kept; k++) rowCode[k] = remap[rowCode[k]];
  }
  const q = categories.length;
  const categoryValues = new Float64Array(q);
  for (let c = 0; c < q; c++) categoryValues[c] = numeric ? numValues[c] : c + 1;

  // Stable counting sort by case; duplicate detection / occasions per (case, reader).
  const nCases = caseList.length;
  const nReaders = readerList.length;
  const caseStart = new Int32Array(nCases + 1);
  for (let k = 0; k < kept; k++) caseStart[rowCase[k] + 1]++;
  for (let i = 0; i < nCases; i++) caseStart[i + 1] += caseStart[i];
  const fill = caseStart.slice(0, nCases);
  const caseIndex = new Int32Array(kept);
  const readerOfRating = new Int32Array(kept);
  const code = new Int32Array(kept);
  const srcRow = new Int32Array(kept); // kept-position → original row (for error messages)
  {
    let k = 0;
    for (let row = 0; row < nRows; row++) {
      if (valueCode[valueOf[row]] === MISSING) continue;
      const pos = fill[rowCase[k]]++;
      caseIndex[pos] = rowCase[k];
      readerOfRating[pos] = rowReader[k];
      code[pos] = rowCode[k];
      srcRow[pos] = row;
      k++;
    }
  }
  const stamp = new Int32Array(nReaders).fill(-1);
  const occ = new Int32Array(nReaders);
  const occasion = new Int32Array(kept);
  let maxOcc = 1;
  for (let i = 0; i < nCases; i++) {
    for (let k = caseStart[i]; k < caseStart[i + 1]; k++) {
      const rd = readerOfRating[k];
      if (stamp[rd] !== i) {
        stamp[rd] = i;
        occ[rd] = 1;
      } else {
        if (!opts.repeated) {
          throw new RatingsError(
            `reader "${readerList[rd]}" rated case "${caseList[i]}" again; ` + 'several ratings of a case by one reader need --repeated',
            srcRow[k],
            'repeated_rating',
          );
        }
        occ[rd]++;
        if (occ[rd] > maxOcc) maxOcc = occ[rd];
      }
      occasion[k] = occ[rd];
    }
  }

  // Raters: reader × occasion (occasion 1 keeps the reader's id).
  let raterIds: string[];
  let raterReader: Int32Array;
  let raterOccasion: Int32Array;
  let raterIndex: Int32Array;
  if (maxOcc === 1) {
    raterIds = readerList.slice();
    raterReader = Int32Array.from(readerList, (_, i) => i);
    raterOccasion = new Int32Array(nReaders).fill(1);
    raterIndex = readerOfRating;
  } else {
    const key = new Map<number, number>(); // reader * maxOcc + (occ-1) → rater
    const ids: string[] = [];
    const rr: number[] = [];
    const ro: number[] = [];
    // Deterministic rater order: by reader, then occasion.
    const present = new Uint8Array(nReaders * maxOcc);
    for (let k = 0; k < kept; k++) present[readerOfRating[k] * maxOcc + occasion[k] - 1] = 1;
    for (let rd = 0; rd < nReaders; rd++) {
      for (let o = 1; o <= maxOcc; o++) {
        if (!present[rd * maxOcc + o - 1]) continue;
        key.set(rd * maxOcc + o - 1, ids.length);
        ids.push(o === 1 ? readerList[rd] : `${readerList[rd]}#${o}`);
        rr.push(rd);
        ro.push(o);
      }
    }
    raterIds = ids;
    raterReader = Int32Array.from(rr);
    raterOccasion = Int32Array.from(ro);
    raterIndex = new Int32Array(kept);
    for (let k = 0; k < kept; k++) raterIndex[k] = key.get(readerOfRating[k] * maxOcc + occasion[k] - 1)!;
  }

  return {
    level,
    categories,
    categoryValues,
    categoriesDeclared: declared,
    caseIds: caseList,
    readerIds: readerList,
    raterIds,
    raterReader,
    raterOccasion,
    repeated: !!opts.repeated,
    nCases,
    nReaders,
    nRaters: raterIds.length,
    nCategories: q,
    nRatings: kept,
    caseIndex,
    raterIndex,
    code,
    caseStart,
    missingRows,
  };
}

export interface CodedInput {
  level?: Level;
  categories: readonly string[];
  /** Numeric category values (interval/ratio); default positions 1..q. */
  categoryValues?: ArrayLike<number>;
  nCases: number;
  nRaters: number;
  caseIndex: Int32Array;
  raterIndex: Int32Array;
  code: Int32Array;
}

/**
 * Ratings from already-coded arrays (no string handling; e.g. benchmarks, simulations). Each
 * (case, rater) pair must occur at most once. Ratings are re-sorted by case.
 */
export function fromCodes(input: CodedInput): Ratings {
  const { nCases, nRaters } = input;
  const n = input.code.length;
  const q = input.categories.length;
  const caseStart = new Int32Array(nCases + 1);
  for (let k = 0; k < n; k++) caseStart[input.caseIndex[k] + 1]++;
  for (let i = 0; i < nCases; i++) caseStart[i + 1] += caseStart[i];
  const fill = caseStart.slice(0, nCases);
  const caseIndex = new Int32Array(n);
  const raterIndex = new Int32Array(n);
  const code = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const pos = fill[input.caseIndex[k]]++;
    caseIndex[pos] = input.caseIndex[k];
    raterIndex[pos] = input.raterIndex[k];
    code[pos] = input.code[k];
  }
  const categoryValues = new Float64Array(q);
  for (let c = 0; c < q; c++) categoryValues[c] = input.categoryValues ? input.categoryValues[c] : c + 1;
  const raterIds = Array.from({ length: nRaters }, (_, i) => `R${i + 1}`);
  return {
    level: input.level ?? 'nominal',
    categories: input.categories.slice(),
    categoryValues,
    categoriesDeclared: true,
    caseIds: Array.from({ length: nCases }, (_, i) => `C${i + 1}`),
    readerIds: raterIds.slice(),
    raterIds,
    raterReader: Int32Array.from(raterIds, (_, i) => i),
    raterOccasion: new Int32Array(nRaters).fill(1),
    repeated: false,
    nCases,
    nReaders: nRaters,
    nRaters,
    nCategories: q,
    nRatings: n,
    caseIndex,
    raterIndex,
    code,
    caseStart,
    missingRows: 0,
  };
}

/** Per-case category counts n_ic (row-major nCases × q) and ratings per case r_i. */
export interface CaseCounts {
  q: number;
  nCases: number;
  counts: Int32Array;
  totals: Int32Array;
}

export function caseCounts(r: Ratings): CaseCounts {
  const q = r.nCategories;
  const counts = new Int32Array(r.nCases * q);
  const totals = new Int32Array(r.nCases);
  const { caseIndex, code } = r;
  for (let k = 0; k < r.nRatings; k++) {
    counts[caseIndex[k] * q + code[k]]++;
    totals[caseIndex[k]]++;
  }
  return { q, nCases: r.nCases, counts, totals };
}

/** Case × rater matrix of category codes, −1 = no rating (row-major nCases × nRaters). */
export function raterMatrix(r: Ratings): Int32Array {
  const m = new Int32Array(r.nCases * r.nRaters).fill(-1);
  for (let k = 0; k < r.nRatings; k++) m[r.caseIndex[k] * r.nRaters + r.raterIndex[k]] = r.code[k];
  return m;
}

/**
 * q × q contingency table (row-major; rows = rater a, columns = rater b) over the cases both
 * raters rated, from a rater matrix.
 */
export function pairTable(r: Ratings, matrix: Int32Array, a: number, b: number): { table: Float64Array; n: number } {
  const q = r.nCategories;
  const R = r.nRaters;
  const table = new Float64Array(q * q);
  let n = 0;
  for (let i = 0; i < r.nCases; i++) {
    const x = matrix[i * R + a];
    const y = matrix[i * R + b];
    if (x < 0 || y < 0) continue;
    table[x * q + y]++;
    n++;
  }
  return { table, n };
}

/** Keeps only the cases rated by every rater (the complete-case form, e.g. Fleiss 1971). */
export function completeCases(r: Ratings): Ratings {
  const R = r.nRaters;
  const keep: number[] = [];
  const seen = new Int32Array(R).fill(-1);
  for (let i = 0; i < r.nCases; i++) {
    let distinct = 0;
    for (let k = r.caseStart[i]; k < r.caseStart[i + 1]; k++) {
      if (seen[r.raterIndex[k]] !== i) {
        seen[r.raterIndex[k]] = i;
        distinct++;
      }
    }
    if (distinct === R) keep.push(i);
  }
  return selectCases(r, keep);
}

/** Restricts to the given case indices (in the given order). */
export function selectCases(r: Ratings, cases: readonly number[]): Ratings {
  let n = 0;
  for (const i of cases) n += r.caseStart[i + 1] - r.caseStart[i];
  const caseIndex = new Int32Array(n);
  const raterIndex = new Int32Array(n);
  const code = new Int32Array(n);
  const caseStart = new Int32Array(cases.length + 1);
  let pos = 0;
  cases.forEach((i, j) => {
    caseStart[j] = pos;
    for (let k = r.caseStart[i]; k < r.caseStart[i + 1]; k++) {
      caseIndex[pos] = j;
      raterIndex[pos] = r.raterIndex[k];
      code[pos] = r.code[k];
      pos++;
    }
  });
  caseStart[cases.length] = pos;
  return {
    ...r,
    caseIds: cases.map((i) => r.caseIds[i]),
    nCases: cases.length,
    nRatings: n,
    caseIndex,
    raterIndex,
    code,
    caseStart,
  };
}

/** Restricts to the given raters (re-indexed in the given order); cases left without ratings are dropped. */
export function selectRaters(r: Ratings, raters: readonly number[]): Ratings {
  const map = new Int32Array(r.nRaters).fill(-1);
  raters.forEach((g, j) => (map[g] = j));
  const keepCase: number[] = [];
  for (let i = 0; i < r.nCases; i++) {
    for (let k = r.caseStart[i]; k < r.caseStart[i + 1]; k++) {
      if (map[r.raterIndex[k]] >= 0) {
        keepCase.push(i);
        break;
      }
    }
  }
  let n = 0;
  for (let k = 0; k < r.nRatings; k++) if (map[r.raterIndex[k]] >= 0) n++;
  const caseIndex = new Int32Array(n);
  const raterIndex = new Int32Array(n);
  const code = new Int32Array(n);
  const caseStart = new Int32Array(keepCase.length + 1);
  let pos = 0;
  keepCase.forEach((i, j) => {
    caseStart[j] = pos;
    for (let k = r.caseStart[i]; k < r.caseStart[i + 1]; k++) {
      const g = map[r.raterIndex[k]];
      if (g < 0) continue;
      caseIndex[pos] = j;
      raterIndex[pos] = g;
      code[pos] = r.code[k];
      pos++;
    }
  });
  caseStart[keepCase.length] = pos;
  return {
    ...r,
    caseIds: keepCase.map((i) => r.caseIds[i]),
    raterIds: raters.map((g) => r.raterIds[g]),
    raterReader: Int32Array.from(raters, (g) => r.raterReader[g]),
    raterOccasion: Int32Array.from(raters, (g) => r.raterOccasion[g]),
    nCases: keepCase.length,
    nRaters: raters.length,
    nRatings: n,
    caseIndex,
    raterIndex,
    code,
    caseStart,
  };
}

export interface MultiLabelOptions extends Omit<RatingsOptions, 'level' | 'categories'> {
  /** Separator between labels in one answer. Default ';'. */
  separator?: string;
  /** Declared label set (else: every label seen, sorted). */
  labels?: readonly string[];
}

/**
 * Multi-label answers ("a;c") → one binary nominal variable per label, categories ['0', '1']
 * (1 = the label was given). An empty answer means "no label" (all zeros); null/undefined means
 * no rating. Returns the variables in label order.
 */
export function multiLabel(
  caseIds: ArrayLike<string>,
  readerIds: ArrayLike<string>,
  answers: ArrayLike<string | null | undefined>,
  opts: MultiLabelOptions = {},
): { label: string; ratings: Ratings }[] {
  const sep = opts.separator ?? ';';
  const sets: (Set<string> | null)[] = [];
  const all = new Set<string>();
  for (let row = 0; row < answers.length; row++) {
    const a = answers[row];
    if (a === null || a === undefined) {
      sets.push(null);
      continue;
    }
    const s = new Set(
      a
        .split(sep)
        .map((x) => x.trim())
        .filter((x) => x !== ''),
    );
    if (opts.labels) {
      for (const x of s) {
        if (!opts.labels.includes(x)) {
          throw new RatingsError(`unknown label "${x}" (declared: ${opts.labels.join(',')})`, row, 'unknown_category');
        }
      }
    }
    s.forEach((x) => all.add(x));
    sets.push(s);
  }
  const labels = opts.labels ? opts.labels.slice() : [...all].sort(compareLabels);
  return labels.map((label) => {
    const v = sets.map((s) => (s === null ? null : s.has(label) ? '1' : '0'));
    return {
      label,
      ratings: fromColumns(caseIds, readerIds, v, {
        level: 'nominal',
        categories: ['0', '1'],
        repeated: opts.repeated,
        missingTokens: [],
      }),
    };
  });
}
