import * as tf from '@tensorflow/tfjs-core';

/** Sizes of k nearly equal consecutive chunks of n rows, larger ones first. */
export function chunkSizes(n: number, k: number): number[] {
  if (!Number.isInteger(k) || k <= 0) throw new Error(`chunkSizes: chunks must be a positive integer, got ${k}`);
  if (k > n) throw new Error(`chunkSizes: cannot split a batch of ${n} into ${k} chunks; use at most ${n}`);
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

function batchSizeOf(x: unknown, path: string, found: { n?: number; path?: string }): void {
  if (x instanceof tf.Tensor) {
    if (x.rank === 0) throw new Error(`splitBatch: '${path}' is a scalar; every tensor of a batch needs a leading batch axis`);
    if (found.n === undefined) Object.assign(found, { n: x.shape[0], path });
    else if (x.shape[0] !== found.n) throw new Error(`splitBatch: '${path}' has batch ${x.shape[0]} but '${found.path}' has ${found.n}`);
  } else if (x !== null && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) batchSizeOf(v, path === '' ? k : `${path}.${k}`, found);
  }
}

function sliceRows<B>(x: B, start: number, size: number): B {
  if (x instanceof tf.Tensor) return tf.slice(x, start, size) as B;
  if (x !== null && typeof x === 'object') {
    const out: Record<string, unknown> = Array.isArray(x) ? ([] as unknown as Record<string, unknown>) : {};
    for (const [k, v] of Object.entries(x)) out[k] = sliceRows(v, start, size);
    return out as B;
  }
  return x;
}

/**
 * Splits every tensor of a (nested) batch along axis 0 into k consecutive chunks; non-tensor
 * leaves are shared. The chunks are new tensors: the caller disposes them.
 */
export function splitBatch<B>(batch: B, k: number): B[] {
  const found: { n?: number; path?: string } = {};
  batchSizeOf(batch, '', found);
  if (found.n === undefined) throw new Error('splitBatch: the batch holds no tensor');
  let start = 0;
  return chunkSizes(found.n, k).map((size) => {
    const chunk = sliceRows(batch, start, size);
    start += size;
    return chunk;
  });
}
