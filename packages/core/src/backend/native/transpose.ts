import type * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend, heapOffset, sizeOf } from '../wasm-kernels/heap.js';
import type { NativeAddon } from './addon.js';
import { ELEMENT_BYTES, writeOutput } from './kernel-utils.js';

/** Below this many elements wasm's own transpose is as quick as a native call. */
const MIN_ELEMENTS = 4096;

/**
 * Transpose on the addon: attention's head split and merge ([B, T, H, Dh] <-> [B, H, T, Dh])
 * and the patch cut are row copies there, threaded; wasm runs them as a scalar loop.
 */
export function makeNativeTranspose(addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { perm } = args.attrs as unknown as tf.TransposeAttrs;
    const bytes = ELEMENT_BYTES[x.dtype];
    if (bytes === undefined || sizeOf(x.shape) < MIN_ELEMENTS) return fallback(args);
    const backend = asWasmBackend(args.backend);
    const outShape = perm.map((axis) => x.shape[axis]!);
    return (
      writeOutput(backend, outShape, x.dtype, (heap, out) =>
        addon.transpose(heap, heapOffset(backend, x), out, Int32Array.from(x.shape), Int32Array.from(perm), bytes),
      ) ?? fallback(args)
    );
  };
}
