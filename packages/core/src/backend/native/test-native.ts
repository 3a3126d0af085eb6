import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { maxRelError } from '../wasm-kernels/compare.js';
import { runCase } from '../wasm-kernels/run-case.js';
import type { OpCase } from '../wasm-kernels/training-op-cases.js';
import { loadNativeAddon, type NativeAddon } from './addon.js';
import { setNativeKernels } from './index.js';

/**
 * Whether the native tests run: they need the built addon. A machine that should have it
 * (CI after tools/setup.sh) sets MODALAB_REQUIRE_NATIVE=1 so a broken build fails instead of
 * skipping.
 */
export const nativeLoad = loadNativeAddon();
export const skipNative = !nativeLoad.ok && process.env.MODALAB_REQUIRE_NATIVE !== '1';
export const skipReason = nativeLoad.ok ? '' : nativeLoad.reason;

export function addon(): NativeAddon {
  if (!nativeLoad.ok) throw new Error(`the native addon is required here: ${nativeLoad.reason}`);
  return nativeLoad.addon;
}

/** Counts calls of one addon function while `fn` runs (the kernels look it up on each call). */
export function countCalls(name: keyof NativeAddon, fn: () => void): number {
  const a = addon() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const original = a[name]!;
  let calls = 0;
  a[name] = (...args: unknown[]) => {
    calls++;
    return original(...args);
  };
  try {
    fn();
  } finally {
    a[name] = original;
  }
  return calls;
}

/**
 * Forward and every input gradient of `c` with the native kernels agree with the same case
 * on the kernels below them (wasm with modalab's routes) within `tol`, relative to
 * max(|expected|, 1e-2 * max|expected|, 1e-3) as in wasm-kernels/test-parity.ts.
 */
export function expectNativeMatchesWasm(c: OpCase, tol = 1e-4): void {
  setNativeKernels(false);
  let expected;
  try {
    expected = runCase(c);
  } finally {
    setNativeKernels(true);
  }
  const actual = runCase(c);
  expect(expected.error, `wasm: ${c.name}`).toBeUndefined();
  expect(actual.error, `native: ${c.name}`).toBeUndefined();
  expect(actual.values.length).toBe(c.shapes.length + 1);
  actual.values.forEach((v, j) => {
    const e = expected.values[j]!;
    const floor = Math.max(1e-3, 1e-2 * e.reduce((m, x) => Math.max(m, Math.abs(x)), 0));
    expect(maxRelError(v, e, floor), `${c.name}: ${j === 0 ? 'forward' : `gradient ${j - 1}`} (native vs wasm)`).toBeLessThan(tol);
  });
}

/** [...batchA, M, K] x [...batchB, K, N] in logical shapes; the flags swap the stored last two axes. */
export function matMulCase(batchA: number[], batchB: number[], m: number, k: number, n: number, tA: boolean, tB: boolean): OpCase {
  const aShape = [...batchA, ...(tA ? [k, m] : [m, k])];
  const bShape = [...batchB, ...(tB ? [n, k] : [k, n])];
  return { name: `[${aShape}]${tA ? 'ᵀ' : ''} x [${bShape}]${tB ? 'ᵀ' : ''}`, shapes: [aShape, bShape], fn: (a, b) => tf.matMul(a!, b!, tA, tB) };
}

export type Activation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'elu' | 'leakyrelu';
export function fusedCase(batch: number[], m: number, k: number, n: number, tA: boolean, tB: boolean, activation: Activation, bias: number[] | null): OpCase {
  const base = matMulCase(batch, batch, m, k, n, tA, tB);
  return {
    name: `fused ${activation}${bias ? ` bias [${bias}]` : ''} ${base.name}`,
    shapes: bias ? [...base.shapes, bias] : base.shapes,
    fn: (a, b, c) => tf.fused.matMul({ a: a!, b: b!, transposeA: tA, transposeB: tB, activation, leakyreluAlpha: 0.3, ...(c ? { bias: c } : {}) }),
  };
}

export const FLAGS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];
