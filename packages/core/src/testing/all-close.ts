export interface Tolerance {
  atol?: number;
  rtol?: number;
}

/**
 * Throws unless |a - e| <= atol + rtol * |e| element-wise. NaN and Infinity never pass, even
 * against themselves: a numerical test must fail on a blow-up instead of comparing it equal.
 */
export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance = {}, what = 'values'): void {
  const atol = tol.atol ?? 1e-6;
  const rtol = tol.rtol ?? 1e-5;
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length} != expected ${expected.length}`);
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (!Number.isFinite(a) || !Number.isFinite(e)) {
      throw new Error(`${what}[${i}]: non-finite value (actual ${a}, expected ${e})`);
    }
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (excess > worstExcess) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(`${what}[${worst}]: ${actual[worst]} vs expected ${expected[worst]} (atol ${atol}, rtol ${rtol})`);
  }
}

/** Largest |a - e| / max(|e|, floor) over all elements; NaN if any value is non-finite. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-3): number {
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (!Number.isFinite(a) || !Number.isFinite(e)) return Number.NaN;
    worst = Math.max(worst, Math.abs(a - e) / Math.max(Math.abs(e), floor));
  }
  return worst;
}
