import { open } from 'node:fs/promises';
import type { ReasonCode } from './media-error.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PNG_IEND = Buffer.from([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]); // 'IEND' and its CRC

/**
 * libvips reports a cut-off PNG as a bare "libpng read error"; the file's ends tell truncation apart
 * from corruption: a PNG must end with its IEND chunk, a JPEG with the EOI marker (FF D9).
 * Returns `truncated` when a PNG or JPEG lacks its end, otherwise `code` unchanged.
 */
export async function refineImageCode(file: string, code: ReasonCode): Promise<ReasonCode> {
  if (code !== 'corrupt' && code !== 'bad-header') return code;
  const handle = await open(file, 'r').catch(() => undefined);
  if (handle === undefined) return code;
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(8);
    const tail = Buffer.alloc(Math.min(12, size));
    await handle.read(head, 0, Math.min(8, size), 0);
    await handle.read(tail, 0, tail.length, size - tail.length);
    if (head.equals(PNG_SIGNATURE)) return tail.subarray(-8).equals(PNG_IEND) ? code : 'truncated';
    if (head[0] === 0xff && head[1] === 0xd8) {
      // Some encoders pad after EOI; look for it in the last 12 bytes.
      return tail.includes(Buffer.from([0xff, 0xd9])) ? code : 'truncated';
    }
    return code;
  } catch {
    return code;
  } finally {
    await handle.close();
  }
}
