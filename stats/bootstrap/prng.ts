/**
 * A small seeded PRNG for reproducible resampling: xoshiro128** (Blackman & Vigna 2018),
 * 32-bit state words, seeded through splitmix32 so that any integer seed (including 0) gives a
 * well-mixed state. Same seed → same stream on every platform (only 32-bit integer ops).
 */
export interface Rng {
  /** Next uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number;
  /** Uniform integer in [0, n), unbiased (rejection sampling), n ≤ 2^32. */
  int(n: number): number;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** xoshiro128** seeded from `seed` (an integer; non-integers and negatives are folded to uint32). */
export function xoshiro128ss(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  // Fold both halves of a 53-bit integer into the seeder so seeds > 2^32 still differ.
  const hi = Math.floor(Math.abs(seed) / 4294967296) >>> 0;
  const sm = splitmix32((Math.trunc(seed) >>> 0) ^ Math.imul(hi, 0x27d4eb2d));
  return xoshiro128ssFromState(sm(), sm(), sm(), sm());
}

/** xoshiro128** from a raw 128-bit state (four uint32 words, not all zero). For tests against the C reference. */
export function xoshiro128ssFromState(s0: number, s1: number, s2: number, s3: number): Rng {
  let a = s0 >>> 0,
    b = s1 >>> 0,
    c = s2 >>> 0,
    d = s3 >>> 0;
  if ((a | b | c | d) === 0) a = 1; // the all-zero state is a fixed point
  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    return result;
  };
  return {
    nextUint32,
    next: () => nextUint32() / 4294967296,
    int(n: number): number {
      if (!(n >= 1) || n > 4294967296 || !Number.isInteger(n)) throw new RangeError(`int(n): bad n ${n}`);
      // Lemire-style rejection on the top of the range: unbiased for every n.
      const limit = 4294967296 - (4294967296 % n);
      for (;;) {
        const x = nextUint32();
        if (x < limit) return x % n;
      }
    },
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
