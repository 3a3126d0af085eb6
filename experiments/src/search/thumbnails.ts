import sharp from 'sharp';

/** Longest side of a thumbnail decoded from a file: enough for a result card, small in the index. */
export const THUMB_SIZE = 96;

/** A PNG of NHWC RGB pixels [size, size, 3] in [0, 1] (what the model saw). */
export async function pngFromPixels(pixels: Float32Array, size: number): Promise<Buffer> {
  const bytes = Buffer.alloc(size * size * 3);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(Math.min(1, Math.max(0, pixels[i]!)) * 255);
  return sharp(bytes, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
}

/** A PNG thumbnail of an image file, its aspect kept, never enlarged. */
export async function pngFromFile(file: string): Promise<Buffer> {
  try {
    return await sharp(file).rotate().resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true }).png().toBuffer();
  } catch (err) {
    throw new Error(`${file}: cannot make a thumbnail: ${(err as Error).message}`, { cause: err });
  }
}
