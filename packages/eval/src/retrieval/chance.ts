/**
 * What a random ranking of the gallery would score, so every retrieval number can be read
 * against its floor. Exact expectations, not simulations.
 */

/**
 * Probability that at least one of `positives` items lands in the top `k` of a uniformly
 * random ranking of `galleryCount` items: 1 - C(G-p, K) / C(G, K).
 * The ratio is taken as a running product, prod_{i<K} (G-p-i)/(G-i), so it never overflows.
 */
export function chanceRecallAtK(galleryCount: number, positives: number, k: number): number {
  assertCount('galleryCount', galleryCount, 1);
  assertCount('positives', positives, 1);
  assertCount('k', k, 1);
  if (positives > galleryCount) {
    throw new Error(`chanceRecallAtK: positives (${positives}) exceeds galleryCount (${galleryCount})`);
  }
  const negatives = galleryCount - positives;
  if (k > negatives) return 1; // every K-subset must contain a positive
  let missAll = 1;
  for (let i = 0; i < k; i++) missAll *= (negatives - i) / (galleryCount - i);
  return 1 - missAll;
}

/**
 * Expected 1-based rank of the best of `positives` items in a random ranking of
 * `galleryCount` items: (G+1)/(p+1), the mean of the minimum of p draws without replacement.
 */
export function chanceBestRank(galleryCount: number, positives: number): number {
  assertCount('galleryCount', galleryCount, 1);
  assertCount('positives', positives, 1);
  if (positives > galleryCount) {
    throw new Error(`chanceBestRank: positives (${positives}) exceeds galleryCount (${galleryCount})`);
  }
  return (galleryCount + 1) / (positives + 1);
}

function assertCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, received ${value}`);
  }
}
