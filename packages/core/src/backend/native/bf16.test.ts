import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '../../train/register-gradients.js';
import { maxRelError } from '../wasm-kernels/compare.js';
import { runCase, type CaseResult } from '../wasm-kernels/run-case.js';
import { expectNoLeak, runAndDispose } from '../wasm-kernels/test-parity.js';
import type { OpCase } from '../wasm-kernels/training-op-cases.js';
import { bf16Support, nativeKernelStatus, registerNativeKernels, setNativeKernels, setNativeMathMode } from './index.js';
import { addon, FLAGS, fusedCase, matMulCase, nativeLoad, skipNative, skipReason } from './test-native.js';

const support = nativeLoad.ok ? bf16Support(nativeLoad.addon.info().isa) : { ok: false, why: skipReason };
// A machine that requires the addon (MODALAB_REQUIRE_NATIVE=1) still skips where the CPU has no bf16 units.
const skip = skipNative || (nativeLoad.ok && !support.ok);

/*
 * Tolerances. bf16 keeps 8 significant bits: rounding a value moves it by up to u = 2^-8 = 3.9e-3
 * of itself, by about 0.4u on average (rms, over where it falls in its binade). A term a*b of a
 * dot product carries two such independent errors, sqrt(2) * 0.4u = 2.2e-3, while sums stay in
 * float32. With inputs of random sign the errors add up like the terms do (as sqrt(k)), so the
 * result's relative error is that 2.2e-3 whatever k is: measured here 2.1e-3 (Frobenius) for
 * k from 32 to 511, forward and gradients (dy is rounded too), and no entry off by more than
 * 3.0e-3 of the largest. The limits are about twice that; an fp32 product read as bf16, or
 * bf16 data read as fp32, would miss them by orders of magnitude.
 */
const FROBENIUS_TOL = 5e-3;
const WORST_OF_MAX_TOL = 6e-3;

