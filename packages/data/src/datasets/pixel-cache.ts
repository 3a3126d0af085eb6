import { join } from 'node:path';
import { readCacheFile, writeCacheFile, type CacheFileFormat } from './cache-file.js';

/**
 * A decoded image set on disk, framed as in cache-file.ts: 8-byte magic, uint32 LE header length, uint32 LE
 * CRC-32 of the pixels, a JSON header (the key, the row count and the row ids), then `[count, size, size, 3]`
 * uint8 RGB. Bytes, not floats: sharp's output is 8-bit, so this is lossless and 4x smaller than Float32.
 */
const FORMAT: CacheFileFormat = { magic: Buffer.from('MLPIXEL1', 'latin1'), body: 'pixel', maxHeaderBytes: 16 << 20 };

export interface PixelCacheKey {
  dataset: string;
  /** The source package and version, e.g. 'emoji-datasource-google@16.0.0'. */
  source: string;
  style: string;
  size: number;
  /** Bumped whenever decoding changes (kernel, background), so old files are not reused. */
  preprocess: number;
}

export interface PixelCacheEntry {
  ids: string[];
  /** [ids.length, size, size, 3] */
  pixels: Uint8Array;
}

export type PixelCacheRead =
  | { status: 'hit'; entry: PixelCacheEntry }
  | { status: 'missing' }
  | { status: 'corrupt'; reason: string };

export function pixelCacheFile(dir: string, key: PixelCacheKey): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_');
  return join(dir, `${safe(key.dataset)}-${safe(key.source)}-${safe(key.style)}-${key.size}px-p${key.preprocess}.bin`);
}

export async function readPixelCache(file: string, key: PixelCacheKey): Promise<PixelCacheRead> {
  const read = await readCacheFile(file, FORMAT, key, (h) => {
    const ids = h['ids'];
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string') || ids.length !== h['count']) return 'header ids/count invalid';
    return { header: ids as string[], bodyBytes: ids.length * key.size * key.size * 3 };
  });
  if (read.status !== 'hit') return read;
  const { header: ids, body } = read;
  return { status: 'hit', entry: { ids, pixels: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) } };
}

/** Written to a temporary file in the same folder, then renamed: readers never see a half-written file. */
export async function writePixelCache(file: string, key: PixelCacheKey, entry: PixelCacheEntry): Promise<void> {
  const expected = entry.ids.length * key.size * key.size * 3;
  if (entry.pixels.length !== expected) {
    throw new RangeError(`writePixelCache: pixels has ${entry.pixels.length} bytes, expected ${expected}`);
  }
  await writeCacheFile(file, FORMAT, { ...key, count: entry.ids.length, ids: entry.ids }, entry.pixels);
}
