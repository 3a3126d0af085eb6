import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { maxRelError } from './compare.js';
import { runCase, runCasesOn } from './run-case.js';
import type { OpCase } from './training-op-cases.js';

/**
 * Forward and every input gradient of `c` on wasm agree with cpu within `tol`, relative to
 * max(|expected|, 1e-2 * max|expected|, 1e-3): float32 sums taken in another order (XNNPACK
 * vs cpu's loop) differ by about K * eps * magnitude, which a purely relative test near a
 * cancelling zero would call a failure. `reference` replaces the case on cpu where cpu itself
 * is wrong (it mis-shapes batch broadcasting on both sides).
 */
export async function expectParity(c: OpCase, tol = 1e-4, reference: OpCase = c): Promise<void> {
  const [expected] = await runCasesOn('cpu', [reference]);
  expect(tf.getBackend()).toBe('wasm');
  const actual = runCase(c);
  expect(expected!.error, `cpu: ${c.name}`).toBeUndefined();
  expect(actual.error, `wasm: ${c.name}`).toBeUndefined();
  expect(actual.values.length).toBe(c.shapes.length + 1);
  actual.values.forEach((v, j) => {
    const e = expected!.values[j]!;
    const floor = Math.max(1e-3, 1e-2 * e.reduce((m, x) => Math.max(m, Math.abs(x)), 0));
    expect(maxRelError(v, e, floor), `${c.name}: ${j === 0 ? 'forward' : `gradient ${j - 1}`}`).toBeLessThan(tol);
  });
}

/** Running `fn` (which must clean up after itself) a few times after a warm-up leaves no tensors or backend data behind. */
export function expectNoLeak(fn: () => void): void {
  fn();
  const tensors = tf.memory().numTensors;
  const dataIds = tf.engine().backend.numDataIds();
  for (let i = 0; i < 3; i++) fn();
  expect(tf.memory().numTensors).toBe(tensors);
  expect(tf.engine().backend.numDataIds()).toBe(dataIds);
}

/** Forward plus gradients of the case, all disposed: the unit a leak test repeats. */
export function runAndDispose(c: OpCase): void {
  const r = runCase(c);
  if (r.error !== undefined) throw new Error(r.error);
}
