import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import {
  DTYPE_BYTES,
  FORMAT_NAME,
  HEADER_START,
  HOST_IS_LITTLE_ENDIAN,
  MAGIC_BYTES,
  SHA256_BYTES,
  CHECKPOINT_DTYPES,
  CheckpointError,
  alignUp,
  isCheckpointDType,
  shapeSize,
  swapBytes32,
  type CheckpointValues,
  type DecodedCheckpoint,
  type DecodedTensor,
  type TensorEntry,
} from './format.js';
import { migrateHeader } from './migrations.js';

/**
 * Parses checkpoint bytes. Only JSON.parse and byte copies run on the input, never code.
 * Every refusal is a CheckpointError naming `source` and the reason. The returned arrays are
 * copies, independent of `bytes`.
 */
export function decodeCheckpoint(bytes: Uint8Array, source = '<bytes>'): DecodedCheckpoint {
  const fail = (reason: string, cause?: unknown): never => {
    throw new CheckpointError(source, reason, cause === undefined ? undefined : { cause });
  };

  if (bytes.byteLength < MAGIC_BYTES.length || !MAGIC_BYTES.every((b, i) => bytes[i] === b)) {
    fail('not a modalab checkpoint (wrong magic bytes at the start of the file)');
  }
  if (bytes.byteLength < HEADER_START) {
    fail(`truncated: the file has ${bytes.byteLength} bytes, too short for the ${HEADER_START}-byte preamble`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(MAGIC_BYTES.length, true);
  const headerEnd = HEADER_START + headerLength;
  if (headerEnd > bytes.byteLength) {
    fail(`truncated: the header declares ${headerLength} bytes but only ${bytes.byteLength - HEADER_START} remain`);
  }
  const headerBytes = bytes.subarray(HEADER_START, headerEnd);
  const storedHash = bytes.subarray(MAGIC_BYTES.length + 4, MAGIC_BYTES.length + 4 + SHA256_BYTES);
  if (!createHash('sha256').update(headerBytes).digest().equals(storedHash)) {
    fail('header checksum mismatch (the header is corrupted)');
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (cause) {
    fail(`header is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
  if (!isRecord(parsed)) fail('header is not a JSON object');
  const raw = parsed as Record<string, unknown>;
  if (raw['format'] !== FORMAT_NAME) {
    fail(`header format is ${JSON.stringify(raw['format'])}, expected '${FORMAT_NAME}'`);
  }
  const header = migrateHeader(raw, source);
  const entries = validateEntries(header['tensors'], fail);
  const meta = header['meta'];
  if (!isRecord(meta)) fail('header meta is not a JSON object');
  const createdAt = typeof header['createdAt'] === 'string' ? header['createdAt'] : '';

  const dataStart = alignUp(headerEnd);
  const tensors: Record<string, DecodedTensor> = {};
  for (const e of entries) {
    const start = dataStart + e.offset;
    const end = start + e.byteLength;
    if (end > bytes.byteLength) {
      fail(`truncated: data of tensor '${e.name}' ends at byte ${end} but the file has ${bytes.byteLength} bytes`);
    }
    // A copy, not bytes.slice(): on a Node Buffer (what readFile returns) slice() is a view.
    const slice = new Uint8Array(bytes.subarray(start, end));
    if (createHash('sha256').update(slice).digest('hex') !== e.sha256) {
      fail(`checksum mismatch for tensor '${e.name}' (its data is corrupted)`);
    }
    tensors[e.name] = { dtype: e.dtype, shape: e.shape, values: toValues(e.dtype, slice) };
  }
  return { version: header['version'] as number, meta: meta as Record<string, unknown>, createdAt, tensors };
}

/**
 * Makes one tf tensor per entry; the caller owns and disposes them. On backends that adopt the
 * given array (cpu) a tensor may share memory with `decoded`, so don't mutate `decoded` afterwards.
 */
export function toTensors(decoded: DecodedCheckpoint): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  try {
    for (const [name, t] of Object.entries(decoded.tensors)) {
      out[name] = tf.tensor(t.values, t.shape, t.dtype);
    }
  } catch (e) {
    tf.dispose(Object.values(out));
    throw e;
  }
  return out;
}

function toValues(dtype: TensorEntry['dtype'], slice: Uint8Array): CheckpointValues {
  if (dtype === 'bool') return slice;
  if (!HOST_IS_LITTLE_ENDIAN) swapBytes32(slice);
  // `slice` is a fresh copy at offset 0, so the 4-byte view is always aligned.
  return dtype === 'float32'
    ? new Float32Array(slice.buffer, 0, slice.byteLength / 4)
    : new Int32Array(slice.buffer, 0, slice.byteLength / 4);
}

function validateEntries(value: unknown, fail: (reason: string) => never): TensorEntry[] {
  if (!Array.isArray(value)) fail('header tensors is not an array');
  const seen = new Set<string>();
  return (value as unknown[]).map((item, i) => {
    if (!isRecord(item)) fail(`header tensors[${i}] is not an object`);
    const r = item as Record<string, unknown>;
    const name = r['name'];
    if (typeof name !== 'string' || name === '') fail(`header tensors[${i}] has no name`);
    const n = name as string;
    if (seen.has(n)) fail(`duplicate tensor name '${n}'`);
    seen.add(n);
    const dtype = r['dtype'];
    if (!isCheckpointDType(dtype)) {
      fail(`tensor '${n}' has unknown dtype ${JSON.stringify(dtype)} (supported: ${CHECKPOINT_DTYPES.join(', ')})`);
    }
    const shape = r['shape'];
    if (!Array.isArray(shape) || !shape.every(isCount)) {
      fail(`tensor '${n}' shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    for (const key of ['offset', 'byteLength'] as const) {
      if (!isCount(r[key])) fail(`tensor '${n}' ${key} ${JSON.stringify(r[key])} is not a non-negative integer`);
    }
    const sha256 = r['sha256'];
    if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) {
      fail(`tensor '${n}' sha256 is not 64 lower-case hex digits`);
    }
    const d = dtype as TensorEntry['dtype'];
    const s = shape as number[];
    const byteLength = r['byteLength'] as number;
    const size = shapeSize(s);
    if (!Number.isSafeInteger(size * DTYPE_BYTES[d]) || size * DTYPE_BYTES[d] !== byteLength) {
      fail(
        `tensor '${n}' shape [${s.join(', ')}] has ${size} ${d} elements (${size * DTYPE_BYTES[d]} bytes) ` +
          `but byteLength is ${byteLength}`,
      );
    }
    return { name: n, dtype: d, shape: s, offset: r['offset'] as number, byteLength, sha256: sha256 as string };
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
