import * as tf from '@tensorflow/tfjs-core';
import { makeBatchMatMul, makeFusedMatMul } from './batch-mat-mul.js';
import { conv2DBackpropFilter, conv2DBackpropInput } from './conv2d-backprop.js';
import { unsortedSegmentSum } from './unsorted-segment-sum.js';
import { KernelLayer } from '../kernel-layer.js';

/** Kernels wasm lacks, and the ones it has but runs slowly, keyed by kernel name. */
type Override = (original: tf.KernelFunc) => tf.KernelFunc;

const OVERRIDES: Record<string, Override> = {
  [tf.BatchMatMul]: makeBatchMatMul,
  [tf._FusedMatMul]: makeFusedMatMul,
  // wasm has one, a direct loop; this one is a single XNNPACK matmul plus a scatter.
  [tf.Conv2DBackpropInput]: () => conv2DBackpropInput,
};

const ADDED: Record<string, tf.KernelFunc> = {
  [tf.UnsortedSegmentSum]: unsortedSegmentSum,
  [tf.Conv2DBackpropFilter]: conv2DBackpropFilter,
};

/** Ours over the kernels wasm ships; the native kernels, when loaded, are a layer in front. */
const layer = new KernelLayer('wasm', 1);

/**
 * Registers the kernels wasm lacks for training and replaces slow ones with fast routes, and
 * Gradients live in train/register-gradients.ts (they are global, not per backend).
 * Call after importing @tensorflow/tfjs-backend-wasm, before or after `setBackend('wasm')`.
 * Idempotent.
 */
export function registerWasmTrainingKernels(): void {
  for (const [name, make] of Object.entries(OVERRIDES)) {
    layer.wrap(name, (original) => {
      if (original === undefined) throw new Error(`wasm-kernels: ${name} is not registered for wasm; import @tensorflow/tfjs-backend-wasm first`);
      return make(original);
    });
  }
  for (const [name, kernelFunc] of Object.entries(ADDED)) layer.wrap(name, () => kernelFunc);

}

/**
 * Switches the replaced kernels (matmul routes, conv input gradient) between ours and the
 * ones wasm ships, so a benchmark can measure both in one run; the added kernels stay.
 */
export function setWasmKernelOverrides(enabled: boolean): void {
  if (enabled) {
    registerWasmTrainingKernels();
    return;
  }
  layer.unwrap(Object.keys(OVERRIDES));
}
