/**
 * Exact top-k by dot product over plain arrays: the reference the LanceDB search is tested
 * against, and what recall of an ANN index is measured with. Ties keep the lower row first.
 */
export function bruteForceTopK(query: Float32Array, vectors: readonly Float32Array[], k: number): Array<{ row: number; score: number }> {
  const scored = vectors.map((v, row) => {
    if (v.length !== query.length) throw new Error(`bruteForceTopK: row ${row} has ${v.length} dimensions, the query ${query.length}`);
    let s = 0;
    for (let j = 0; j < v.length; j++) s += v[j]! * query[j]!;
    return { row, score: s };
  });
  scored.sort((a, b) => b.score - a.score || a.row - b.row);
  return scored.slice(0, k);
}

/** |A ∩ B| / |B|: the fraction of the exact top-k an approximate search also returned. */
export function recallAgainst(approx: readonly string[], exact: readonly string[]): number {
  if (exact.length === 0) return Number.NaN;
  const got = new Set(approx);
  return exact.filter((id) => got.has(id)).length / exact.length;
}
