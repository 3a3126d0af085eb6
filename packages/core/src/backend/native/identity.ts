import type * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend } from '../wasm-kernels/heap.js';

interface RefCounted {
  incRef(dataId: tf.DataId): void;
}

/**
 * Identity without a copy. tfjs clones every tensor a kernel saves for the backward pass
 * (engine.saveTensorsForBackwardMode), and wasm's Identity copies the data each time (about
 * 12% of a clip-mini training step); the cpu and webgl backends share the data and count a
 * reference instead, as here. Safe because no kernel writes into an existing tensor.
 */
export function makeZeroCopyIdentity(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return fallback(args);
    (asWasmBackend(args.backend) as unknown as RefCounted).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

/** Cast to the dtype it already has (every Multiply gradient does one) shares the data too. */
export function makeZeroCopyCast(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { dtype } = args.attrs as unknown as tf.CastAttrs;
    if (dtype !== x.dtype || x.dtype === 'string') return fallback(args);
    (asWasmBackend(args.backend) as unknown as RefCounted).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}
