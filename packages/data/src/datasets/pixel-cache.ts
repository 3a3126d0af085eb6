import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';

/**
 * A decoded image set on disk: 8-byte magic, uint32 LE header length, uint32 LE CRC-32 of the pixels,
 * a JSON header (the key, the row count and the row ids), then `[count, size, size, 3]` uint8 RGB.
 * Bytes, not floats: sharp's output is 8-bit, so this is lossless and 4x smaller than Float32.
 */
const MAGIC = Buffer.from('MLPIXEL1', 'latin1');
const PREFIX_BYTES = MAGIC.length + 8;
const MAX_HEADER_BYTES = 16 << 20;

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
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    return { status: 'corrupt', reason: `unreadable (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
  const reason = verify(bytes, key);
  return typeof reason === 'string' ? { status: 'corrupt', reason } : { status: 'hit', entry: reason };
}

function verify(bytes: Buffer, key: PixelCacheKey): PixelCacheEntry | string {
  if (bytes.length < PREFIX_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return 'bad magic';
  const headerBytes = bytes.readUInt32LE(MAGIC.length);
  const checksum = bytes.readUInt32LE(MAGIC.length + 4);
  if (headerBytes > MAX_HEADER_BYTES || PREFIX_BYTES + headerBytes > bytes.length) return 'header length out of range';
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerBytes));
  } catch {
    return 'header is not JSON';
  }
  if (typeof header !== 'object' || header === null) return 'header is not an object';
  const h = header as Record<string, unknown>;
  for (const field of ['dataset', 'source', 'style', 'size', 'preprocess'] as const) {
    if (h[field] !== key[field]) return `header ${field} is ${JSON.stringify(h[field])}, expected ${JSON.stringify(key[field])}`;
  }
  const ids = h['ids'];
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string') || ids.length !== h['count']) return 'header ids/count invalid';
  const expected = ids.length * key.size * key.size * 3;
  const pixels = bytes.subarray(PREFIX_BYTES + headerBytes);
  if (pixels.length !== expected) return `pixel data is ${pixels.length} bytes, expected ${expected}`;
  if (crc32(pixels) !== checksum) return 'pixel checksum mismatch';
  return { ids: ids as string[], pixels: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength) };
}

/** Written to a temporary file in the same folder, then renamed: readers never see a half-written file. */
export async function writePixelCache(file: string, key: PixelCacheKey, entry: PixelCacheEntry): Promise<void> {
  const expected = entry.ids.length * key.size * key.size * 3;
  if (entry.pixels.length !== expected) {
    throw new RangeError(`writePixelCache: pixels has ${entry.pixels.length} bytes, expected ${expected}`);
  }
  const header = Buffer.from(JSON.stringify({ ...key, count: entry.ids.length, ids: entry.ids }), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(header.length, MAGIC.length);
  prefix.writeUInt32LE(crc32(entry.pixels), MAGIC.length + 4);

  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, Buffer.concat([prefix, header, entry.pixels]));
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
