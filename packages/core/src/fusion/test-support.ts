import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Deterministic input sin(0.37 i + phase) of a given shape, so tests and fixtures need no RNG. */
export function sinTensor(shape: number[], phase = 0, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => scale * Math.sin(0.37 * i + phase)), shape);
}

/** Warm up once (kernels may cache constants), then three more calls must not change the tensor count. */
export function expectNoLeak(fn: () => void): void {
  fn();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) fn();
  expect(tf.memory().numTensors).toBe(before);
}
