import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend, sizeOf } from './heap.js';

/**
 * UnsortedSegmentSum: out[s, ...] = sum of x[i, ...] over i with segmentIds[i] = s. It is the
 * gradient of gather (embedding lookups), which wasm lacks. Ids outside [0, numSegments) are
 * dropped, as TensorFlow does.
 */
export const unsortedSegmentSum: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const backend = asWasmBackend(anyBackend);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum on wasm: x must be float32 or int32, got ${x.dtype}`);
  }
  const idsRank = segmentIds.shape.length;
  if (segmentIds.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`UnsortedSegmentSum on wasm: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`);
  }
  const inner = sizeOf(x.shape.slice(idsRank));
  const out = backend.makeOutput([numSegments, ...x.shape.slice(idsRank)], x.dtype);
  // Views only after makeOutput: allocating can grow the heap and detach earlier views.
  const outVals = backend.typedArrayFromHeap(out);
  const xVals = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  outVals.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) outVals[dst + j]! += xVals[src + j]!;
  }
  return out;
};
