import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep, win32 } from 'node:path';
import { mapLimit } from '../decode/map-limit.js';
import { DataError } from '../errors.js';

export interface ManifestItem {
  id: string;
  /** Absolute path inside the manifest's folder, as written (a symlink is checked to stay inside, not replaced). */
  image: string;
  /** At least one, none empty. */
  texts: string[];
  label?: string;
  /** 1-based line in the manifest. */
  line: number;
}

/**
 * Reads a JSONL manifest: one `{ id, image, text, label? }` object a line, `image` relative to the manifest.
 * Blank lines are skipped. The first problem (by line) is thrown as a `DataError` naming the file and line.
 */
export async function readManifest(file: string): Promise<ManifestItem[]> {
  let content: string;
  try {
    // A byte-order mark from Windows editors is not part of the first line's JSON.
    content = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new DataError(file, code === 'ENOENT' ? 'manifest file not found' : `cannot read manifest (${code})`, { cause });
  }
  const root = dirname(resolve(file));
  const items = parseLines(file, content, root);
  if (items.length === 0) throw new DataError(file, 'manifest has no items');

  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (cause) {
    throw new DataError(file, `cannot resolve the manifest's folder ${root}`, { cause });
  }
  // File checks run concurrently, but the error reported is the one on the earliest line.
  const problems = await mapLimit(items, 32, (item) => checkImage(item, realRoot));
  const first = problems.find((p) => p !== undefined);
  if (first !== undefined) throw new DataError(file, first.reason, { line: first.line });
  return items;
}

function parseLines(file: string, content: string, root: string): ManifestItem[] {
  const items: ManifestItem[] = [];
  const firstLineOf = new Map<string, number>();
  const lines = content.split(/\r?\n/);
  lines.forEach((text, i) => {
    const line = i + 1;
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new DataError(file, `invalid JSON (${e instanceof Error ? e.message : String(e)})`, { line });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new DataError(file, `expected a JSON object with id, image and text, got ${typeName(value)}`, { line });
    }
    const fields = parseFields(value as Record<string, unknown>);
    if (typeof fields === 'string') throw new DataError(file, fields, { line });
    const { id, image, texts, label } = fields;
    const earlier = firstLineOf.get(id);
    if (earlier !== undefined) throw new DataError(file, `duplicate id '${id}' (first on line ${earlier})`, { line });
    firstLineOf.set(id, line);
    if (isAbsolute(image) || win32.isAbsolute(image)) {
      throw new DataError(file, `image path '${image}' is absolute; write it relative to the manifest's folder`, { line });
    }
    const resolved = resolve(root, image);
    if (!isInside(root, resolved)) throw new DataError(file, `image path '${image}' leaves the manifest's folder`, { line });
    items.push({ id, image: resolved, texts, ...(label === undefined ? {} : { label }), line });
  });
  return items;
}

/**
 * Unknown fields are ignored so manifests can carry their own metadata (source URL, licence, ...).
 * Returns the reason as a string when a field is missing or mistyped.
 */
function parseFields(
  obj: Record<string, unknown>,
): { id: string; image: string; texts: string[]; label: string | undefined } | string {
  const { id, image, text, label } = obj;
  if (typeof id !== 'string' || id === '') return `field 'id' must be a non-empty string, got ${typeName(id)}`;
  if (typeof image !== 'string' || image === '') return `field 'image' must be a non-empty path string, got ${typeName(image)}`;
  if (label !== undefined && typeof label !== 'string') return `field 'label' must be a string when present, got ${typeName(label)}`;
  let texts: string[];
  if (typeof text === 'string') texts = [text];
  else if (Array.isArray(text) && text.every((t) => typeof t === 'string')) texts = text as string[];
  else return `field 'text' must be a string or an array of strings, got ${typeName(text)}`;
  if (texts.length === 0) return "field 'text' is empty (an empty list)";
  const blank = texts.findIndex((t) => t.trim() === '');
  if (blank >= 0) return `field 'text' is empty${Array.isArray(text) ? ` at index ${blank}` : ''}`;
  return { id, image, texts, label };
}

function typeName(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  return `a ${typeof value}`;
}

/** Returns the problem instead of throwing, so concurrent checks can be ordered by line. */
async function checkImage(item: ManifestItem, realRoot: string): Promise<{ line: number; reason: string } | undefined> {
  const fail = (reason: string): { line: number; reason: string } => ({ line: item.line, reason });
  let real: string;
  try {
    real = await realpath(item.image);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? `image file not found: ${item.image}` : `cannot resolve image ${item.image} (${code})`);
  }
  // A symlink inside the folder may point anywhere; only its target decides.
  if (!isInside(realRoot, real)) return fail(`image ${item.image} is a symlink resolving outside the manifest's folder (to ${real})`);
  try {
    if (!(await stat(real)).isFile()) return fail(`image path ${item.image} is not a regular file`);
  } catch (e) {
    return fail(`cannot stat image ${item.image} (${(e as NodeJS.ErrnoException).code})`);
  }
  return undefined;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}
