import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '../../train/register-gradients.js';
import { geluTanh } from '../../layers/activations.js';
import { expectNoLeak, expectParity, runAndDispose } from '../wasm-kernels/test-parity.js';
import type { OpCase } from '../wasm-kernels/training-op-cases.js';
import { fusedGeluTanh } from './gelu.js';
import { registerNativeKernels, setNativeKernels } from './index.js';
import { countCalls, expectNativeMatchesWasm, skipNative, skipReason } from './test-native.js';

/** What activations.ts would run: the fused kernel when it is there, the ops otherwise. */
const gelu = (shape: number[]): OpCase => ({ name: `gelu-tanh [${shape}]`, shapes: [shape], range: [-4, 4], fn: (x) => fusedGeluTanh(x!) ?? geluTanh(x!) });

describe.skipIf(skipNative)(`fused tanh-GELU on the addon${skipNative ? `: skipped, ${skipReason}` : ''}`, () => {
  beforeAll(() => {
    expect(registerNativeKernels({ env: {} }).active).toBe(true);
  });
  afterAll(() => setNativeKernels(false));

  it.each([[[129, 131]], [[1, 127, 130]], [[3, 5]], [[1]]])('[%s]: forward and gradient match the op-by-op formula on cpu and on wasm', async (shape) => {
    const c = gelu(shape);
    expect(countCalls('unary', () => runAndDispose(c))).toBeGreaterThan(0);
    expect(countCalls('unaryGrad', () => runAndDispose(c))).toBe(1);
    await expectParity(c);
    expectNativeMatchesWasm(c);
  });

  it('is undefined when the native kernels are off, on another backend and for other dtypes', async () => {
    const x = tf.ones([4]);
    setNativeKernels(false);
    expect(fusedGeluTanh(x)).toBeUndefined();
    setNativeKernels(true);
    const y = fusedGeluTanh(x);
    expect(y).toBeDefined();
    y!.dispose();
    const i = tf.ones([4], 'int32');
    expect(fusedGeluTanh(i)).toBeUndefined();
    tf.dispose([x, i]);
  });

  it('leaves no tensors behind', () => {
    expectNoLeak(() => runAndDispose(gelu([64, 33])));
  });
});
