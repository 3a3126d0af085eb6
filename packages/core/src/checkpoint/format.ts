import type * as tf from '@tensorflow/tfjs-core';

/*
 * modalab checkpoint layout (all integers little-endian):
 *
 *   MAGIC                 13 bytes  "MODALAB-CKPT\n"
 *   headerLength          u32
 *   headerSha256          32 bytes  sha256 of the header bytes below
 *   header                headerLength bytes of UTF-8 JSON (CheckpointHeader)
 *   zero padding          up to the next multiple of 8
 *   data section          raw tensor buffers; each entry's offset is relative to the section
 *                         start and 8-byte aligned so a reader may view it in place
 *
 * The preamble (magic, length, header hash, JSON header) is frozen across format versions:
 * a reader must always be able to reach `version` to say "upgrade modalab" instead of a
 * misleading checksum or parse error on a newer file.
 */

export const MAGIC = 'MODALAB-CKPT\n';
export const MAGIC_BYTES = new TextEncoder().encode(MAGIC);
export const FORMAT_NAME = 'modalab-checkpoint';
export const CHECKPOINT_VERSION = 1;
export const SHA256_BYTES = 32;
/** Byte offset of the JSON header: magic, u32 length, header hash. */
export const HEADER_START = MAGIC_BYTES.length + 4 + SHA256_BYTES;
export const ALIGNMENT = 8;

export const CHECKPOINT_DTYPES = ['float32', 'int32', 'bool'] as const;
export type CheckpointDType = (typeof CHECKPOINT_DTYPES)[number];

/** Bytes per element on disk; bool is one byte holding 0 or 1, as tfjs stores it. */
export const DTYPE_BYTES: Record<CheckpointDType, number> = { float32: 4, int32: 4, bool: 1 };

export type CheckpointMeta = Record<string, unknown>;

export interface CheckpointState {
  tensors: Record<string, tf.Tensor>;
  /** JSON-serialisable: step, config, rng state, tokenizer JSON, optimizer hyper-params... */
  meta: CheckpointMeta;
}

export interface TensorEntry {
  name: string;
  dtype: CheckpointDType;
  shape: number[];
  /** Relative to the start of the data section. */
  offset: number;
  byteLength: number;
  /** Lower-case hex sha256 of the tensor's bytes. */
  sha256: string;
}

export interface CheckpointHeader {
  format: typeof FORMAT_NAME;
  version: number;
  tensors: TensorEntry[];
  meta: CheckpointMeta;
  /** ISO 8601; informational only, never used for ordering. */
  createdAt: string;
}

export type CheckpointValues = Float32Array | Int32Array | Uint8Array;

export interface DecodedTensor {
  dtype: CheckpointDType;
  shape: number[];
  values: CheckpointValues;
}

export interface DecodedCheckpoint {
  version: number;
  meta: CheckpointMeta;
  createdAt: string;
  tensors: Record<string, DecodedTensor>;
}

/** Every load/decode refusal; `source` is the file path (or the caller's label for raw bytes). */
export class CheckpointError extends Error {
  readonly source: string;
  readonly reason: string;

  constructor(source: string, reason: string, options?: { cause?: unknown }) {
    super(`Cannot load checkpoint ${source}: ${reason}`, options);
    this.name = 'CheckpointError';
    this.source = source;
    this.reason = reason;
  }
}

export function alignUp(n: number): number {
  return Math.ceil(n / ALIGNMENT) * ALIGNMENT;
}

export function isCheckpointDType(d: unknown): d is CheckpointDType {
  return typeof d === 'string' && (CHECKPOINT_DTYPES as readonly string[]).includes(d);
}

/** Element count of a shape; the empty shape is a scalar with one element. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Typed arrays use host byte order; the file is little-endian. Big-endian hosts are rare but exist. */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses each 4-byte word in place (the only multi-byte width the format has). */
export function swapBytes32(bytes: Uint8Array): void {
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    const b0 = bytes[i]!;
    const b1 = bytes[i + 1]!;
    bytes[i] = bytes[i + 3]!;
    bytes[i + 1] = bytes[i + 2]!;
    bytes[i + 2] = b1;
    bytes[i + 3] = b0;
  }
}
