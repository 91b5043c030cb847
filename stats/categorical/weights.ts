/**
 * Agreement weight matrices (q × q, row-major Float64Array; 1 on the diagonal, w_kl ∈ [0, 1]
 * for the built-in kinds). Built-in weights use category POSITION in the declared order
 * (k = 1..q), as irr::kappa2 and irrCAC with character categories do.
 */
export type WeightKind = 'identity' | 'linear' | 'quadratic';
/** A built-in kind, or a custom q × q agreement-weight matrix (rows/columns in category order). */
export type WeightSpec = WeightKind | number[][];

export interface Weights {
  q: number;
  name: string;
  w: Float64Array;
  identity: boolean;
}

export function weightMatrix(spec: WeightSpec, q: number): Weights {
  const w = new Float64Array(q * q);
  if (Array.isArray(spec)) {
    if (spec.length !== q || spec.some((row) => !Array.isArray(row) || row.length !== q)) {
      throw new Error(`weight matrix must be ${q} × ${q}`);
    }
    let identity = true;
    for (let k = 0; k < q; k++) {
      for (let l = 0; l < q; l++) {
        const x = spec[k][l];
        if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error('weight matrix has a non-number');
        w[k * q + l] = x;
        if (x !== (k === l ? 1 : 0)) identity = false;
      }
    }
    return { q, name: 'custom', w, identity };
  }
  const d = q > 1 ? q - 1 : 1;
  for (let k = 0; k < q; k++) {
    for (let l = 0; l < q; l++) {
      const diff = Math.abs(k - l);
      w[k * q + l] = spec === 'identity' ? (k === l ? 1 : 0) : spec === 'linear' ? 1 - diff / d : 1 - (diff * diff) / (d * d);
    }
  }
  return { q, name: spec, w, identity: spec === 'identity' || q === 1 };
}

export function weightsToArray(wt: Weights): number[][] {
  const out: number[][] = [];
  for (let k = 0; k < wt.q; k++) out.push(Array.from(wt.w.subarray(k * wt.q, (k + 1) * wt.q)));
  return out;
}

/** Sum of all weights (q for identity). */
export function weightSum(wt: Weights): number {
  let s = 0;
  for (let i = 0; i < wt.w.length; i++) s += wt.w[i];
  return s;
}
