import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend, heapOffset, sizeOf } from '../wasm-kernels/heap.js';
import type { NativeAddon } from './addon.js';
import { MIN_NATIVE_ELEMENTS, writeOutput } from './kernel-utils.js';

/** tfjs unary kernels and the oneDNN eltwise algorithm each one is. */
export const UNARY_OPS: Record<string, string> = {
  [tf.Tanh]: 'tanh',
  [tf.Sigmoid]: 'sigmoid',
  [tf.Exp]: 'exp',
  [tf.Sqrt]: 'sqrt',
  [tf.Square]: 'square',
  [tf.Relu]: 'relu',
  [tf.Abs]: 'abs',
};

/** tfjs binary kernels and the addon's op for each. */
export const BINARY_OPS: Record<string, string> = {
  [tf.Add]: 'add',
  [tf.Multiply]: 'mul',
  [tf.Sub]: 'sub',
  [tf.RealDiv]: 'div',
  [tf.Maximum]: 'max',
  [tf.Minimum]: 'min',
};

/** Rows shorter than this cost more in per-row bookkeeping than wasm spends on them. */
const MIN_ROW = 16;

/**
 * `other` broadcast into `out` as blocks of merged axes, each either matching (0) or
 * broadcast (1); undefined when `other` does not broadcast to `out` alone.
 */
export function broadcastBlocks(out: readonly number[], other: readonly number[]): { sizes: number[]; broadcast: number[] } | undefined {
  const padded = [...new Array<number>(out.length - other.length).fill(1), ...other];
  const sizes: number[] = [];
  const broadcast: number[] = [];
  for (let d = 0; d < out.length; d++) {
    if (out[d] === 1) continue;
    if (padded[d] !== 1 && padded[d] !== out[d]) return undefined;
    const flag = padded[d] === 1 ? 1 : 0;
    if (broadcast.length > 0 && broadcast[broadcast.length - 1] === flag) sizes[sizes.length - 1]! *= out[d]!;
    else {
      sizes.push(out[d]!);
      broadcast.push(flag);
    }
  }
  return sizes.length === 0 ? { sizes: [1], broadcast: [0] } : { sizes, broadcast };
}

/** A float32 unary kernel on the addon for tensors of at least MIN_NATIVE_ELEMENTS (tanh: a polynomial JIT-compiled for AVX-512, not wasm's scalar libm call). */
export function makeNativeUnary(op: string) {
  return (addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc =>
    (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const size = sizeOf(x.shape);
      if (x.dtype !== 'float32' || size < MIN_NATIVE_ELEMENTS) return fallback(args);
      const backend = asWasmBackend(args.backend);
      return writeOutput(backend, [...x.shape], 'float32', (heap, out) => addon.unary(heap, heapOffset(backend, x), out, size, op, 0, 0)) ?? fallback(args);
    };
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * A float32 binary kernel on the addon when the output has the shape of one operand (the
 * other broadcasts into it), the output is large enough and its rows are not tiny.
 */
export function makeNativeBinary(op: string) {
  return (addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc =>
    (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(args);
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      if (sizeOf(outShape) < MIN_NATIVE_ELEMENTS) return fallback(args);
      const reversed = !sameShape(a.shape, outShape);
      if (reversed && !sameShape(b.shape, outShape)) return fallback(args);
      const [full, other] = reversed ? [b, a] : [a, b];
      const blocks = broadcastBlocks(outShape, other.shape);
      if (blocks === undefined || blocks.sizes[blocks.sizes.length - 1]! < MIN_ROW) return fallback(args);
      const backend = asWasmBackend(args.backend);
      return (
        writeOutput(backend, outShape, 'float32', (heap, out) =>
          addon.binary(heap, heapOffset(backend, full), heapOffset(backend, other), out, Int32Array.from(blocks.sizes), Int32Array.from(blocks.broadcast), op, reversed),
        ) ?? fallback(args)
      );
    };
}
