/** Small float64 summaries shared by the stats functions. */

export function checkValues(values: ArrayLike<number>, name: string, minLength: number): Float64Array {
  const out = Float64Array.from(values);
  if (out.length < minLength) throw new Error(`${name} needs at least ${minLength} values, received ${out.length}`);
  out.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new Error(`${name}[${i}] is ${v}; values must be finite`);
  });
  return out;
}

export function meanOf(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}

/** Sample standard deviation (n - 1 denominator, numpy ddof=1), two-pass. */
export function sampleStd(values: ArrayLike<number>): number {
  const m = meanOf(values);
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i]! - m) ** 2;
  return Math.sqrt(s / (values.length - 1));
}

/**
 * Quantile q in [0, 1] of an ascending-sorted array by linear interpolation between order
 * statistics (Hyndman & Fan 1996 type 7; numpy.percentile's default 'linear').
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function checkLevel(level: number, fn: string): void {
  if (!(level > 0 && level < 1)) throw new Error(`${fn}: level must be in (0, 1), e.g. 0.95, received ${level}`);
}
