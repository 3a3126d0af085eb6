import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCacheFile, writeCacheFile, type CacheFileFormat, type CacheFileRead, type ParseCacheHeader } from './cache-file.js';

const format: CacheFileFormat = { magic: Buffer.from('MLTEST01', 'latin1'), body: 'test', maxHeaderBytes: 1024 };
const key = { dataset: 'test', size: 2 };
const body = Uint8Array.from([1, 2, 3, 4, 5, 6]);
/** The cache's own header field: `n`, the body length. */
const parse: ParseCacheHeader<number> = (h) => (typeof h['n'] === 'number' ? { header: h['n'], bodyBytes: h['n'] } : 'header n invalid');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modalab-cache-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a good file, damages its bytes, and returns what a read makes of them. */
async function readDamaged(damage: (bytes: Buffer) => Buffer, readKey: object = key): Promise<CacheFileRead<number>> {
  const file = join(dir, 'damaged.bin');
  await writeCacheFile(file, format, { ...key, n: body.length }, body);
  await writeFile(file, damage(await readFile(file)));
  return readCacheFile(file, format, readKey, parse);
}

describe('cache file', () => {
  it('round-trips header and body, framed as documented, and leaves no temporary file', async () => {
    const file = join(dir, 'round-trip.bin');
    await writeCacheFile(file, format, { ...key, n: body.length }, body);
    const bytes = await readFile(file);
    const json = '{"dataset":"test","size":2,"n":6}';
    expect(bytes.toString('latin1', 0, 8)).toBe('MLTEST01');
    expect(bytes.readUInt32LE(8)).toBe(json.length);
    expect(bytes.toString('utf8', 16, 16 + json.length)).toBe(json);
    expect(Array.from(bytes.subarray(16 + json.length))).toEqual(Array.from(body));
    expect(await readdir(dir)).toEqual(['round-trip.bin']);

    const read = await readCacheFile(file, format, key, parse);
    expect(read.status).toBe('hit');
    if (read.status !== 'hit') return;
    expect(read.header).toBe(6);
    expect(Array.from(read.body)).toEqual(Array.from(body));
  });

  it('reports a missing file as missing', async () => {
    expect(await readCacheFile(join(dir, 'nope.bin'), format, key, parse)).toEqual({ status: 'missing' });
  });

  it.each([
    ['an empty file', () => Buffer.alloc(0), 'bad magic'],
    ['a wrong magic', (b: Buffer) => Buffer.concat([Buffer.from('XX'), b.subarray(2)]), 'bad magic'],
    ['a file cut inside the header', (b: Buffer) => b.subarray(0, 20), 'header length out of range'],
    ['a header length over the limit', (b: Buffer) => { const c = Buffer.from(b); c.writeUInt32LE(1025, 8); return c; }, 'header length out of range'],
    ['a header that is not JSON', (b: Buffer) => { const c = Buffer.from(b); c[16] = 0x7b + 1; return c; }, 'header is not JSON'],
    ['a truncated body', (b: Buffer) => b.subarray(0, b.length - 1), 'test data is 5 bytes, expected 6'],
    ['a flipped body bit', (b: Buffer) => { const c = Buffer.from(b); c[c.length - 1] = (c[c.length - 1] ?? 0) ^ 1; return c; }, 'test checksum mismatch'],
    ['a flipped checksum bit', (b: Buffer) => { const c = Buffer.from(b); c[12] = (c[12] ?? 0) ^ 1; return c; }, 'test checksum mismatch'],
  ])('reports %s as corrupt with the reason', async (_name, damage, reason) => {
    expect(await readDamaged(damage)).toEqual({ status: 'corrupt', reason });
  });

  it('rejects a file written for another key, naming the field', async () => {
    expect(await readDamaged((b) => b, { ...key, size: 3 })).toEqual({ status: 'corrupt', reason: 'header size is 2, expected 3' });
    expect(await readDamaged((b) => b, { ...key, style: 'flat' })).toEqual({ status: 'corrupt', reason: 'header style is undefined, expected "flat"' });
  });

  it("passes on the cache's own header check", async () => {
    const file = join(dir, 'no-n.bin');
    await writeCacheFile(file, format, key, body);
    expect(await readCacheFile(file, format, key, parse)).toEqual({ status: 'corrupt', reason: 'header n invalid' });
  });
});
