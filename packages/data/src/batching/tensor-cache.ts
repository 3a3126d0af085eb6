import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readCacheFile, writeCacheFile, type CacheFileFormat } from '../datasets/cache-file.js';

/**
 * Decoded tensors on disk, framed as in cache-file.ts: magic, header length, CRC-32 of the body, a JSON header
 * (the key, then each tensor's name, dtype, shape and byte range), then the tensors' bytes back to back
 * (little-endian, as every platform Node runs on).
 */
const FORMAT: CacheFileFormat = { magic: Buffer.from('MLTENSR1', 'latin1'), body: 'tensor', maxHeaderBytes: 1 << 20 };

/** Bumped when the layout changes, so older files are rebuilt rather than misread. */
export const TENSOR_CACHE_VERSION = 1;

export type CachedArray = Float32Array | Int32Array | Uint8Array;
export type CachedDtype = 'float32' | 'int32' | 'uint8';
export interface CachedTensor {
  data: CachedArray;
  shape: number[];
}
/** What one source decodes to, e.g. `{ image: { data, shape: [224, 224, 3] } }`. */
export type CachedTensors = Record<string, CachedTensor>;

/** Any JSON value describing the transform (decoder, size, sample rate, version); key order does not matter. */
export type TransformDescription = null | boolean | number | string | TransformDescription[] | { [key: string]: TransformDescription };

export interface TensorCacheKey {
  version: number;
  /** sha256 of the source file's bytes, hex */
  contentHash: string;
  /** The transform description, as JSON with sorted keys */
  transform: string;
}

export interface TensorCacheResult {
  tensors: CachedTensors;
  /** `hit`: read from disk; `built`: no entry; `rebuilt`: the entry was corrupt (`reason` says why) and was replaced. */
  outcome: 'hit' | 'built' | 'rebuilt';
  reason?: string;
  file: string;
}

interface TensorEntry {
  name: string;
  dtype: CachedDtype;
  shape: number[];
  byteOffset: number;
  byteLength: number;
}

const BYTES: Record<CachedDtype, number> = { float32: 4, int32: 4, uint8: 1 };

function dtypeOf(data: CachedArray): CachedDtype {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  return 'uint8';
}

/** JSON with object keys sorted at every level, so `{ a, b }` and `{ b, a }` give one key. */
export function stableStringify(value: TransformDescription): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(value[k] as TransformDescription)}`)
      .join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError(`stableStringify: transform numbers must be finite, got ${value}`);
  return JSON.stringify(value);
}

function parseEntries(h: Record<string, unknown>): { header: TensorEntry[]; bodyBytes: number } | string {
  const list = h['tensors'];
  if (!Array.isArray(list)) return 'header tensors missing';
  let offset = 0;
  const out: TensorEntry[] = [];
  for (const raw of list as unknown[]) {
    if (typeof raw !== 'object' || raw === null) return 'header tensor entry is not an object';
    const e = raw as Record<string, unknown>;
    const dtype = e['dtype'];
    const shape = e['shape'];
    if (typeof e['name'] !== 'string') return 'header tensor name invalid';
    if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'uint8') return `header tensor ${e['name']} dtype ${JSON.stringify(dtype)} invalid`;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) return `header tensor ${e['name']} shape invalid`;
    const byteLength = (shape as number[]).reduce((a, b) => a * b, 1) * BYTES[dtype];
    if (e['byteOffset'] !== offset || e['byteLength'] !== byteLength) return `header tensor ${e['name']} byte range invalid`;
    out.push({ name: e['name'], dtype, shape: shape as number[], byteOffset: offset, byteLength });
    offset += byteLength;
  }
  return { header: out, bodyBytes: offset };
}

/** Copies out of the file buffer: its offsets need not be aligned for Float32Array/Int32Array. */
function viewOf(body: Buffer, e: TensorEntry): CachedArray {
  const bytes = body.buffer.slice(body.byteOffset + e.byteOffset, body.byteOffset + e.byteOffset + e.byteLength);
  return e.dtype === 'float32' ? new Float32Array(bytes) : e.dtype === 'int32' ? new Int32Array(bytes) : new Uint8Array(bytes);
}

/**
 * An on-disk cache of decoded (resized, resampled) tensors, keyed by the sha256 of the source file's content
 * and a description of the transform: editing the file or changing the transform gives a new key, renaming
 * or touching the file does not. Entries are written atomically; an entry that fails its checks (magic, key,
 * lengths, CRC) is rebuilt, never trusted.
 */
export class TensorCache {
  constructor(readonly dir: string) {}

  async keyOf(source: string, transform: TransformDescription): Promise<{ key: TensorCacheKey; file: string }> {
    const contentHash = createHash('sha256').update(await readFile(source)).digest('hex');
    const key: TensorCacheKey = { version: TENSOR_CACHE_VERSION, contentHash, transform: stableStringify(transform) };
    const name = createHash('sha256').update(`${key.version}\n${key.contentHash}\n${key.transform}`).digest('hex');
    return { key, file: join(this.dir, name.slice(0, 2), `${name}.bin`) };
  }

  /** The cached tensors for `source` under `transform`, or `build()`'s, which are then stored. */
  async getOrBuild(source: string, transform: TransformDescription, build: () => Promise<CachedTensors> | CachedTensors): Promise<TensorCacheResult> {
    const { key, file } = await this.keyOf(source, transform);
    const read = await readCacheFile(file, FORMAT, key, parseEntries);
    if (read.status === 'hit') {
      const tensors: CachedTensors = {};
      for (const e of read.header) tensors[e.name] = { data: viewOf(read.body, e), shape: e.shape };
      return { tensors, outcome: 'hit', file };
    }
    const tensors = await build();
    await this.write(file, key, tensors);
    return read.status === 'corrupt' ? { tensors, outcome: 'rebuilt', reason: read.reason, file } : { tensors, outcome: 'built', file };
  }

  private async write(file: string, key: TensorCacheKey, tensors: CachedTensors): Promise<void> {
    const entries: TensorEntry[] = [];
    const parts: Uint8Array[] = [];
    let offset = 0;
    for (const name of Object.keys(tensors).sort()) {
      const { data, shape } = tensors[name] as CachedTensor;
      const count = shape.reduce((a, b) => a * b, 1);
      if (!shape.every((d) => Number.isInteger(d) && d >= 0) || count !== data.length) {
        throw new RangeError(`TensorCache: tensor '${name}' has ${data.length} values, shape [${shape.join(', ')}] needs ${count}`);
      }
      const dtype = dtypeOf(data);
      entries.push({ name, dtype, shape: [...shape], byteOffset: offset, byteLength: data.byteLength });
      parts.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      offset += data.byteLength;
    }
    await writeCacheFile(file, FORMAT, { ...key, tensors: entries }, Buffer.concat(parts));
  }
}
