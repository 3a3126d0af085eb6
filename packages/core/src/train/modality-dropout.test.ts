import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { applyModalityDropout, sampleModalityDropout } from './modality-dropout.js';

describe('sampleModalityDropout', () => {
  it('never drops every modality of a sample, over many seeds and harsh probabilities', () => {
    const probs = { audio: 0.9, image: 0.95, text: 0.8 };
    for (let seed = 0; seed < 300; seed++) {
      const keep = sampleModalityDropout(probs, 8, new Rng(seed));
      for (let i = 0; i < 8; i++) expect(keep.audio![i] || keep.image![i] || keep.text![i]).toBe(true);
    }
    // A modality that is always dropped leaves the other one always kept.
    const forced = sampleModalityDropout({ image: 1, text: 0.7 }, 64, new Rng(1));
    expect(forced.image!.every((k) => !k)).toBe(true);
    expect(forced.text!.every((k) => k)).toBe(true);
  });

  it('drops at the conditional rate p_m (1 - prod others) / (1 - prod all)', () => {
    const probs = { audio: 0.3, image: 0.5, text: 0.1 };
    const n = 20_000;
    const keep = sampleModalityDropout(probs, n, new Rng(7));
    const all = 0.3 * 0.5 * 0.1;
    for (const [m, p] of Object.entries(probs)) {
      const others = all / p;
      const expected = (p * (1 - others)) / (1 - all);
      const rate = keep[m]!.filter((k) => !k).length / n;
      expect(Math.abs(rate - expected)).toBeLessThan(0.02); // ~6 standard errors
    }
  });

  it('is deterministic per seed and independent of key order', () => {
    const a = sampleModalityDropout({ image: 0.4, text: 0.4 }, 16, new Rng(3));
    const b = sampleModalityDropout({ text: 0.4, image: 0.4 }, 16, new Rng(3));
    const c = sampleModalityDropout({ image: 0.4, text: 0.4 }, 16, new Rng(4));
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('names bad arguments', () => {
    expect(() => sampleModalityDropout({}, 2, new Rng(0))).toThrow(/at least one modality, got none/);
    expect(() => sampleModalityDropout({ image: 1, text: 1 }, 2, new Rng(0))).toThrow(/every modality has drop probability 1 \(image, text\)/);
    expect(() => sampleModalityDropout({ image: 1.5 }, 2, new Rng(0))).toThrow(/probability of 'image' must be in \[0, 1\], got 1.5/);
    expect(() => sampleModalityDropout({ image: 0.5 }, 0, new Rng(0))).toThrow(/batchSize must be a positive integer, got 0/);
  });
});

describe('applyModalityDropout', () => {
  it('zeroes dropped rows of embeddings and sequences, passes the rest, and does not leak', () => {
    const inputs = { image: tf.ones([2, 3]), audio: tf.ones([2, 4, 3]), text: tf.ones([2, 3]) };
    const keep = { image: [true, false], audio: [false, true] };
    const before = tf.memory().numTensors;
    const out = applyModalityDropout(inputs, keep);
    expect(Array.from(out.image!.dataSync())).toEqual([1, 1, 1, 0, 0, 0]);
    expect(tf.tidy(() => Array.from(tf.sum(out.audio!, [1, 2]).dataSync()))).toEqual([0, 12]);
    expect(Array.from(out.text!.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    tf.dispose(Object.values(out));
    expect(tf.memory().numTensors).toBe(before);
    expect(() => applyModalityDropout(inputs, { image: [true] })).toThrow(/keep flags of 'image' have length 1 but its batch is 2/);
    tf.dispose(Object.values(inputs));
  });
});
