import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend, heapOffset, sizeOf, type WasmBackend } from '../wasm-kernels/heap.js';
import type { NativeAddon } from './addon.js';
import { writeOutput } from './kernel-utils.js';

/** tfjs activation names to the codes the addon takes (wasm's FusableActivation numbering). prelu stays on wasm. */
const ACTIVATION: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 4, sigmoid: 5, elu: 6 };
/** oneDNN's limit on tensor rank. */
const MAX_RANK = 12;

interface Product {
  bias?: tf.TensorInfo;
  activation: number;
  alpha: number;
}

/**
 * out = act(op(a) op(b) + bias) on the addon, or undefined when the case is not one it takes
 * (not float32, an empty dimension, rank above 12, a shared heap): the caller falls back.
 */
function nativeProduct(addon: NativeAddon, backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, tA: boolean, tB: boolean, p: Product): tf.TensorInfo | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const ra = a.shape.length, rb = b.shape.length;
  const m = tA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = tA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = tB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = tB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb) {
    throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${tA} and transposeB=${tB} must match.`);
  }
  let batchA = a.shape.slice(0, -2);
  let batchB = b.shape.slice(0, -2);
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(batchA, batchB);
  if (m === 0 || n === 0 || k === 0 || sizeOf(outBatch) === 0 || outBatch.length + 2 > MAX_RANK) return undefined;
  let rows = m;
  if (sizeOf(batchB) === 1 && !tA) {
    // [...batch, M, K] x [K, N] is one [batch * M, K] x [K, N] product: one large GEMM threads better.
    rows = sizeOf(batchA) * m;
    batchA = [];
    batchB = [];
  } else if (batchA.length === batchB.length && batchA.every((d, i) => d === batchB[i])) {
    batchA = batchB = [sizeOf(batchA)];
  }
  const biasSize = p.bias === undefined ? 0 : sizeOf(p.bias.shape);
  const biasOffset = p.bias === undefined ? -1 : heapOffset(backend, p.bias);
  return writeOutput(backend, [...outBatch, m, n], 'float32', (heap, out) =>
    addon.matmul(heap, heapOffset(backend, a), heapOffset(backend, b), out, biasOffset, Int32Array.from(batchA), Int32Array.from(batchB), rows, n, k, tA, tB, biasSize, p.activation, p.alpha),
  );
}

export function makeNativeBatchMatMul(addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    return nativeProduct(addon, asWasmBackend(args.backend), a, b, transposeA, transposeB, { activation: 0, alpha: 0 }) ?? fallback(args);
  };
}

/** A bias the addon broadcasts itself: a scalar, or N values along the last axis only. */
function biasFits(bias: tf.TensorInfo, n: number): boolean {
  const size = sizeOf(bias.shape);
  return bias.dtype === 'float32' && (size === 1 || (size === n && bias.shape[bias.shape.length - 1] === n));
}

export function makeNativeFusedMatMul(addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as tf._FusedMatMulInputs;
    const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as unknown as tf._FusedMatMulAttrs;
    const code = ACTIVATION[activation];
    const n = b.shape[b.shape.length - (transposeB ? 2 : 1)]!;
    if (code === undefined || preluActivationWeights != null || (bias != null && !biasFits(bias, n))) return fallback(args);
    const product: Product = { activation: code, alpha: leakyreluAlpha ?? 0.2, ...(bias == null ? {} : { bias }) };
    return nativeProduct(addon, asWasmBackend(args.backend), a, b, transposeA, transposeB, product) ?? fallback(args);
  };
}
