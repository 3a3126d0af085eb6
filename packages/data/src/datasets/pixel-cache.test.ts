import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixelCacheFile, readPixelCache, writePixelCache, type PixelCacheKey } from './pixel-cache.js';

const key: PixelCacheKey = { dataset: 'test', source: 'pkg@1.0.0', style: 'flat', size: 2, preprocess: 1 };
const entry = { ids: ['a', 'b'], pixels: Uint8Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i * 10) };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modalab-cache-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pixel cache', () => {
  it('round-trips and leaves no temporary file', async () => {
    const file = pixelCacheFile(dir, key);
    expect(file).toMatch(/test-pkg_1\.0\.0-flat-2px-p1\.bin$/);
    await writePixelCache(file, key, entry);
    expect(await readdir(dir)).toEqual(['test-pkg_1.0.0-flat-2px-p1.bin']);
    expect(await readPixelCache(file, key)).toEqual({ status: 'hit', entry });
  });

  it('reports a missing file as missing', async () => {
    expect(await readPixelCache(join(dir, 'nope.bin'), key)).toEqual({ status: 'missing' });
  });

  it.each([
    ['an empty file', () => Buffer.alloc(0), /bad magic/],
    ['a wrong magic', (b: Buffer) => Buffer.concat([Buffer.from('XX'), b.subarray(2)]), /bad magic/],
    ['a truncated file', (b: Buffer) => b.subarray(0, b.length - 1), /pixel data is 23 bytes, expected 24/],
    ['a huge header length', (b: Buffer) => { const c = Buffer.from(b); c.writeUInt32LE(0xffffffff, 8); return c; }, /header length/],
    ['a flipped pixel', (b: Buffer) => { const c = Buffer.from(b); c[c.length - 1] = (c[c.length - 1] ?? 0) ^ 1; return c; }, /checksum/],
  ])('reports %s as corrupt', async (_name, damage, reason) => {
    const file = join(dir, 'damaged.bin');
    await writePixelCache(file, key, entry);
    await writeFile(file, damage(await readFile(file)));
    const read = await readPixelCache(file, key);
    expect(read.status).toBe('corrupt');
    expect(read.status === 'corrupt' ? read.reason : '').toMatch(reason);
  });

  it('rejects a file written for another key', async () => {
    const file = join(dir, 'other.bin');
    await writePixelCache(file, { ...key, size: 1 }, { ids: ['a'], pixels: new Uint8Array(3) });
    const read = await readPixelCache(file, key);
    expect(read).toEqual({ status: 'corrupt', reason: 'header size is 1, expected 2' });
  });

  it('refuses to write pixels of the wrong length', async () => {
    await expect(writePixelCache(join(dir, 'x.bin'), key, { ids: ['a'], pixels: new Uint8Array(5) })).rejects.toThrow(/5 bytes, expected 12/);
  });
});