function frobenius(actual: Float32Array, expected: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    num += (actual[i]! - expected[i]!) ** 2;
    den += expected[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

const largest = (v: Float32Array) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/** Runs the case in `math` mode; errors fail the test. */
function runIn(math: 'fp32' | 'bf16', c: OpCase): CaseResult {
  setNativeMathMode(math);
  const r = runCase(c);
  expect(r.error, `${math}: ${c.name}`).toBeUndefined();
  return r;
}

const label = (j: number) => (j === 0 ? 'forward' : `gradient ${j - 1}`);

/**
 * relu passes the gradient only where its output is positive. Outputs within rounding of zero
 * change sign between fp32 and bf16, and each flip moves a whole row of an operand's gradient:
 * the gradients below differ from fp32 by 3-5% (Frobenius) for that alone. What bf16 must match
 * is fp32 through the mask bf16 chose: the fused product without activation, times that mask.
 */
function fp32ThroughMask(linear: OpCase, bf16Forward: Float32Array): Float32Array[] {
  const mask = tf.tensor1d(bf16Forward.map((x) => (x > 0 ? 1 : 0)));
  try {
    const masked: OpCase = {
      ...linear,
      fn: (...xs) => {
        const y = linear.fn(...xs);
        return tf.mul(y, tf.reshape(mask, y.shape));
      },
    };
    return runIn('fp32', masked).values;
  } finally {
    mask.dispose();
  }
}

// Every product here, forward and both gradients, is above the size from which bf16 is used
// (rows * cols / (rows + cols) >= 64, native/src/matmul.cc): all sides are at least 129.
const [M, K, N] = [129, 131, 133];
/** A case, and for a fused relu its twin without activation (see fp32ThroughMask). */
const CASES: Array<{ c: OpCase; linear?: OpCase }> = [
  ...FLAGS.map(([tA, tB]) => ({ c: matMulCase([], [], M, K, N, tA, tB) })),
  ...FLAGS.map(([tA, tB]) => ({ c: matMulCase([2], [2], M, K, N, tA, tB) })),
  { c: matMulCase([2, 3], [], M, K, N, false, false) }, // folded into one [6M, K] product
  { c: matMulCase([2, 3], [], M, K, N, true, true) },
  { c: matMulCase([], [2], M, K, N, false, true) },
  { c: matMulCase([2, 1], [1, 3], M, K, N, true, false) },
  { c: fusedCase([2], M, K, N, false, false, 'relu', [N]), linear: fusedCase([2], M, K, N, false, false, 'linear', [N]) },
  { c: fusedCase([], M, K, N, true, true, 'relu', [1]), linear: fusedCase([], M, K, N, true, true, 'linear', [1]) },
  { c: fusedCase([], 257, 511, 255, false, true, 'linear', [255]) },
];

describe.skipIf(skip)(`native bf16 matmuls${skip ? `: skipped, ${skipReason || support.why}` : ''}`, () => {
  beforeAll(() => {
    expect(registerNativeKernels({ env: {} }).active).toBe(true);
  });
  afterAll(() => {
    setNativeMathMode('fp32');
    setNativeKernels(false);
  });

  it.each(CASES.map((x) => [x.c.name, x] as const))('%s: forward and gradients within bf16 rounding of fp32, not equal to it; fp32 again is bit-identical', (_name, { c, linear }) => {
    const fp32 = runIn('fp32', c);
    const bf16 = runIn('bf16', c);
    const again = runIn('fp32', c);
    const reference = linear === undefined ? fp32.values : [fp32.values[0]!, ...fp32ThroughMask(linear, bf16.values[0]!).slice(1)];
    bf16.values.forEach((v, j) => {
      const e = reference[j]!;
      expect(frobenius(v, e), `${c.name}: ${label(j)} (Frobenius)`).toBeLessThan(FROBENIUS_TOL);
      expect(maxRelError(v, e, largest(e)), `${c.name}: ${label(j)} (worst entry)`).toBeLessThan(WORST_OF_MAX_TOL);
      // Rounding moved something: the products (forward, both operand gradients; not the bias
      // gradient, a sum of dy) really ran on bf16 operands.
      if (j < 3) expect(v.some((x, i) => x !== fp32.values[j]![i]), `${c.name}: ${label(j)} differs from fp32`).toBe(true);
      expect(again.values[j], `${c.name}: ${label(j)} back in fp32`).toEqual(fp32.values[j]);
    });
  });

  it('error stays about 2e-3 as k grows to 512: it does not grow with k', () => {
    const errors = [32, 128, 512].map((k) => {
      const c = matMulCase([], [], 256, k, 256, false, false);
      const e = runIn('fp32', c).values[0]!;
      return frobenius(runIn('bf16', c).values[0]!, e);
    });
    for (const err of errors) expect(err).toBeLessThan(FROBENIUS_TOL);
    expect(errors[2]!).toBeLessThan(1.5 * errors[0]!);
  });

  it('leaves small products (attention-sized) in fp32: converting would cost more than it saves', () => {
    const c = matMulCase([2, 4], [2, 4], 17, 8, 17, false, true);
    const fp32 = runIn('fp32', c);
    expect(runIn('bf16', c).values).toEqual(fp32.values);
  });

  it('leaves no tensors or backend data behind in bf16 mode', () => {
    setNativeMathMode('bf16');
    try {
      expectNoLeak(() => runAndDispose(matMulCase([2], [2], M, K, N, false, true)));
      expectNoLeak(() => runAndDispose(fusedCase([2], M, K, N, true, false, 'relu', [N])));
    } finally {
      setNativeMathMode('fp32');
    }
  });

  it('MODALAB_NATIVE_BF16=1 turns the mode on and says so; unset or another value keeps fp32', () => {
    const on = registerNativeKernels({ env: { MODALAB_NATIVE_BF16: '1' } });
    expect(on).toMatchObject({ active: true, math: 'bf16', mathWhy: 'MODALAB_NATIVE_BF16=1', bf16: { available: true } });
    expect(on.line).toMatch(/matmuls on bf16 operands with float32 sums \(MODALAB_NATIVE_BF16=1\)/);
    expect(addon().info().math).toBe('bf16');
    const odd = registerNativeKernels({ env: { MODALAB_NATIVE_BF16: 'yes' } });
    expect(odd).toMatchObject({ math: 'fp32', mathWhy: "MODALAB_NATIVE_BF16='yes' ignored: 1 turns bf16 on" });
    const off = registerNativeKernels({ env: {} });
    expect(off.math).toBe('fp32');
    expect(off.line).toMatch(/matmuls in float32/);
    expect(addon().info().math).toBe('fp32');
  });

  it('setNativeMathMode switches the mode and the status line; the addon refuses unknown modes', () => {
    setNativeMathMode('bf16');
    expect(addon().info().math).toBe('bf16');
    expect(nativeKernelStatus()).toMatchObject({ math: 'bf16', mathWhy: 'setNativeMathMode' });
    expect(nativeKernelStatus()!.line).toMatch(/matmuls on bf16 operands with float32 sums \(setNativeMathMode\)/);
    setNativeMathMode('fp32');
    expect(addon().info().math).toBe('fp32');
    expect(nativeKernelStatus()!.math).toBe('fp32');
    expect(() => addon().setMathMode('fp16' as 'fp32')).toThrow(/mode must be 'fp32' or 'bf16', got 'fp16'/);
  });
});

describe('the bf16 mode where the CPU has no bf16 units', () => {
  it('names the missing instructions', () => {
    expect(bf16Support('avx2')).toEqual({ ok: false, why: 'avx2 has no bf16 instructions (needs avx512_core_bf16 or AMX)' });
    expect(bf16Support('avx512_core').ok).toBe(false);
    expect(bf16Support('avx512_core_bf16').ok).toBe(true);
    expect(bf16Support('avx512_core_amx').ok).toBe(true);
  });
});
