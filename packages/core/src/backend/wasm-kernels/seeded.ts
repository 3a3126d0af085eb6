/** Deterministic test data: the same numbers on every backend and every run. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform values in [lo, hi). */
export function seededValues(size: number, seed: number, lo = -1, hi = 1): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

/** Integers in [0, n). */
export function seededInts(size: number, seed: number, n: number): Int32Array {
  const next = mulberry32(seed);
  const out = new Int32Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(next() * n);
  return out;
}
