/**
 * Worst relative error of `actual` against `expected`, where each error is divided by
 * max(|expected|, absFloor) so values near zero are judged absolutely. Any NaN or infinity
 * on either side, or a length mismatch, gives Infinity: never "equal".
 */
export function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>, absFloor = 1e-3): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!Number.isFinite(a) || !Number.isFinite(e)) return Infinity;
    const err = Math.abs(a - e) / Math.max(Math.abs(e), absFloor);
    if (err > worst) worst = err;
  }
  return worst;
}
