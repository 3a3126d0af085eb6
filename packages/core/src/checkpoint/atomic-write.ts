import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Replaces `file` with `bytes` so that a reader (or a crash) sees either the old file or the
 * new one, never a mix: write a unique temp file in the same folder (rename is only atomic
 * within one filesystem), fsync it, rename it over the target, then fsync the folder so the
 * rename itself survives a power loss. On any failure before the rename the temp file is
 * removed and the target is untouched.
 */
export async function writeFileAtomic(file: string, bytes: string | Uint8Array): Promise<void> {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  // Leading dot keeps the temp out of globs like `*.ckpt`; pid + random bits avoid collisions
  // between concurrent savers, and 'wx' refuses to reuse a name that exists anyway.
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(tmp, 'wx');
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(tmp, target);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  // Windows cannot open a folder for fsync, and its rename is already durable enough; some
  // filesystems reject directory fsync with EINVAL. Neither makes the new file wrong.
  if (process.platform === 'win32') return;
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
  } finally {
    await handle.close();
  }
}
