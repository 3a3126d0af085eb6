/**
 * Splits items into train and test by a seeded hash of each item's id: the `heldOutFraction` of ids with
 * the smallest hash are held out. Unlike shuffling positions, an item keeps its side when others are added
 * or removed (a new emoji version, another style selection), so runs over different subsets stay comparable.
 * Returns sorted index lists into `ids`, disjoint, covering every index.
 */
export function heldOutSplit(
  ids: readonly string[],
  heldOutFraction: number,
  seed: number,
): { train: number[]; test: number[] } {
  if (!(heldOutFraction >= 0 && heldOutFraction < 1)) {
    throw new RangeError(`heldOutFraction must be in [0, 1), got ${heldOutFraction}`);
  }
  const keyed = ids.map((id, index) => ({ index, id, key: hashString(`${seed}\u0000${id}`) }));
  // Ties (distinct ids with equal 32-bit hashes) fall back to the id, so the result never depends on input order.
  keyed.sort((a, b) => a.key - b.key || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const testCount = Math.round(ids.length * heldOutFraction);
  const test = keyed.slice(0, testCount).map((k) => k.index).sort((a, b) => a - b);
  const train = keyed.slice(testCount).map((k) => k.index).sort((a, b) => a - b);
  return { train, test };
}

/** FNV-1a over UTF-16 code units, then murmur3's finaliser so nearby seeds give unrelated orders. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
