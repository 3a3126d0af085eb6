import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend, heapOffset, sizeOf } from '../wasm-kernels/heap.js';
import type { NativeAddon } from './addon.js';
import { ELEMENT_BYTES, heapBuffer } from './kernel-utils.js';

const MIN_ELEMENTS = 4096;

/**
 * SplitV as strided row copies: splitting [..., C, ...] along an axis copies, for each part,
 * one block per index before the axis. Attention's q/k/v split of [B * T, 3D] is three such
 * copies; wasm slices each part element by element.
 */
export function makeNativeSplitV(addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
    const bytes = ELEMENT_BYTES[x.dtype];
    if (bytes === undefined || sizeOf(x.shape) < MIN_ELEMENTS) return fallback(args);
    const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
    const backend = asWasmBackend(args.backend);
    const rows = sizeOf(x.shape.slice(0, ax));
    const inner = sizeOf(x.shape.slice(ax + 1)) * bytes;
    const outs = sizes.map((s) => backend.makeOutput(x.shape.map((d, i) => (i === ax ? s : d)), x.dtype));
    const heap = heapBuffer(backend);
    if (heap === undefined) {
      for (const o of outs) backend.disposeData(o.dataId);
      return fallback(args);
    }
    try {
      let src = heapOffset(backend, x);
      sizes.forEach((s, i) => {
        addon.copyRows(heap, src, heapOffset(backend, outs[i]!), rows, s * inner, x.shape[ax]! * inner, s * inner);
        src += s * inner;
      });
    } catch (err) {
      for (const o of outs) backend.disposeData(o.dataId);
      throw err;
    }
    return outs;
  };
}

/** Concat as strided row copies into the output (the gradient of SplitV, and token concats). */
export function makeNativeConcat(addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const { axis } = args.attrs as unknown as tf.ConcatAttrs;
    const first = inputs[0];
    if (first === undefined) return fallback(args);
    const bytes = ELEMENT_BYTES[first.dtype];
    const ax = tf.util.parseAxisParam(axis, first.shape)[0]!;
    const outShape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), ax);
    if (bytes === undefined || inputs.some((t) => t.dtype !== first.dtype) || sizeOf(outShape) < MIN_ELEMENTS) return fallback(args);
    const backend = asWasmBackend(args.backend);
    const rows = sizeOf(outShape.slice(0, ax));
    const inner = sizeOf(outShape.slice(ax + 1)) * bytes;
    const out = backend.makeOutput(outShape, first.dtype);
    const heap = heapBuffer(backend);
    if (heap === undefined) {
      backend.disposeData(out.dataId);
      return fallback(args);
    }
    try {
      let dst = heapOffset(backend, out);
      for (const t of inputs) {
        const block = t.shape[ax]! * inner;
        if (sizeOf(t.shape) > 0) addon.copyRows(heap, heapOffset(backend, t), dst, rows, block, block, outShape[ax]! * inner);
        dst += block;
      }
    } catch (err) {
      backend.disposeData(out.dataId);
      throw err;
    }
    return out;
  };
}
