import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../errors.js';
import { loadImage } from './load-image.js';

let dir: string;
const at = (name: string): string => join(dir, name);

/** A PNG whose IHDR claims width x height (CRC fixed), so only a header check can refuse it cheaply. */
function withClaimedSize(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29); // CRC over 'IHDR' + 13 data bytes
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modalab-image-'));
  const rgba = (r: number, g: number, b: number, alpha: number) => ({ create: { width: 8, height: 8, channels: 4 as const, background: { r, g, b, alpha } } });
  await sharp(rgba(255, 0, 0, 1)).png().toFile(at('red.png'));
  await sharp(rgba(255, 0, 0, 0)).png().toFile(at('clear.png'));
  await sharp(rgba(0, 0, 255, 0.5)).png().toFile(at('half-blue.png'));
  await sharp(Buffer.alloc(64, 128), { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(at('grey.png'));
  // 12x4: left third black, rest white; a centre crop to a square keeps only white.
  const wide = Buffer.alloc(12 * 4 * 3, 255);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) wide.fill(0, (y * 12 + x) * 3, (y * 12 + x) * 3 + 3);
  await sharp(wide, { raw: { width: 12, height: 4, channels: 3 } }).png().toFile(at('wide.png'));
  await sharp(rgba(10, 200, 30, 1)).jpeg().toFile(at('green.jpg'));
  await writeFile(at('empty.png'), Buffer.alloc(0));
  await writeFile(at('garbage.png'), 'this is not an image');
  const big = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png({ compressionLevel: 0 }).toBuffer();
  await writeFile(at('truncated.png'), big.subarray(0, Math.floor(big.length / 2)));
  await writeFile(at('huge.png'), withClaimedSize(await readFile(at('red.png')), 10_000, 10_000));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadImage', () => {
  it('returns [size, size, 3] RGB in [0, 1] at sizes 1, 2 and 5', async () => {
    for (const size of [1, 2, 5]) {
      const pixels = await loadImage(at('red.png'), size);
      expect(pixels).toBeInstanceOf(Float32Array);
      expect(pixels.length).toBe(size * size * 3);
      for (let i = 0; i < pixels.length; i += 3) expect([pixels[i], pixels[i + 1], pixels[i + 2]]).toEqual([1, 0, 0]);
    }
  });

  it('composites transparency on white', async () => {
    expect(Array.from(await loadImage(at('clear.png'), 2))).toEqual(Array(12).fill(1));
    const half = await loadImage(at('half-blue.png'), 1);
    expect(half[0]).toBeCloseTo(0.5, 1);
    expect(half[1]).toBeCloseTo(0.5, 1);
    expect(half[2]).toBe(1);
  });

  it('expands greyscale to RGB, reads JPEG, centre-crops non-square images', async () => {
    const grey = await loadImage(at('grey.png'), 2);
    expect(grey.length).toBe(12);
    expect(grey[0]).toBeCloseTo(128 / 255, 2);
    expect(grey[1]).toBe(grey[0]);
    const green = await loadImage(at('green.jpg'), 2);
    expect(green[1]).toBeGreaterThan(0.7);
    const wide = await loadImage(at('wide.png'), 4);
    expect(Math.min(...wide)).toBeGreaterThan(0.95);
  });

  it.each([
    ['a missing file', 'missing.png', /missing\.png: image file not found/],
    ['a zero-byte file', 'empty.png', /empty\.png: image file is empty \(0 bytes\)/],
    ['a folder', '.', /: image path is not a regular file/],
    ['undecodable bytes', 'garbage.png', /garbage\.png: cannot read image header: .*unsupported image format/],
    ['a truncated PNG', 'truncated.png', /truncated\.png: cannot decode image \(truncated or corrupt\?\)/],
    ['more pixels than the default 90 MP limit', 'huge.png', /huge\.png: image has too many pixels: 10000x10000 = 100000000, limit 90000000/],
  ])('refuses %s with a DataError naming the file', async (_name, file, message) => {
    const error = await loadImage(at(file), 4).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toMatch(message);
    expect((error as DataError).file).toBe(at(file));
  });

  it('applies a custom pixel limit and checks the size argument', async () => {
    await expect(loadImage(at('red.png'), 4, { maxPixels: 63 })).rejects.toThrow(/red\.png: image has too many pixels: 8x8 = 64, limit 63/);
    await expect(loadImage(at('red.png'), 0)).rejects.toThrow(/image size must be an integer in \[1, 4096\], got 0/);
  });
});
