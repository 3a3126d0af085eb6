import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend, heapOffset, sizeOf } from '../wasm-kernels/heap.js';
import type { NativeAddon } from './addon.js';
import { MIN_NATIVE_ELEMENTS, writeOutput } from './kernel-utils.js';

/** tfjs reduction kernels and the addon's op for each. */
export const REDUCE_OPS: Record<string, string> = { [tf.Sum]: 'sum', [tf.Mean]: 'mean', [tf.Max]: 'max', [tf.Min]: 'min' };

/**
 * A float32 reduction on the addon over contiguous axes (size-1 axes ignored), seen as
 * [pre, red, post] -> [pre, post]. wasm transposes the reduced axes to the end first (a copy
 * of the whole input) and then loops; the bias gradients of a training step sum [B * T, D]
 * over its rows that way. Other axis sets stay on wasm.
 */
export function makeNativeReduce(op: string) {
  return (addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc =>
    (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      // Max names its axes reductionIndices; Sum, Mean and Min name them axis; null is every axis.
      const attrs = args.attrs as unknown as { axis?: number | number[] | null; reductionIndices?: number | number[] | null; keepDims: boolean };
      const axis = attrs.axis !== undefined ? attrs.axis : attrs.reductionIndices;
      if (x.dtype !== 'float32' || axis === undefined || sizeOf(x.shape) < MIN_NATIVE_ELEMENTS) return fallback(args);
      const axes = tf.util.parseAxisParam(axis as number | number[], x.shape);
      const reduced = axes.filter((a) => x.shape[a] !== 1);
      if (reduced.length === 0) return fallback(args);
      const first = Math.min(...reduced), last = Math.max(...reduced);
      for (let d = first; d <= last; d++) if (x.shape[d] !== 1 && !axes.includes(d)) return fallback(args);
      const pre = sizeOf(x.shape.slice(0, first)), red = sizeOf(x.shape.slice(first, last + 1)), post = sizeOf(x.shape.slice(last + 1));
      const outShape = attrs.keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
      const backend = asWasmBackend(args.backend);
      return writeOutput(backend, outShape, 'float32', (heap, out) => addon.reduce(heap, heapOffset(backend, x), out, pre, red, post, op)) ?? fallback(args);
    };
}
