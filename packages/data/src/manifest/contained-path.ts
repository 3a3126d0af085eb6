import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep, win32 } from 'node:path';
import type { ReasonCode } from '../decode/media-error.js';

export interface PathProblem {
  code: ReasonCode;
  reason: string;
}

/** True when `path` is strictly inside `root` (both absolute, already normalised). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/**
 * Resolves a path written in a manifest against the manifest's folder, refusing absolute paths
 * (POSIX or Windows) and paths that leave the folder. Purely lexical: symlinks are checked by `checkFile`.
 */
export function resolveContained(root: string, written: string, field: string): string | PathProblem {
  if (isAbsolute(written) || win32.isAbsolute(written)) {
    return { code: 'path-absolute', reason: `${field} path '${written}' is absolute; write it relative to the manifest's folder` };
  }
  const resolved = resolve(root, written);
  if (!isInside(root, resolved)) return { code: 'path-escapes', reason: `${field} path '${written}' leaves the manifest's folder` };
  return resolved;
}

/**
 * Checks that `path` exists, is a regular non-empty file, and that its real location (after symlinks)
 * is inside `realRoot`. Returns the problem instead of throwing so concurrent checks can be ordered.
 */
export async function checkFile(path: string, realRoot: string, what: string): Promise<PathProblem | undefined> {
  let real: string;
  try {
    real = await realpath(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { code: 'missing-file', reason: `${what} file not found: ${path}` };
    return { code: 'io-error', reason: `cannot resolve ${what} ${path} (${code})` };
  }
  // A symlink inside the folder may point anywhere; only its target decides.
  if (!isInside(realRoot, real)) {
    return { code: 'symlink-escapes', reason: `${what} ${path} is a symlink resolving outside the dataset's folder (to ${real})` };
  }
  try {
    const info = await stat(real);
    if (!info.isFile()) return { code: 'not-a-file', reason: `${what} path ${path} is not a regular file` };
    if (info.size === 0) return { code: 'empty-file', reason: `${what} file ${path} is empty (0 bytes)` };
  } catch (e) {
    return { code: 'io-error', reason: `cannot stat ${what} ${path} (${(e as NodeJS.ErrnoException).code})` };
  }
  return undefined;
}
