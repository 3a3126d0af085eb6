import { describe, expect, it } from 'vitest';
import { chanceBestRank, chanceRecallAtK } from './chance.js';

/** |a-b| <= abs + rel*|b|; NaN and Infinity never pass. */
function expectClose(actual: number, expected: number, abs = 1e-9, rel = 1e-9): void {
  expect(Number.isFinite(actual), `actual ${actual} is not finite`).toBe(true);
  expect(Math.abs(actual - expected), `actual ${actual}, expected ${expected}`).toBeLessThanOrEqual(abs + rel * Math.abs(expected));
}

/** mulberry32: a tiny seeded RNG, so the Monte-Carlo check is reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('chanceRecallAtK', () => {
  it('matches hand-computed binomials', () => {
    // G=10, p=2, K=3: 1 - C(8,3)/C(10,3) = 1 - 56/120 = 64/120
    expectClose(chanceRecallAtK(10, 2, 3), 64 / 120);
    // one positive: K/G
    expectClose(chanceRecallAtK(300, 1, 10), 10 / 300);
    // K > G-p: every top-K set contains a positive
    expect(chanceRecallAtK(5, 3, 3)).toBe(1);
    expect(chanceRecallAtK(5, 1, 50)).toBe(1);
  });

  it('agrees with a seeded Monte-Carlo estimate', () => {
    const rand = mulberry32(12345);
    const G = 20;
    const p = 3;
    const trials = 20_000;
    const hits = { 1: 0, 5: 0, 10: 0 };
    let bestRankSum = 0;
    const order = Array.from({ length: G }, (_, i) => i);
    for (let t = 0; t < trials; t++) {
      // Fisher-Yates; items 0..p-1 are the positives.
      for (let i = G - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const best = order.findIndex((item) => item < p) + 1;
      bestRankSum += best;
      for (const k of [1, 5, 10] as const) if (best <= k) hits[k]++;
    }
    // Binomial standard error at 20k trials is <= 0.0036; 0.015 is about 4 sigma.
    for (const k of [1, 5, 10] as const) expectClose(hits[k] / trials, chanceRecallAtK(G, p, k), 0.015, 0);
    expectClose(bestRankSum / trials, chanceBestRank(G, p), 0.1, 0);
  });

  it('rejects impossible arguments', () => {
    expect(() => chanceRecallAtK(3, 4, 1)).toThrow(/positives \(4\) exceeds galleryCount \(3\)/);
    expect(() => chanceRecallAtK(3, 1, 0)).toThrow(/k must be an integer >= 1, received 0/);
    expect(() => chanceRecallAtK(Number.NaN, 1, 1)).toThrow(/galleryCount must be an integer/);
  });
});

describe('chanceBestRank', () => {
  it('is (G+1)/(p+1)', () => {
    // G=10, p=2: E[min of 2 of 1..10] = 11/3
    expectClose(chanceBestRank(10, 2), 11 / 3);
    expectClose(chanceBestRank(1, 1), 1);
  });
});
