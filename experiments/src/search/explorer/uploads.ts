import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

/** Default upload limit: a photo or a few seconds of WAV; anything bigger is not a query. */
export const DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024 * 1024;
/** Bytes of an oversized body read and discarded before the connection is cut. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

export type UploadKind = 'image' | 'audio';

const TYPES: Record<string, { kind: UploadKind; ext: string; magic: (b: Buffer) => boolean; name: string }> = {
  'image/png': { kind: 'image', ext: '.png', name: 'PNG', magic: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  'image/jpeg': { kind: 'image', ext: '.jpg', name: 'JPEG', magic: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  'image/webp': { kind: 'image', ext: '.webp', name: 'WebP', magic: (b) => b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP' },
  'audio/wav': { kind: 'audio', ext: '.wav', name: 'WAV', magic: (b) => b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WAVE' },
};
const ALIASES: Record<string, string> = { 'audio/x-wav': 'audio/wav', 'audio/wave': 'audio/wav', 'audio/vnd.wave': 'audio/wav', 'image/jpg': 'image/jpeg' };
export const UPLOAD_TYPES = Object.keys(TYPES);

/** The declared type of an upload, refused (415) unless it is one the explorer decodes. */
export function uploadType(req: IncomingMessage): { type: string; kind: UploadKind; ext: string } {
  const declared = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const type = ALIASES[declared] ?? declared;
  const spec = TYPES[type];
  if (!spec) throw new HttpError(415, `unsupported upload type '${declared.slice(0, 60) || '(none)'}'; send one of ${UPLOAD_TYPES.join(', ')} as the request body`);
  return { type, kind: spec.kind, ext: spec.ext };
}

/**
 * Reads a request body up to `max` bytes (413 beyond, from Content-Length before reading when
 * the client sent one) and checks its first bytes match the declared type (415 otherwise).
 */
export async function readUpload(req: IncomingMessage, type: string, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) throw new HttpError(413, `upload is ${declared} bytes; the limit is ${max}`);
  // Listeners, not for-await: leaving a for-await loop destroys the socket, and with it the 413.
  const chunks: Buffer[] = await new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let total = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      total += chunk.length;
      if (total > max) {
        refused = true;
        discardBody(req);
        reject(new HttpError(413, `upload is over the limit of ${max} bytes`));
      } else parts.push(chunk);
    });
    req.on('end', () => refused || resolve(parts));
    req.on('error', (err) => refused || reject(new HttpError(400, `upload failed: ${err.message}`)));
  });
  const body = Buffer.concat(chunks);
  if (body.length === 0) throw new HttpError(400, 'the upload is empty');
  const spec = TYPES[type]!;
  if (!spec.magic(body)) throw new HttpError(415, `the upload was declared ${type} but its bytes are not a ${spec.name} file`);
  return body;
}

/**
 * Lets a refused request's body flow into the void so the response still reaches the
 * client; past DRAIN_LIMIT the socket is cut instead.
 */
export function discardBody(req: IncomingMessage): void {
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DRAIN_LIMIT) req.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}
