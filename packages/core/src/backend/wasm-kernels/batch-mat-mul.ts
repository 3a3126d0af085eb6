import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend, cwrapCached, HeapViews, heapOffset, shapeBytes, sizeOf, wasmId, type WasmBackend, type WasmModule } from './heap.js';

/*
 * wasm's BatchMatMul reaches XNNPACK only for an untransposed product with batch 1 on both
 * sides; transposed or batched products fall to a scalar loop about 12x slower, and every
 * backward matmul is transposed. Here a product is brought to that fast form: transposed
 * operands are transposed explicitly, a right operand without batch is folded
 * ([B*M, K] x [K, N]), and true batches run one XNNPACK call per item on heap views.
 */

const matMulFns = new WeakMap<WasmModule, (...args: unknown[]) => void>();
const fusedFns = new WeakMap<WasmModule, (...args: unknown[]) => void>();

/** One XNNPACK product of 3D views [1, M, K] x [1, K, N] -> [1, M, N]. */
type Product = (aId: number, bId: number, outId: number, m: number, k: number, n: number) => void;

function plainProduct(backend: WasmBackend): Product {
  const fn = cwrapCached(matMulFns, backend.wasm, tf.BatchMatMul, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
  return (aId, bId, outId, m, k, n) => fn(aId, shapeBytes([1, m, k]), 3, bId, shapeBytes([1, k, n]), 3, 0, 0, outId);
}

/** Activation codes of wasm's FusableActivation enum. */
const ACTIVATION: Record<string, number> = { linear: 0, relu: 1, relu6: 2, prelu: 3, leakyrelu: 4, sigmoid: 5, elu: 6 };

function fusedProduct(backend: WasmBackend, activation: number, biasId: number, preluId: number, alpha: number): Product {
  const fn = cwrapCached(fusedFns, backend.wasm, tf._FusedMatMul, [
    'number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number', 'number', 'number', 'number', 'number',
  ]);
  return (aId, bId, outId, m, k, n) =>
    fn(aId, shapeBytes([1, m, k]), 3, bId, shapeBytes([1, k, n]), 3, 0, 0, activation, biasId, preluId, alpha, outId);
}

/** Swaps the last two axes with wasm's Transpose kernel (a copy). */
function swapLastTwo(backend: WasmBackend, x: tf.TensorInfo): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
  const kernel = tf.getKernel(tf.Transpose, 'wasm');
  if (kernel === undefined) throw new Error('wasm-kernels: the wasm Transpose kernel is not registered');
  return kernel.kernelFunc({ inputs: { x }, backend: backend as unknown as tf.KernelBackend, attrs: { perm } }) as tf.TensorInfo;
}

/** Flat batch index of an operand for each flat output batch index, under broadcasting. */
function broadcastIndex(outBatch: number[], inBatch: number[]): Int32Array {
  const rank = outBatch.length;
  const padded = [...Array(rank - inBatch.length).fill(1), ...inBatch] as number[];
  const out = new Int32Array(sizeOf(outBatch));
  for (let i = 0; i < out.length; i++) {
    let rest = i;
    let idx = 0;
    let stride = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const dim = outBatch[d]!;
      const coord = rest % dim;
      rest = Math.floor(rest / dim);
      if (padded[d]! !== 1) idx += coord * stride;
      stride *= padded[d]!;
    }
    out[i] = idx;
  }
  return out;
}

/** a [...batchA, M, K] x b [...batchB, K, N], both untransposed float32, via XNNPACK. */
function untransposedProduct(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, product: Product): tf.TensorInfo {
  const m = a.shape[a.shape.length - 2]!;
  const k = a.shape[a.shape.length - 1]!;
  const kb = b.shape[b.shape.length - 2]!;
  const n = b.shape[b.shape.length - 1]!;
  if (k !== kb) {
    throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} must match.`);
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(batchA, batchB);
  // Allocate before taking any offsets: growing the heap moves nothing, but detaches JS views.
  const out = backend.makeOutput([...outBatch, m, n], 'float32');
  if (sizeOf(out.shape) === 0) return out;
  if (k === 0) {
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  const outId = wasmId(backend, out);
  if (sizeOf(batchB) === 1) {
    product(wasmId(backend, a), wasmId(backend, b), outId, sizeOf(batchA) * m, k, n);
    return out;
  }
  const ia = broadcastIndex(outBatch, batchA);
  const ib = broadcastIndex(outBatch, batchB);
  const [offA, offB, offOut] = [heapOffset(backend, a), heapOffset(backend, b), heapOffset(backend, out)];
  const aWhole = sizeOf(batchA) === 1 ? wasmId(backend, a) : -1;
  const views = new HeapViews(backend);
  try {
    for (let i = 0; i < ia.length; i++) {
      const aId = aWhole >= 0 ? aWhole : views.view(offA + 4 * ia[i]! * m * k, m * k);
      const bId = views.view(offB + 4 * ib[i]! * k * n, k * n);
      product(aId, bId, views.view(offOut + 4 * i * m * n, m * n), m, k, n);
      // Released per item: each b view holds an XNNPACK operator with its own packed copy.
      views.release();
    }
  } finally {
    views.release();
  }
  return out;
}

/** Runs `body` on the operands with transposes made explicit, disposing the copies after. */
function withUntransposed<T>(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean, body: (a: tf.TensorInfo, b: tf.TensorInfo) => T): T {
  const temps: tf.TensorInfo[] = [];
  try {
    const a2 = transposeA ? swapLastTwo(backend, a) : a;
    if (transposeA) temps.push(a2);
    const b2 = transposeB ? swapLastTwo(backend, b) : b;
    if (transposeB) temps.push(b2);
    return body(a2, b2);
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

export function makeBatchMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
    const backend = asWasmBackend(args.backend);
    return withUntransposed(backend, a, b, transposeA, transposeB, (a2, b2) => untransposedProduct(backend, a2, b2, plainProduct(backend)));
  };
}

export function makeFusedMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as tf._FusedMatMulInputs;
    const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as unknown as tf._FusedMatMulAttrs;
    const code = ACTIVATION[activation];
    const n = b.shape[b.shape.length - (transposeB ? 2 : 1)];
    // XNNPACK reads exactly N bias values per row; prelu weights would be indexed per item.
    const fastPathFits =
      a.dtype === 'float32' && b.dtype === 'float32' && code !== undefined && code !== ACTIVATION.prelu &&
      (bias == null || (bias.shape.length === 1 && bias.shape[0] === n)) && preluActivationWeights == null;
    if (!fastPathFits) return original(args);
    const backend = asWasmBackend(args.backend);
    const biasId = bias == null ? 0 : wasmId(backend, bias);
    const product = fusedProduct(backend, code, biasId, 0, leakyreluAlpha ?? 0);
    return withUntransposed(backend, a, b, transposeA, transposeB, (a2, b2) => untransposedProduct(backend, a2, b2, product));
  };
}
