import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend, heapOffset, sizeOf } from '../wasm-kernels/heap.js';
import type { NativeAddon } from './addon.js';
import { writeOutput } from './kernel-utils.js';

/**
 * tanh-GELU as one kernel forward and one backward, on the addon (oneDNN's gelu_tanh eltwise).
 * Written as ops, the activation is about 9 elementwise passes forward and 15 backward over
 * the MLP's [B, T, 4D] tensor: a quarter of a clip-mini training step on the native path.
 * Only the model code can ask for it (no kernel override sees the whole formula):
 * fusedGeluTanh returns undefined whenever the native kernels are not in use.
 */
export const GELU_TANH = 'ModalabGeluTanh';
export const GELU_TANH_GRAD = 'ModalabGeluTanhGrad';

let enabled = false;
let registered = false;

export function registerGeluKernels(addon: NativeAddon): void {
  enabled = true;
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: GELU_TANH,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const { x } = inputs as { x: tf.TensorInfo };
      const b = asWasmBackend(backend);
      const out = writeOutput(b, [...x.shape], 'float32', (heap, o) => addon.unary(heap, heapOffset(b, x), o, sizeOf(x.shape), 'gelu_tanh', 0, 0));
      if (out === undefined) throw new Error(`${GELU_TANH}: the wasm heap is not a plain ArrayBuffer`);
      return out;
    },
  });
  tf.registerKernel({
    kernelName: GELU_TANH_GRAD,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const b = asWasmBackend(backend);
      const out = writeOutput(b, [...x.shape], 'float32', (heap, o) => addon.unaryGrad(heap, heapOffset(b, x), heapOffset(b, dy), o, sizeOf(x.shape), 'gelu_tanh', 0, 0));
      if (out === undefined) throw new Error(`${GELU_TANH_GRAD}: the wasm heap is not a plain ArrayBuffer`);
      return out;
    },
  });
  tf.registerGradient({
    kernelName: GELU_TANH,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.engine().runKernel(GELU_TANH_GRAD, { x: saved[0]!, dy: dy as tf.Tensor }) as tf.Tensor }),
  });
}

export function setGeluKernels(on: boolean): void {
  enabled = on && registered;
}

/**
 * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) in one native kernel, with its gradient in
 * another, when the native kernels are active on wasm and x is float32; otherwise undefined,
 * and the caller computes the same formula with ops (layers/activations.ts geluTanh).
 */
export function fusedGeluTanh(x: tf.Tensor): tf.Tensor | undefined {
  if (!enabled || x.dtype !== 'float32' || tf.getBackend() !== 'wasm') return undefined;
  return tf.engine().runKernel(GELU_TANH, { x }) as tf.Tensor;
}
