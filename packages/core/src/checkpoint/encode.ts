import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import {
  CHECKPOINT_VERSION,
  FORMAT_NAME,
  HEADER_START,
  HOST_IS_LITTLE_ENDIAN,
  MAGIC_BYTES,
  alignUp,
  isCheckpointDType,
  swapBytes32,
  type CheckpointDType,
  type CheckpointHeader,
  type CheckpointState,
  type TensorEntry,
} from './format.js';

export interface EncodeOptions {
  /** Fixed timestamp for reproducible bytes (tests, content-addressed storage). Default: now. */
  createdAt?: Date;
}

/**
 * Serialises tensors and meta into the checkpoint layout described in format.ts.
 * Reads tensor data asynchronously, so the caller must keep the tensors alive until the
 * promise settles. Names are written in sorted order so equal states give equal bytes.
 */
export async function encodeCheckpoint(state: CheckpointState, options: EncodeOptions = {}): Promise<Uint8Array> {
  if (typeof state.meta !== 'object' || state.meta === null || Array.isArray(state.meta)) {
    throw new Error(`Cannot checkpoint meta: expected a plain object, received ${kindOf(state.meta)}`);
  }
  assertJsonValue(state.meta, 'meta', new Set());
  const names = Object.keys(state.tensors).sort();
  const entries: TensorEntry[] = [];
  const chunks: Uint8Array[] = [];
  let cursor = 0;
  for (const name of names) {
    const bytes = await tensorBytes(name, state.tensors[name]);
    const dtype = state.tensors[name]!.dtype as CheckpointDType;
    entries.push({
      name,
      dtype,
      shape: [...state.tensors[name]!.shape],
      offset: cursor,
      byteLength: bytes.byteLength,
      sha256: sha256Hex(bytes),
    });
    chunks.push(bytes);
    cursor = alignUp(cursor + bytes.byteLength);
  }

  const header: CheckpointHeader = {
    format: FORMAT_NAME,
    version: CHECKPOINT_VERSION,
    tensors: entries,
    meta: state.meta,
    createdAt: (options.createdAt ?? new Date()).toISOString(),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = alignUp(HEADER_START + headerBytes.byteLength);
  // The file ends where the furthest tensor ends, so truncating any byte of any tensor is detectable.
  const dataEnd = entries.reduce((end, e) => Math.max(end, e.offset + e.byteLength), 0);

  const out = new Uint8Array(dataStart + dataEnd);
  out.set(MAGIC_BYTES, 0);
  new DataView(out.buffer).setUint32(MAGIC_BYTES.length, headerBytes.byteLength, true);
  out.set(createHash('sha256').update(headerBytes).digest(), MAGIC_BYTES.length + 4);
  out.set(headerBytes, HEADER_START);
  entries.forEach((e, i) => out.set(chunks[i]!, dataStart + e.offset));
  return out;
}

/** Little-endian bytes of one tensor, refusing what the format cannot represent exactly. */
async function tensorBytes(name: string, t: tf.Tensor | undefined): Promise<Uint8Array> {
  if (!(t instanceof tf.Tensor)) {
    throw new Error(`Cannot checkpoint tensor '${name}': expected a tf.Tensor, received ${kindOf(t)}`);
  }
  if (t.isDisposed) {
    throw new Error(`Cannot checkpoint tensor '${name}': it is disposed`);
  }
  if (!isCheckpointDType(t.dtype)) {
    throw new Error(`Cannot checkpoint tensor '${name}': dtype '${t.dtype}' is not one of float32, int32, bool`);
  }
  let data: tf.TypedArray | string[] | Uint8Array[];
  try {
    data = await t.data();
  } catch (cause) {
    throw new Error(`Cannot checkpoint tensor '${name}': reading its data failed: ${String(cause)}`, { cause });
  }
  if (data.length !== t.size) {
    throw new Error(`Cannot checkpoint tensor '${name}': data has ${data.length} elements, shape says ${t.size}`);
  }
  if (t.dtype === 'bool') {
    // Backends may hand back any numeric array for bool; the file stores exactly 0 or 1.
    return Uint8Array.from(data as ArrayLike<number>, (v) => (v ? 1 : 0));
  }
  const expected = t.dtype === 'float32' ? Float32Array : Int32Array;
  // Copy into the exact element type: the cpu backend returns its live store, which must not be
  // touched, and a same-type copy keeps NaN payloads bit-exact.
  const typed = data instanceof expected ? data.slice() : expected.from(data as ArrayLike<number>);
  const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  if (!HOST_IS_LITTLE_ENDIAN) swapBytes32(bytes);
  return bytes;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Meta must survive JSON.stringify/parse unchanged, or a loaded run silently differs from the
 * saved one. Undefined object properties are allowed (they read back as undefined anyway);
 * everything JSON would drop, coerce to null or throw on is refused with its path.
 */
function assertJsonValue(value: unknown, path: string, ancestors: Set<object>): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new Error(`Cannot checkpoint ${path}: ${value} is not representable in JSON (use a string or null)`);
    }
    return;
  }
  if (typeof value !== 'object') {
    throw new Error(`Cannot checkpoint ${path}: expected a JSON value, received ${kindOf(value)}`);
  }
  if (ancestors.has(value)) throw new Error(`Cannot checkpoint ${path}: circular reference`);
  ancestors.add(value);
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      if (v === undefined) throw new Error(`Cannot checkpoint ${path}[${i}]: undefined in an array would read back as null`);
      assertJsonValue(v, `${path}[${i}]`, ancestors);
    });
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new Error(`Cannot checkpoint ${path}: expected a plain object, received ${kindOf(value)}`);
    }
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) assertJsonValue(v, `${path}.${k}`, ancestors);
    }
  }
  ancestors.delete(value);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}
