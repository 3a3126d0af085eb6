import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { assertAllClose } from '../testing/all-close.js';
import { Dropout } from './dropout.js';

function leakFree(fn: () => void): void {
  fn(); // warm-up: kernels may cache constants on first use
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) fn();
  expect(tf.memory().numTensors).toBe(before);
}

const sinInput = (shape: number[]): tf.Tensor => {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(0.37 * i) + 1.5), shape);
};

describe('Dropout', () => {
  it('is the identity in evaluation and at rate 0, at batch 1 and 2', () => {
    for (const b of [1, 2]) {
      const x = sinInput([b, 3, 4]);
      for (const [rate, training] of [[0.5, false], [0, true], [0, false]] as const) {
        const y = new Dropout(rate, new Rng(0)).apply(x, { training });
        expect(y.shape).toEqual([b, 3, 4]);
        expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
        y.dispose();
      }
      x.dispose();
    }
  });

  it('rejects rates outside [0, 1), naming the value', () => {
    for (const rate of [1, -0.1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new Dropout(rate, new Rng(0))).toThrow(/Dropout: rate must be in \[0, 1\), got/);
    }
    expect(() => new Dropout(1, new Rng(0))).toThrow(/got 1$/);
  });

  it('zeroes about `rate` of the entries, scales survivors by 1/(1 - rate), and keeps the mean', () => {
    // n = 20000 Bernoulli(p) draws: the zeroed fraction has std sqrt(p(1-p)/n) <= 0.0035, so 0.015 is > 4 sigma.
    const n = 20000;
    const x = tf.ones([n]);
    for (const rate of [0.1, 0.3, 0.7]) {
      const y = new Dropout(rate, new Rng(11)).apply(x, { training: true });
      const v = Array.from(y.dataSync());
      const zeros = v.filter((u) => u === 0).length;
      expect(Math.abs(zeros / n - rate)).toBeLessThan(0.015);
      const scale = Math.fround(1 / (1 - rate));
      expect(v.every((u) => u === 0 || u === scale)).toBe(true);
      // Mean of mask / (1 - rate): std sqrt(rate / (1 - rate) / n) <= 0.011 at rate 0.7, so 0.05 is > 4 sigma.
      const mean = v.reduce((s, u) => s + u, 0) / n;
      expect(Math.abs(mean - 1)).toBeLessThan(0.05);
      y.dispose();
    }
    x.dispose();
  });

  it('is deterministic per seed, different across seeds, and draws a new mask each call', () => {
    const x = sinInput([2, 8, 8]);
    const run = (seed: number) => {
      const d = new Dropout(0.5, new Rng(seed));
      return [d.apply(x, { training: true }), d.apply(x, { training: true })].map((t) => {
        const a = Array.from(t.dataSync());
        t.dispose();
        return a;
      });
    };
    const [a1, a2] = run(5), [b1] = run(5), [c1] = run(6);
    expect(b1).toEqual(a1);
    expect(c1).not.toEqual(a1);
    expect(a2).not.toEqual(a1);
    x.dispose();
  });

  it('has gradient mask / (1 - rate) with respect to its input', () => {
    const rate = 0.4;
    const x = sinInput([3, 4, 5]);
    const w = sinInput([3, 4, 5]);
    // The same seed gives the same mask: the output of ones is exactly mask / (1 - rate).
    const scaledMask = new Dropout(rate, new Rng(7)).apply(tf.onesLike(x), { training: true });
    const d = new Dropout(rate, new Rng(7));
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(d.apply(t, { training: true }), w)))(x);
    assertAllClose(grad.dataSync(), tf.mul(scaledMask, w).dataSync(), { atol: 1e-6, rtol: 1e-6 }, 'dx');
    const s = scaledMask.dataSync();
    expect(s.some((v) => v === 0) && s.some((v) => v > 1)).toBe(true); // both kinds of entries are exercised
    tf.dispose([x, w, scaledMask, grad]);
  });

  it('does not leak, training or not', () => {
    const d = new Dropout(0.3, new Rng(1));
    const x = sinInput([2, 4, 8]);
    leakFree(() => tf.dispose(d.apply(x, { training: true })));
    leakFree(() => tf.dispose(d.apply(x, { training: false })));
    leakFree(() => tf.dispose(tf.grad((t: tf.Tensor) => tf.sum(d.apply(t, { training: true })))(x)));
    expect(d.variables()).toEqual([]);
    x.dispose();
    d.dispose();
  });
});
