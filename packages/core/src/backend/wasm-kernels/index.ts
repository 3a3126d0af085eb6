import * as tf from '@tensorflow/tfjs-core';
import { makeBatchMatMul, makeFusedMatMul } from './batch-mat-mul.js';
import { conv2DBackpropFilter, conv2DBackpropInput } from './conv2d-backprop.js';
import { unsortedSegmentSum } from './unsorted-segment-sum.js';
import { isNativeKernel } from '../native/index.js';

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

/** Kernel functions installed here, to recognise them on a second call. */
const installed = new Set<tf.KernelFunc>();
/** The shipped kernels that OVERRIDES replaced, to switch back for a baseline measurement. */
const shipped = new Map<string, tf.KernelConfig>();

function install(name: string, make: (original: tf.KernelFunc | undefined) => tf.KernelFunc): void {
  const current = tf.getKernel(name, 'wasm');
  // A native kernel already wraps ours (registerNativeKernels ran first): leave it in front.
  if (current !== undefined && (installed.has(current.kernelFunc) || isNativeKernel(current.kernelFunc))) return;
  const kernelFunc = make(current?.kernelFunc);
  installed.add(kernelFunc);
  if (current !== undefined) {
    shipped.set(name, current);
    tf.unregisterKernel(name, 'wasm');
  }
  // The original's setupFunc still has to run at backend init: it prepares what the
  // original kernelFunc (our fallback) calls into.
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc, ...(current?.setupFunc ? { setupFunc: current.setupFunc } : {}), ...(current?.disposeFunc ? { disposeFunc: current.disposeFunc } : {}) });
}

/**
 * Registers the kernels wasm lacks for training and replaces slow ones with fast routes, and
 * Gradients live in train/register-gradients.ts (they are global, not per backend).
 * Call after importing @tensorflow/tfjs-backend-wasm, before or after `setBackend('wasm')`.
 * Idempotent.
 */
export function registerWasmTrainingKernels(): void {
  for (const [name, make] of Object.entries(OVERRIDES)) {
    install(name, (original) => {
      if (original === undefined) throw new Error(`wasm-kernels: ${name} is not registered for wasm; import @tensorflow/tfjs-backend-wasm first`);
      return make(original);
    });
  }
  for (const [name, kernelFunc] of Object.entries(ADDED)) install(name, () => kernelFunc);

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
  for (const name of Object.keys(OVERRIDES)) {
    const current = tf.getKernel(name, 'wasm');
    const original = shipped.get(name);
    if (current === undefined || original === undefined || !installed.has(current.kernelFunc)) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
}
