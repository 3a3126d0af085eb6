import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stableStringify, TensorCache, type CachedTensors } from './tensor-cache.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tensor-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const decoded = (): CachedTensors => ({
  image: { data: Float32Array.of(0.5, 0.25, 1, 0), shape: [2, 2, 1] },
  frames: { data: Uint8Array.of(1, 2, 3), shape: [3] },
  ids: { data: Int32Array.of(-1, 7), shape: [2] },
});

describe('TensorCache', () => {
  it('builds once, then hits with identical tensors', async () => {
    const src = join(dir, 'a.wav');
    await writeFile(src, 'hello');
    const cache = new TensorCache(join(dir, 'cache'));
    let builds = 0;
    const build = () => (builds++, decoded());
    const first = await cache.getOrBuild(src, { size: 2 }, build);
    expect(first.outcome).toBe('built');
    const second = await cache.getOrBuild(src, { size: 2 }, build);
    expect(second.outcome).toBe('hit');
    expect(builds).toBe(1);
    expect(second.tensors['image']!.data).toEqual(Float32Array.of(0.5, 0.25, 1, 0));
    expect(second.tensors['image']!.shape).toEqual([2, 2, 1]);
    expect(second.tensors['frames']!.data).toEqual(Uint8Array.of(1, 2, 3));
    expect(second.tensors['ids']!.data).toEqual(Int32Array.of(-1, 7));
  });

  it('changes key with the file content or the transform, not with key order', async () => {
    const src = join(dir, 'a.png');
    await writeFile(src, 'v1');
    const cache = new TensorCache(dir);
    const a = await cache.keyOf(src, { size: 2, fit: 'cover' });
    expect((await cache.keyOf(src, { fit: 'cover', size: 2 })).file).toBe(a.file);
    expect((await cache.keyOf(src, { size: 3, fit: 'cover' })).file).not.toBe(a.file);
    await writeFile(src, 'v2');
    const b = await cache.keyOf(src, { size: 2, fit: 'cover' });
    expect(b.key.contentHash).not.toBe(a.key.contentHash);
    expect(b.file).not.toBe(a.file);
    await cache.getOrBuild(src, { size: 2 }, decoded);
    await writeFile(src, 'v3');
    expect((await cache.getOrBuild(src, { size: 2 }, decoded)).outcome).toBe('built');
  });

  it('rebuilds a corrupt or truncated entry instead of trusting it', async () => {
    const src = join(dir, 'a.png');
    await writeFile(src, 'x');
    const cache = new TensorCache(dir);
    const { file } = await cache.getOrBuild(src, 'resize-2', decoded);
    const bytes = await readFile(file);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(file, bytes);
    const flipped = await cache.getOrBuild(src, 'resize-2', decoded);
    expect(flipped).toMatchObject({ outcome: 'rebuilt', reason: 'tensor checksum mismatch' });
    expect((await cache.getOrBuild(src, 'resize-2', decoded)).outcome).toBe('hit');
    await writeFile(file, (await readFile(file)).subarray(0, 20));
    expect((await cache.getOrBuild(src, 'resize-2', decoded)).outcome).toBe('rebuilt');
    await writeFile(file, '');
    expect((await cache.getOrBuild(src, 'resize-2', decoded))).toMatchObject({ outcome: 'rebuilt', reason: 'bad magic' });
  });

  it('rejects a tensor whose data does not match its shape, naming it', async () => {
    const src = join(dir, 'a.png');
    await writeFile(src, 'x');
    await expect(new TensorCache(dir).getOrBuild(src, 1, () => ({ image: { data: new Float32Array(3), shape: [2, 2] } }))).rejects.toThrow(
      /tensor 'image' has 3 values, shape \[2, 2\] needs 4/,
    );
  });

  it('fails on a missing source rather than caching nothing', async () => {
    await expect(new TensorCache(dir).getOrBuild(join(dir, 'nope.png'), 1, decoded)).rejects.toThrow(/ENOENT/);
  });

  it('stableStringify sorts keys at every level', () => {
    expect(stableStringify({ b: [{ y: 1, x: 2 }], a: 'z' })).toBe('{"a":"z","b":[{"x":2,"y":1}]}');
  });
});
