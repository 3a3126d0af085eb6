import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { conditionalAffinities, tsne } from './tsne.js';
import { blobs, expectClustersSeparated } from './test-cluster-separation.js';


function entropy(row: ArrayLike<number>): number {
  let h = 0;
  for (let j = 0; j < row.length; j++) if (row[j]! > 0) h -= row[j]! * Math.log(row[j]!);
  return h;
}

describe('conditionalAffinities (perplexity search)', () => {
  it('hits log(perplexity) for every row', () => {
    const { x } = blobs(2, 15, 5, 1);
    const n = x.length;
    const d2 = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d2[i * n + j] = x[i]!.reduce((s, v, k) => s + (v - x[j]![k]!) ** 2, 0);
    for (const perplexity of [2, 5, 20]) {
      const { p, betas } = conditionalAffinities(d2, n, perplexity);
      for (let i = 0; i < n; i++) {
        const row = p.subarray(i * n, (i + 1) * n);
        expect(row[i]).toBe(0);
        expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12);
        expect(Math.abs(entropy(row) - Math.log(perplexity))).toBeLessThan(1e-8);
        expect(betas[i]).toBeGreaterThan(0);
      }
    }
  });

  it('equal distances: uniform rows, perplexity n - 1 by hand', () => {
    // 4 points, all squared distances 1: p_{j|i} = 1/3 for j != i at any beta, H = log 3.
    const d2 = Float64Array.from([0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0]);
    const { p } = conditionalAffinities(d2, 4, 3);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(Math.abs(p[i * 4 + j]! - (i === j ? 0 : 1 / 3))).toBeLessThan(1e-15);
  });
});

describe('tsne', () => {
  const { x, labels } = blobs(3, 20, 10, 2);
  // 600 iterations: 250 exaggerated + 350 free; all of seeds 1-8 separate the blobs by then
  // (at 400, one of eight still had a single stray nearest neighbour).
  const options = { seed: 5, perplexity: 10, iterations: 600 };

  it('is deterministic per seed', () => {
    const a = tsne(x, options);
    const b = tsne(x, options);
    expect(a.embedding).toEqual(b.embedding);
    const c = tsne(x, { ...options, seed: 6 });
    expect(c.embedding).not.toEqual(a.embedding);
    expect(a.embedding.length).toBe(60);
    expect(a.embedding[0]!.length).toBe(2);
    expect(Number.isFinite(a.kl) && a.kl > 0).toBe(true);
  });

  it.each([1, 5, 8])('keeps well-separated clusters separated (seed %i)', (seed) => {
    const { embedding, kl } = tsne(x, { ...options, seed });
    expectClustersSeparated(embedding, labels);
    // Optimising lowers KL(P || Q) far below the initial near-collapsed layout's.
    expect(kl).toBeLessThan(tsne(x, { ...options, seed, iterations: 0 }).kl / 2);
  });

  it('accepts a tensor, leaks none, and centres the layout', () => {
    const t = tf.tensor2d(x.slice(0, 12));
    tsne(t, { seed: 1, perplexity: 4, iterations: 10 });
    const before = tf.memory().numTensors;
    const { embedding } = tsne(t, { seed: 1, perplexity: 4, iterations: 10, dims: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(embedding[0]!.length).toBe(3);
    for (let k = 0; k < 3; k++) expect(Math.abs(embedding.reduce((s, p) => s + p[k]!, 0))).toBeLessThan(1e-9);
    t.dispose();
  });

  it('rejects bad arguments with their names', () => {
    expect(() => tsne(x.slice(0, 5), { seed: 0 })).toThrow(/perplexity must be in \(0, n\) = \(0, 5\), received 30/);
    expect(() => tsne([[1, 2]], { seed: 0 })).toThrow(/need at least 2 points, received 1/);
    expect(() => tsne(x, { seed: 0, dims: 0 })).toThrow(/dims must be an integer >= 1, received 0/);
    expect(() => tsne(x, { seed: Number.NaN })).toThrow(/seed must be a finite number/);
    expect(() => tsne([[1, Number.NaN], [0, 0]], { seed: 0, perplexity: 1 })).toThrow(/x\[0\]\[1\] is NaN/);
  });
});
