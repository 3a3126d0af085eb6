import { endianness } from 'node:os';
import { join } from 'node:path';
import { readCacheFile, writeCacheFile, type CacheFileFormat } from '../cache-file.js';

/**
 * Synthesised phrases of one voice on disk, framed as in cache-file.ts: 8-byte magic, uint32 LE header length,
 * uint32 LE CRC-32 of the samples, a JSON header (the key and one { id, text, length } per phrase), then every
 * phrase's int16 LE samples back to back. Samples are kept at the engine's own rate, so any output rate reuses the file.
 */
const FORMAT: CacheFileFormat = { magic: Buffer.from('MLSPEEC1', 'latin1'), body: 'sample', maxHeaderBytes: 16 << 20 };

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
  const read = await readCacheFile(file, FORMAT, key, (h) => {
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
    return { header: list, bodyBytes: 2 * list.reduce((a, e) => a + e.length, 0) };
  });
  if (read.status !== 'hit') return read;
  // One aligned copy; on a big-endian host the bytes are swapped to native order first.
  const copy = Buffer.from(read.body);
  if (endianness() === 'BE') copy.swap16();
  const all = new Int16Array(copy.buffer, copy.byteOffset, copy.length / 2);
  let at = 0;
  const phrases = read.header.map((e) => {
    const samples = all.slice(at, at + e.length);
    at += e.length;
    return { id: e.id, text: e.text, samples };
  });
  return { status: 'hit', phrases };
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
  await writeCacheFile(file, FORMAT, { ...key, entries }, data);
}
