import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write.js';
import { decodeCheckpoint } from './decode.js';
import { encodeCheckpoint, type EncodeOptions } from './encode.js';
import { CheckpointError, type CheckpointState, type DecodedCheckpoint } from './format.js';

/**
 * Encodes fully in memory before touching the disk, so a tensor that fails to read never
 * leaves a partial file; then replaces `file` atomically.
 */
export async function saveCheckpoint(file: string, state: CheckpointState, options?: EncodeOptions): Promise<void> {
  const bytes = await encodeCheckpoint(state, options);
  await writeFileAtomic(file, bytes);
}

export async function loadCheckpoint(file: string): Promise<DecodedCheckpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new CheckpointError(file, code === 'ENOENT' ? 'no such file' : `read failed: ${String(cause)}`, { cause });
  }
  return decodeCheckpoint(bytes, file);
}
