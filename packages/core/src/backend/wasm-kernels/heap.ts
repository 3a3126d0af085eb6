import * as tf from '@tensorflow/tfjs-core';

/** The parts of the emscripten module behind tfjs-backend-wasm that the kernels here use. */
export interface WasmModule {
  HEAPU8: Uint8Array;
  cwrap(name: string, returnType: null, argTypes: string[]): (...args: unknown[]) => void;
  tfjs: {
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
  };
}

interface TensorData {
  id: number;
  memoryOffset: number;
}

/**
 * The parts of `BackendWasm` the kernels use. Typed structurally because the package does not
 * export its backend class; `dataIdNextNumber` is private there but is the only safe source of
 * ids that never collide with a tensor's.
 */
export interface WasmBackend {
  wasm: WasmModule;
  dataIdMap: { get(dataId: tf.DataId): TensorData | undefined };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: tf.DataId): boolean;
}

export function asWasmBackend(backend: unknown): WasmBackend {
  const b = backend as Partial<WasmBackend>;
  if (b.wasm === undefined || b.dataIdMap === undefined || typeof b.makeOutput !== 'function') {
    throw new Error('wasm-kernels: the kernel was called with a backend that is not tfjs-backend-wasm');
  }
  return b as WasmBackend;
}

function tensorData(backend: WasmBackend, t: tf.TensorInfo): TensorData {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error(`wasm-kernels: tensor of shape [${t.shape}] has no data on the wasm backend`);
  return data;
}

/** The id under which the C++ side knows the tensor. */
export const wasmId = (backend: WasmBackend, t: tf.TensorInfo): number => tensorData(backend, t).id;
/** Byte offset of the tensor's data on the wasm heap. */
export const heapOffset = (backend: WasmBackend, t: tf.TensorInfo): number => tensorData(backend, t).memoryOffset;

/**
 * Float32 windows onto existing heap memory, registered with the C++ side under fresh ids so
 * a C++ kernel can read or write a sub-range of a tensor without a copy. Ids are never reused,
 * so C++ caches keyed by id (XNNPACK packs the right operand per id) cannot serve stale data;
 * `release` unregisters them, which also runs C++ disposal callbacks for those ids.
 */
export class HeapViews {
  private readonly ids: number[] = [];
  constructor(private readonly backend: WasmBackend) {}

  view(byteOffset: number, size: number): number {
    const id = this.backend.dataIdNextNumber++;
    this.backend.wasm.tfjs.registerTensor(id, size, byteOffset);
    this.ids.push(id);
    return id;
  }

  release(): void {
    for (const id of this.ids) this.backend.wasm.tfjs.disposeData(id);
    this.ids.length = 0;
  }
}

/** Shape as the byte array that cwrap's 'array' argument type copies onto the wasm stack. */
export const shapeBytes = (shape: readonly number[]): Uint8Array => new Uint8Array(new Int32Array(shape).buffer);

/** Looks up an emscripten export once per module instance. */
export function cwrapCached(cache: WeakMap<WasmModule, (...args: unknown[]) => void>, wasm: WasmModule, name: string, argTypes: string[]) {
  let fn = cache.get(wasm);
  if (fn === undefined) {
    fn = wasm.cwrap(name, null, argTypes);
    cache.set(wasm, fn);
  }
  return fn;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
