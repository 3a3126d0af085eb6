import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';

/**
 * The framing shared by the dataset caches (pixel-cache.ts, emoji-speech/speech-cache.ts):
 * `magic`, uint32 LE header length, uint32 LE CRC-32 of the body, a JSON header, then the body.
 * The header holds the cache key, so a file written for other settings is never read as this one.
 */
export interface CacheFileFormat {
  /** Names the file type and its layout version, e.g. 'MLPIXEL1' (8 bytes, latin1). */
  magic: Buffer;
  /** What the body holds, for messages: 'pixel' gives "pixel data is 5 bytes, expected 6" and "pixel checksum mismatch". */
  body: string;
  /** A larger header length is damage, not a reason to allocate it. */
  maxHeaderBytes: number;
}

export type CacheFileRead<T> = { status: 'hit'; header: T; body: Buffer } | { status: 'missing' } | { status: 'corrupt'; reason: string };

/** The cache's own header fields: what the caller keeps and how many body bytes they promise, or why they are invalid. */
export type ParseCacheHeader<T> = (header: Record<string, unknown>) => { header: T; bodyBytes: number } | string;

/**
 * Reads and checks one cache file, in this order: magic, header length, JSON header, every field of
 * `key` (strictly equal), then `parseHeader` (the cache's own header fields: returns what the caller
 * keeps and how many body bytes the header promises, or a reason), then the body length and checksum.
 * A missing file is `missing`; anything else wrong is `corrupt` with the reason, for the caller to rebuild.
 */
export async function readCacheFile<K extends object, T>(
  file: string,
  format: CacheFileFormat,
  key: K,
  parseHeader: ParseCacheHeader<T>,
): Promise<CacheFileRead<T>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    return { status: 'corrupt', reason: `unreadable (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
  const result = verify(bytes, format, key, parseHeader);
  return typeof result === 'string' ? { status: 'corrupt', reason: result } : { status: 'hit', ...result };
}

function verify<K extends object, T>(
  bytes: Buffer,
  format: CacheFileFormat,
  key: K,
  parseHeader: ParseCacheHeader<T>,
): { header: T; body: Buffer } | string {
  const { magic } = format;
  const prefixBytes = magic.length + 8;
  if (bytes.length < prefixBytes || !bytes.subarray(0, magic.length).equals(magic)) return 'bad magic';
  const headerBytes = bytes.readUInt32LE(magic.length);
  const checksum = bytes.readUInt32LE(magic.length + 4);
  if (headerBytes > format.maxHeaderBytes || prefixBytes + headerBytes > bytes.length) return 'header length out of range';
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8', prefixBytes, prefixBytes + headerBytes));
  } catch {
    return 'header is not JSON';
  }
  if (typeof json !== 'object' || json === null) return 'header is not an object';
  const h = json as Record<string, unknown>;
  for (const field of Object.keys(key) as Array<keyof K & string>) {
    if (h[field] !== key[field]) return `header ${field} is ${JSON.stringify(h[field])}, expected ${JSON.stringify(key[field])}`;
  }
  const parsed = parseHeader(h);
  if (typeof parsed === 'string') return parsed;
  const body = bytes.subarray(prefixBytes + headerBytes);
  if (body.length !== parsed.bodyBytes) return `${format.body} data is ${body.length} bytes, expected ${parsed.bodyBytes}`;
  if (crc32(body) !== checksum) return `${format.body} checksum mismatch`;
  return { header: parsed.header, body };
}

/**
 * Writes `header` (which must hold the key's fields) as JSON and then `body`, to a temporary file in the
 * same folder that is then renamed: readers never see a half-written file.
 */
export async function writeCacheFile(file: string, format: CacheFileFormat, header: object, body: Uint8Array): Promise<void> {
  const { magic } = format;
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(magic.length + 8);
  magic.copy(prefix, 0);
  prefix.writeUInt32LE(json.length, magic.length);
  prefix.writeUInt32LE(crc32(body), magic.length + 4);

  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, Buffer.concat([prefix, json, body]));
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
