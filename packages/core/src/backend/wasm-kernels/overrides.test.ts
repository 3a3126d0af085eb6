import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeKernelStatus, setNativeKernels } from '../native/index.js';
import { registerWasmTrainingKernels, setWasmKernelOverrides } from './index.js';

describe('setWasmKernelOverrides', () => {
  // The native kernels, when active, sit in front of these and must be off to swap them.
  const nativeWasOn = nativeKernelStatus()?.active === true;
  beforeAll(() => {
    if (nativeWasOn) setNativeKernels(false);
  });
  afterAll(() => {
    if (nativeWasOn) setNativeKernels(true);
  });

  it('switches BatchMatMul between the shipped kernel and ours, with equal results', () => {
    registerWasmTrainingKernels();
    const ours = tf.getKernel(tf.BatchMatMul, 'wasm')!.kernelFunc;
    const a = tf.randomNormal([3, 5, 4], 0, 1, 'float32', 1), b = tf.randomNormal([3, 6, 4], 0, 1, 'float32', 2);
    const fast = tf.matMul(a, b, false, true);
    setWasmKernelOverrides(false);
    const shipped = tf.getKernel(tf.BatchMatMul, 'wasm')!.kernelFunc;
    expect(shipped).not.toBe(ours);
    expect(tf.getKernel(tf.UnsortedSegmentSum, 'wasm')).toBeDefined(); // added kernels stay
    const slow = tf.matMul(a, b, false, true);
    expect(tf.max(tf.abs(tf.sub(fast, slow))).dataSync()[0]).toBeLessThan(1e-5);
    setWasmKernelOverrides(true);
    expect(tf.getKernel(tf.BatchMatMul, 'wasm')!.kernelFunc).not.toBe(shipped);
    tf.dispose([a, b, fast, slow]);
  });
});
