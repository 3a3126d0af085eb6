import { mkdtemp, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadEmoji } from './load-emoji.js';
import type { EmojiDataset } from './emoji-types.js';

// 16 px keeps the cold decode of both styles (3,822 PNGs) to a few seconds.
const SIZE = 16;
let cacheDir: string;
let cold: EmojiDataset;

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'modalab-emoji-'));
  cold = await loadEmoji({ imageSize: SIZE, cacheDir });
});
afterAll(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

/** Bitwise equality; vitest's deep equality takes seconds on a million-element array. */
function sameBytes(a: Float32Array | undefined, b: Float32Array | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('loadEmoji', () => {
  it('loads every emoji with both styles, aligned rows and card counts', () => {
    const n = cold.concepts.length;
    expect(n).toBeGreaterThan(1800); // 1,911 in emoji-datasource 16.0.0
    expect(new Set(cold.concepts.map((c) => c.id)).size).toBe(n);
    for (const style of ['google', 'twitter'] as const) {
      const set = cold.images[style];
      expect(set).toBeDefined();
      expect(set?.count).toBe(n);
      expect(set?.size).toBe(SIZE);
      expect(set?.pixels.length).toBe(n * SIZE * SIZE * 3);
    }
    expect(cold.card.counts).toMatchObject({ concepts: n, categories: 10, train: cold.split.train.length, test: cold.split.test.length });
    expect(cold.card.load.cache).toEqual({ google: 'miss', twitter: 'miss' });
    expect(cold.card.sources.map((s) => s.package)).toEqual(['emoji-datasource-google', 'emoji-datasource-twitter', 'emojibase-data']);
  });

  it('has no skin-tone variants', () => {
    expect(cold.concepts.some((c) => /-1F3F[B-F]/.test(c.id))).toBe(false);
    expect(cold.card.counts.skippedSkinTone).toBeGreaterThan(1000);
  });

  it('gives known emoji their name first, then short names and CLDR words', () => {
    const grinning = cold.concepts.find((c) => c.id === '1F600');
    expect(grinning?.char).toBe('😀');
    expect(grinning?.captions[0]).toBe('grinning face');
    expect(grinning?.captions).toEqual(expect.arrayContaining(['grinning', 'smile', 'happy']));
    // emojibase writes '2764' where emoji-datasource writes '2764-FE0F'.
    const heart = cold.concepts.find((c) => c.id === '2764-FE0F');
    expect(heart?.captions).toEqual(expect.arrayContaining(['heavy black heart', 'red heart', 'love']));
    const thumbs = cold.concepts.find((c) => c.id === '1F44D');
    expect(thumbs?.captions).toContain('thumbsup');
    for (const c of cold.concepts) {
      expect(c.captions[0]).toBe(c.name);
      expect(new Set(c.captions).size).toBe(c.captions.length);
    }
  });

  it('has pixels in [0, 1] with white backgrounds', () => {
    const pixels = cold.images.google?.pixels ?? new Float32Array();
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of pixels) {
      if (!Number.isFinite(v)) throw new Error(`non-finite pixel ${v}`);
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(sum / pixels.length).toBeGreaterThan(0.3);
    expect(sum / pixels.length).toBeLessThan(0.95);
    // The top-left pixel of the grinning face is transparent in the PNG: composited on white.
    const row = cold.concepts.findIndex((c) => c.id === '1F600');
    expect(Array.from(pixels.subarray(row * SIZE * SIZE * 3, row * SIZE * SIZE * 3 + 3))).toEqual([1, 1, 1]);
  });

  it('splits concepts disjointly, by seed, with the requested fraction', async () => {
    const { train, test } = cold.split;
    const n = cold.concepts.length;
    expect(train.length + test.length).toBe(n);
    expect(new Set([...train, ...test]).size).toBe(n);
    expect(test.length).toBe(Math.round(n * 0.15));
    const again = await loadEmoji({ imageSize: SIZE, cacheDir, styles: ['google'] });
    expect(again.split).toEqual(cold.split);
    const other = await loadEmoji({ imageSize: SIZE, cacheDir, styles: ['google'], seed: 1, heldOutFraction: 0.15 });
    expect(other.split.test).not.toEqual(cold.split.test);
    expect(other.split.test.length).toBe(test.length);
  });

  it('reads the cache on a second load and returns the same data', async () => {
    const warm = await loadEmoji({ imageSize: SIZE, cacheDir });
    expect(warm.card.load.cache).toEqual({ google: 'hit', twitter: 'hit' });
    expect(warm.concepts).toEqual(cold.concepts);
    expect(sameBytes(warm.images.google?.pixels, cold.images.google?.pixels)).toBe(true);
    expect(sameBytes(warm.images.twitter?.pixels, cold.images.twitter?.pixels)).toBe(true);
  });

  it('rebuilds a corrupt cache file with a warning', async () => {
    const [file] = (await readdir(cacheDir)).filter((f) => f.includes('google'));
    if (file === undefined) throw new Error('no google cache file');
    const path = join(cacheDir, file);
    const bytes = await readFile(path);
    bytes[bytes.length - 7] = (bytes[bytes.length - 7] ?? 0) ^ 0xff; // one flipped pixel: only the checksum sees it
    await writeFile(path, bytes);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const rebuilt = await loadEmoji({ imageSize: SIZE, cacheDir, styles: ['google'] });
      expect(rebuilt.card.load.cache).toEqual({ google: 'rebuilt' });
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/pixel cache .*google.* is invalid \(pixel checksum mismatch\); rebuilding/));
      expect(sameBytes(rebuilt.images.google?.pixels, cold.images.google?.pixels)).toBe(true);
    } finally {
      warn.mockRestore();
    }
    const again = await loadEmoji({ imageSize: SIZE, cacheDir, styles: ['google'] });
    expect(again.card.load.cache).toEqual({ google: 'hit' });
  });

  it('rejects unknown and invalid options by name', async () => {
    await expect(loadEmoji({ imageSize: SIZE, cacheDir, colour: true } as never)).rejects.toThrow(/loadEmoji options.*colour/);
    await expect(loadEmoji({ styles: ['apple' as never], cacheDir })).rejects.toThrow(/styles\.0/);
    await expect(loadEmoji({ heldOutFraction: 1, cacheDir })).rejects.toThrow(/heldOutFraction/);
    await expect(loadEmoji({ imageSize: 0, cacheDir })).rejects.toThrow(/imageSize/);
  });
});
