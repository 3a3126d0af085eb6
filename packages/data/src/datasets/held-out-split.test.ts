import { describe, expect, it } from 'vitest';
import { heldOutSplit } from './held-out-split.js';

const ids = Array.from({ length: 200 }, (_, i) => `id-${i}`);

describe('heldOutSplit', () => {
  it('holds out an exact fraction, disjoint, sorted, covering every index', () => {
    const { train, test } = heldOutSplit(ids, 0.2, 7);
    expect(test.length).toBe(40);
    expect(train.length).toBe(160);
    expect([...train, ...test].sort((a, b) => a - b)).toEqual(ids.map((_, i) => i));
    expect(test).toEqual([...test].sort((a, b) => a - b));
  });

  it('is deterministic for a seed and differs between seeds', () => {
    expect(heldOutSplit(ids, 0.2, 7)).toEqual(heldOutSplit(ids, 0.2, 7));
    expect(heldOutSplit(ids, 0.2, 8).test).not.toEqual(heldOutSplit(ids, 0.2, 7).test);
  });

  it('keeps an item on its side when others are removed', () => {
    const full = new Set(heldOutSplit(ids, 0.2, 3).test.map((i) => ids[i]));
    const half = ids.slice(0, 100);
    const heldHalf = heldOutSplit(half, 0.2, 3).test.map((i) => half[i]);
    // The smallest-hash items of the subset are held out; most are also held out in the full set.
    const overlap = heldHalf.filter((id) => full.has(id)).length;
    expect(overlap).toBeGreaterThanOrEqual(15);
  });

  it('handles degenerate sizes and rejects a bad fraction', () => {
    expect(heldOutSplit([], 0.5, 0)).toEqual({ train: [], test: [] });
    expect(heldOutSplit(['a'], 0, 0)).toEqual({ train: [0], test: [] });
    expect(() => heldOutSplit(ids, 1, 0)).toThrow(/heldOutFraction must be in \[0, 1\), got 1/);
    expect(() => heldOutSplit(ids, Number.NaN, 0)).toThrow(/heldOutFraction/);
  });
});
