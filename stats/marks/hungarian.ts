/**
 * Hungarian algorithm (Kuhn–Munkres with potentials, shortest augmenting paths; O(n² m)) for a
 * rectangular assignment maximising the total weight. Deterministic: rows are augmented in index
 * order and, among columns of equal reduced cost, the lowest index wins (strict `<`), so equal
 * inputs give equal outputs and ties go to the earlier row/column.
 */

/**
 * weight[i][j] for rows i < n, columns j < m; null = the pair may not be matched.
 * Returns, per row, the matched column or -1. Maximises first the number of matched pairs, then
 * the total weight (admissible pairs carry a bonus larger than any total weight).
 */
export function maxWeightMatching(weight: (number | null)[][], m: number): Int32Array {
  const n = weight.length;
  const out = new Int32Array(n).fill(-1);
  if (n === 0 || m === 0) return out;
  // One row or one column (most images): the best admissible pair, lowest index on ties — what
  // the general algorithm returns, without its allocations.
  if (n === 1 || m === 1) {
    let best = -Infinity;
    let bi = -1;
    let bj = -1;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        const w = weight[i][j];
        if (w !== null && w > best) {
          best = w;
          bi = i;
          bj = j;
        }
      }
    if (bi >= 0) out[bi] = bj;
    return out;
  }
  let maxW = 0;
  for (const row of weight) for (const w of row) if (w !== null) maxW = Math.max(maxW, Math.abs(w));
  // Bonus per matched pair exceeding any achievable difference in total weight.
  const bonus = 2 * Math.min(n, m) * maxW + 1;
  const transpose = n > m;
  const N = transpose ? m : n;
  const M = transpose ? n : m;
  const cost = (i: number, j: number): number => {
    const w = transpose ? weight[j][i] : weight[i][j];
    return w === null ? 0 : -(bonus + w);
  };
  // e-maxx formulation, 1-based, N ≤ M.
  const u = new Float64Array(N + 1);
  const v = new Float64Array(M + 1);
  const p = new Int32Array(M + 1);
  const way = new Int32Array(M + 1);
  const minv = new Float64Array(M + 1);
  const used = new Uint8Array(M + 1);
  for (let i = 1; i <= N; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= M; j++) {
        if (used[j]) continue;
        const cur = cost(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= M; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  for (let j = 1; j <= M; j++) {
    const i = p[j];
    if (i === 0) continue;
    const [r, c] = transpose ? [j - 1, i - 1] : [i - 1, j - 1];
    if (weight[r][c] !== null) out[r] = c;
  }
  return out;
}
