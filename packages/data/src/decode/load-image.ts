import { stat } from 'node:fs/promises';
import { DataError } from '../errors.js';
import { bytesToUnit, checkSize, decodeImageRgb, type DecodeImageOptions } from './preprocess-image.js';

/**
 * Reads one image file into `[size, size, 3]` RGB floats in [0, 1], with the same preprocessing as the
 * emoji loader. Every failure (missing, empty, not a file, corrupt, too large) is a `DataError` naming the file.
 */
export async function loadImage(file: string, size: number, options: DecodeImageOptions = {}): Promise<Float32Array> {
  checkSize(size);
  let info;
  try {
    info = await stat(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new DataError(file, code === 'ENOENT' ? 'image file not found' : `cannot stat image file (${code})`, { cause });
  }
  if (!info.isFile()) throw new DataError(file, 'image path is not a regular file');
  if (info.size === 0) throw new DataError(file, 'image file is empty (0 bytes)');
  return bytesToUnit(await decodeImageRgb(file, size, file, options));
}
