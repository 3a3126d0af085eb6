import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { umap } from './umap.js';
import { blobs, expectClustersSeparated } from './test-cluster-separation.js';


describe('umap', () => {
  const { x, labels } = blobs(3, 20, 10, 2);
  const options = { seed: 5, nNeighbors: 10, epochs: 200 };

  it('is deterministic per seed, and does not touch Math.random', () => {
    const original = Math.random;
    Math.random = () => {
      throw new Error('Math.random was called');
    };
    try {
      const a = umap(x, options);
      const b = umap(x, options);
      expect(a.embedding).toEqual(b.embedding);
      const c = umap(x, { ...options, seed: 6 });
      expect(c.embedding).not.toEqual(a.embedding);
      expect(a.embedding.length).toBe(60);
      expect(a.embedding[0]!.length).toBe(2);
      expect(a.embedding.flat().every(Number.isFinite)).toBe(true);
    } finally {
      Math.random = original;
    }
  });

  it.each([1, 5, 8])('keeps well-separated clusters separated (seed %i)', (seed) => {
    const { embedding } = umap(x, { ...options, seed });
    expectClustersSeparated(embedding, labels);
  });

  it('accepts a tensor, leaks none, and honours components', () => {
    const t = tf.tensor2d(x.slice(0, 12));
    umap(t, { seed: 1, nNeighbors: 4, epochs: 20 });
    const before = tf.memory().numTensors;
    const { embedding } = umap(t, { seed: 1, nNeighbors: 4, epochs: 20, components: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(embedding.length).toBe(12);
    expect(embedding[0]!.length).toBe(3);
    t.dispose();
  });

  it('rejects bad arguments with their names', () => {
    expect(() => umap(x.slice(0, 10), { seed: 0 })).toThrow(/need more points than nNeighbors, received 10 points with nNeighbors 15/);
    expect(() => umap(x.slice(0, 5), { seed: 0, nNeighbors: 5 })).toThrow(/received 5 points with nNeighbors 5; lower nNeighbors below 5/);
    expect(() => umap(x, { seed: Number.NaN })).toThrow(/seed must be a finite number/);
    expect(() => umap(x, { seed: 0, components: 0 })).toThrow(/components must be an integer >= 1, received 0/);
    expect(() => umap(x, { seed: 0, nNeighbors: 1 })).toThrow(/nNeighbors must be an integer >= 2, received 1/);
    expect(() => umap(x, { seed: 0, minDist: -0.1 })).toThrow(/minDist must be in \[0, 1\]/);
    expect(() => umap(x, { seed: 0, epochs: 0 })).toThrow(/epochs must be an integer >= 1, received 0/);
    expect(() => umap([[1, Number.NaN], [0, 0], [1, 1]], { seed: 0, nNeighbors: 2 })).toThrow(/x\[0\]\[1\] is NaN/);
  });
});
