import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';

/**
 * Synthesised phrases of one voice on disk: 8-byte magic, uint32 LE header length, uint32 LE CRC-32 of the samples,
 * a JSON header (the key and one { id, text, length } per phrase), then every phrase's int16 LE samples back to back.
 * Samples are kept at the engine's own rate, so any output rate reuses the file.
 */
const MAGIC = Buffer.from('MLSPEEC1', 'latin1');
const PREFIX_BYTES = MAGIC.length + 8;
const MAX_HEADER_BYTES = 16 << 20;

export interface SpeechCacheKey {
  dataset: string;
  /** e.g. 'espeak-ng 1.51' */
  engine: string;
  voice: string;
  speed: number;
  pitch: number;
  sampleRate: number;
  /** Bumped whenever synthesis or trimming changes. */
  format: number;
}

export interface SpeechPhrase {
  id: string;
  text: string;
  samples: Int16Array;
}

export type SpeechCacheRead = { status: 'hit'; phrases: SpeechPhrase[] } | { status: 'missing' } | { status: 'corrupt'; reason: string };

export function speechCacheFile(dir: string, key: SpeechCacheKey): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_');
  return join(dir, `${safe(key.dataset)}-${safe(key.engine)}-${safe(key.voice)}-s${key.speed}-p${key.pitch}-${key.sampleRate}hz-f${key.format}.bin`);
}

export async function readSpeechCache(file: string, key: SpeechCacheKey): Promise<SpeechCacheRead> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    return { status: 'corrupt', reason: `unreadable (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
  const result = verify(bytes, key);
  return typeof result === 'string' ? { status: 'corrupt', reason: result } : { status: 'hit', phrases: result };
}

function verify(bytes: Buffer, key: SpeechCacheKey): SpeechPhrase[] | string {
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
  for (const field of ['dataset', 'engine', 'voice', 'speed', 'pitch', 'sampleRate', 'format'] as const) {
    if (h[field] !== key[field]) return `header ${field} is ${JSON.stringify(h[field])}, expected ${JSON.stringify(key[field])}`;
  }
  const entries = h['entries'];
  if (
    !Array.isArray(entries) ||
    !entries.every((e: unknown) => {
      const r = e as Record<string, unknown> | null;
      return typeof r === 'object' && r !== null && typeof r['id'] === 'string' && typeof r['text'] === 'string' && Number.isInteger(r['length']) && (r['length'] as number) >= 0;
    })
  ) {
    return 'header entries invalid';
  }
  const list = entries as Array<{ id: string; text: string; length: number }>;
  const data = bytes.subarray(PREFIX_BYTES + headerBytes);
  const expected = 2 * list.reduce((a, e) => a + e.length, 0);
  if (data.length !== expected) return `sample data is ${data.length} bytes, expected ${expected}`;
  if (crc32(data) !== checksum) return 'sample checksum mismatch';
  // One aligned copy; on a big-endian host the bytes are swapped to native order first.
  const copy = Buffer.from(data);
  if (endianness() === 'BE') copy.swap16();
  const all = new Int16Array(copy.buffer, copy.byteOffset, copy.length / 2);
  let at = 0;
  return list.map((e) => {
    const samples = all.slice(at, at + e.length);
    at += e.length;
    return { id: e.id, text: e.text, samples };
  });
}

/** Written to a temporary file in the same folder, then renamed: readers never see a half-written file. */
export async function writeSpeechCache(file: string, key: SpeechCacheKey, phrases: SpeechPhrase[]): Promise<void> {
  const total = phrases.reduce((a, p) => a + p.samples.length, 0);
  const native = new Int16Array(total);
  let at = 0;
  for (const p of phrases) {
    native.set(p.samples, at);
    at += p.samples.length;
  }
  const data = Buffer.from(native.buffer, native.byteOffset, native.byteLength);
  if (endianness() === 'BE') data.swap16(); // the file is little-endian
  const entries = phrases.map((p) => ({ id: p.id, text: p.text, length: p.samples.length }));
  const header = Buffer.from(JSON.stringify({ ...key, entries }), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(header.length, MAGIC.length);
  prefix.writeUInt32LE(crc32(data), MAGIC.length + 4);
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, Buffer.concat([prefix, header, data]));
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
