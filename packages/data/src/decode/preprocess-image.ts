import sharp from 'sharp';
import { DataError } from '../errors.js';

/** Larger images are refused before decoding: 90 MP is a 9500x9500 photo, about 270 MB of RGB. */
export const DEFAULT_MAX_PIXELS = 90_000_000;
/** Bump when the decode/resize/flatten pipeline below changes: caches of its output key on it. */
export const IMAGE_PREPROCESS_VERSION = 1;

export interface DecodeImageOptions {
  /** Refuse images with more pixels than this (checked from the header, before decoding). */
  maxPixels?: number;
}

/**
 * The one image preprocessing of the package, shared by the emoji loader and `loadImage`:
 * EXIF orientation applied, alpha composited on white (emoji are drawn for a white page, and black would
 * turn their transparent margins into a dark frame), centre-cropped to a square ("cover", as CLIP does),
 * resized with lanczos3 (sharp's sharpest anti-aliasing kernel: bilinear aliases thin outlines when
 * shrinking 64 px emoji to 16-32 px), converted to 8-bit sRGB.
 * Returns `[size, size, 3]` bytes; `bytesToUnit` turns them into floats in [0, 1].
 */
export async function decodeImageRgb(
  input: string | Buffer,
  size: number,
  file: string,
  options: DecodeImageOptions = {},
): Promise<Uint8Array> {
  checkSize(size);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  // 'error' also aborts on truncated data but tolerates benign warnings (extra bytes after a JPEG).
  const sharpOptions = { failOn: 'error', limitInputPixels: maxPixels, autoOrient: true } as const;

  let width: number | undefined;
  let height: number | undefined;
  try {
    // No pixel limit here: the check below gives the clearer message.
    ({ width, height } = await sharp(input, { ...sharpOptions, limitInputPixels: false }).metadata());
  } catch (cause) {
    throw new DataError(file, `cannot read image header: ${messageOf(cause)}`, { cause });
  }
  if (width === undefined || height === undefined) throw new DataError(file, 'image header has no width/height');
  if (width * height > maxPixels) {
    throw new DataError(
      file,
      `image has too many pixels: ${width}x${height} = ${width * height}, limit ${maxPixels} (raise maxPixels to allow it)`,
    );
  }

  try {
    const { data, info } = await sharp(input, sharpOptions)
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .resize(size, size, { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.width !== size || info.height !== size || info.channels !== 3) {
      throw new Error(`decoder returned ${info.width}x${info.height}x${info.channels}, expected ${size}x${size}x3`);
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (cause) {
    throw new DataError(file, `cannot decode image (truncated or corrupt?): ${messageOf(cause)}`, { cause });
  }
}

/** Bytes to floats in [0, 1], written into `out` at `offset` (so a whole dataset fills one buffer). */
export function bytesToUnit(bytes: Uint8Array, out = new Float32Array(bytes.length), offset = 0): Float32Array {
  for (let i = 0; i < bytes.length; i++) out[offset + i] = (bytes[i] as number) / 255;
  return out;
}

export function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > 4096) {
    throw new RangeError(`image size must be an integer in [1, 4096], got ${size}`);
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
