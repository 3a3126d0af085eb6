import type * as tf from '@tensorflow/tfjs-core';
import { heapOffset, type WasmBackend } from '../wasm-kernels/heap.js';

/** The wasm memory as a plain ArrayBuffer, or undefined (a threaded build shares it: not handled). */
export function heapBuffer(backend: WasmBackend): ArrayBuffer | undefined {
  const buffer = backend.wasm.HEAPU8.buffer;
  return buffer instanceof ArrayBuffer ? buffer : undefined;
}

/** Bytes per element of the dtypes the native kernels move (string tensors are not on the heap). */
export const ELEMENT_BYTES: Partial<Record<tf.DataType, number>> = { float32: 4, int32: 4, bool: 1 };

/**
 * Allocates the output, then hands `write` the heap and the output's offset: allocating may
 * grow the heap (which replaces the buffer), so both are read after it. Undefined, with the
 * output freed, when the heap is not a plain ArrayBuffer.
 */
export function writeOutput(backend: WasmBackend, shape: number[], dtype: tf.DataType, write: (heap: ArrayBuffer, out: number) => void): tf.TensorInfo | undefined {
  const out = backend.makeOutput(shape, dtype);
  const heap = heapBuffer(backend);
  if (heap === undefined) {
    backend.disposeData(out.dataId);
    return undefined;
  }
  try {
    write(heap, heapOffset(backend, out));
  } catch (err) {
    backend.disposeData(out.dataId);
    throw err;
  }
  return out;
}

/**
 * Tensors smaller than this stay on wasm: a native call costs a few microseconds (N-API, a
 * primitive lookup), which wasm's SIMD loops spend on about this many elements.
 */
export const MIN_NATIVE_ELEMENTS = 16_384;
