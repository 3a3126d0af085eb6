import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { Module } from '../layers/module.js';

/** Warm up once (kernels may cache constants), then the tensor count must not move. */
export function expectLeakFree(fn: () => void): void {
  fn();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 2; i++) fn();
  expect(tf.memory().numTensors).toBe(before);
}

export interface TrainReport {
  losses: number[];
  /** Mean wall time of one forward + backward + update, first step excluded (kernel warm-up). */
  msPerStep: number;
  /** Trainable parameters whose gradient was missing, all-zero or non-finite at the first step. */
  deadParams: string[];
}

/**
 * A few plain SGD steps on `loss`, checking on the first step that every trainable parameter of
 * `module` gets a finite, non-zero gradient.
 */
export function sgdSteps(module: Module, loss: () => tf.Scalar, steps: number, lr: number): TrainReport {
  const named = [...module.namedVariables()].filter(([, v]) => v.trainable);
  const vars = named.map(([, v]) => v);
  const losses: number[] = [];
  const deadParams: string[] = [];
  let t0 = 0;
  for (let s = 0; s < steps; s++) {
    if (s === 1) t0 = performance.now();
    const { value, grads } = tf.variableGrads(loss, vars);
    if (s === 0) {
      for (const [name, v] of named) {
        const g = grads[v.name];
        const norm = g ? tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]!) : 0;
        if (!(Number.isFinite(norm) && norm > 0)) deadParams.push(name);
      }
    }
    tf.tidy(() => {
      for (const v of vars) {
        const g = grads[v.name];
        if (g) v.assign(tf.sub(v, tf.mul(g, lr)));
      }
    });
    losses.push(value.dataSync()[0]!);
    value.dispose();
    tf.dispose(grads);
  }
  return { losses, msPerStep: steps > 1 ? (performance.now() - t0) / (steps - 1) : Number.NaN, deadParams };
}

/** Mean squared distance to a fixed target: a simple loss any encoder can lower. */
export function mseTo(output: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.mean(tf.square(tf.sub(output, target)));
}

/** Deterministic input in [-1, 1]: sin of a scaled range (no RNG parity needed). */
export function sinInput(shape: number[], scale = 0.37, offset = 0): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(i * scale + offset)), shape);
}
