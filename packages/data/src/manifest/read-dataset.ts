import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { mapLimit } from '../decode/map-limit.js';
import type { Modality, ReasonCode } from '../decode/media-error.js';
import { DataError } from '../errors.js';
import { checkFile, resolveContained, type PathProblem } from './contained-path.js';
import type { BadItem, DatasetFormat, DatasetItem, ReadDatasetResult } from './dataset-types.js';
import { CsvFatalError, parseCsv } from './parse-csv.js';

export interface ReadDatasetOptions {
  /** Longest manifest record or caption line, in characters: a 1 MB line is a broken file, not a caption. */
  maxLineChars?: number;
  /** Largest manifest read into memory (bytes). */
  maxManifestBytes?: number;
  /** Largest caption file of a folder dataset (bytes). */
  maxCaptionBytes?: number;
  /** File checks in flight at once (they are cheap stat calls). */
  concurrency?: number;
}

const DEFAULTS = { maxLineChars: 1_000_000, maxManifestBytes: 1 << 30, maxCaptionBytes: 1 << 20, concurrency: 32 };

/** Image extensions of the folder layout, matched case-insensitively. */
export const FOLDER_IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp'] as const;
const MEDIA_FIELDS = ['image', 'audio', 'video'] as const;
type MediaField = (typeof MEDIA_FIELDS)[number];
const CSV_COLUMNS = ['id', 'image', 'text', 'audio', 'video', 'label'] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];
/** Header aliases: datasets exported from other tools often call the text column `caption`. */
const CSV_ALIASES: Record<string, CsvColumn> = { caption: 'text', captions: 'text' };

/**
 * Reads a user dataset in any of the three formats, chosen from the path:
 * - a folder containing `images/` (and `captions/<same name>.txt`, one caption per line): `folder`;
 * - a `.jsonl`/`.ndjson` file: one JSON object a line;
 * - a `.csv` file: RFC 4180 with a header row.
 * Manifest fields: `id`, `image`, `text`, `audio`, `video`, `label`, any subset of the modalities per row,
 * paths relative to the manifest. In CSV, a `text` cell that starts with `[` is a JSON array of captions
 * (`"[""a cat"", ""a small cat""]"`); any other cell is one caption (no `|` splitting: captions contain pipes).
 * Without an `id`, the id is the first media path (image, audio, video) or `line-<n>`, and rows that name
 * the same media with the same label are merged, their captions concatenated: the "one row per caption"
 * CSVs of Flickr30k and COCO read as one item with five captions.
 *
 * Nothing is dropped silently: each refused record, media file or caption file is in `bad` (once, with a
 * reason code); `items` holds the rest. Only problems with the dataset as a whole (not found, unknown
 * format, unreadable manifest, broken CSV quoting, a CSV that is not UTF-8) throw a `DataError`.
 */
export async function readDataset(pathOrFolder: string, options: ReadDatasetOptions = {}): Promise<ReadDatasetResult> {
  const opts = { ...DEFAULTS, ...options };
  const path = resolve(pathOrFolder);
  let info;
  try {
    info = await stat(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new DataError(path, code === 'ENOENT' ? 'dataset not found (expected a .jsonl or .csv manifest, or a folder with images/)' : `cannot stat dataset (${code})`, { cause });
  }
  if (info.isDirectory()) return readFolder(path, opts);
  if (!info.isFile()) throw new DataError(path, 'dataset path is neither a file nor a folder');
  if (info.size > opts.maxManifestBytes) {
    throw new DataError(path, `manifest is ${info.size} bytes, over the limit of ${opts.maxManifestBytes} (raise maxManifestBytes)`);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new DataError(path, `cannot read manifest (${(cause as NodeJS.ErrnoException).code})`, { cause });
  }
  const format = manifestFormat(path, bytes);
  const root = dirname(path);
  const rows = format === 'csv' ? csvRows(path, bytes, opts.maxLineChars) : jsonlRows(bytes, opts.maxLineChars);
  return finishManifest(path, format, root, rows, opts.concurrency);
}

function manifestFormat(path: string, bytes: Buffer): DatasetFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  const head = bytes.subarray(0, 4096).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('{')) return 'jsonl';
  throw new DataError(path, `unknown manifest format '${ext}': use .jsonl (one JSON object a line) or .csv (with a header row), or pass a folder with images/`);
}

/** A manifest record before its paths are checked: either its fields or why it is bad. */
type Row = { line: number; fields: RowFields } | { line: number; id?: string; bad: { code: ReasonCode; reason: string; modality?: Modality } };

/** The id of a record refused for another field, so the report can name it. */
function idOf(obj: Record<string, unknown>): { id?: string } {
  const id = scalar(obj.id);
  return id === undefined ? {} : { id };
}
interface RowFields {
  id: string | undefined;
  image?: string;
  audio?: string;
  video?: string;
  texts?: string[];
  label?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function jsonlRows(bytes: Buffer, maxLineChars: number): Row[] {
  const rows: Row[] = [];
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const raw = bytes.subarray(start, end);
    start = end + 1;
    const tooLong = { code: 'line-too-long', reason: `line is over the limit of ${maxLineChars} characters` } as const;
    // A UTF-8 character takes at most 4 bytes: a line this long is refused before it is decoded.
    if (raw.length > maxLineChars * 4) {
      rows.push({ line, bad: tooLong });
      continue;
    }
    let text: string;
    try {
      text = utf8.decode(raw);
    } catch {
      rows.push({ line, bad: { code: 'non-utf8', reason: 'line is not valid UTF-8 (save the manifest as UTF-8)' } });
      continue;
    }
    if (text.length > maxLineChars) {
      rows.push({ line, bad: tooLong });
      continue;
    }
    if (line === 1) text = text.replace(/^\uFEFF/, '');
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      rows.push({ line, bad: { code: 'manifest-syntax', reason: `invalid JSON (${e instanceof Error ? e.message : String(e)})` } });
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      rows.push({ line, bad: { code: 'manifest-syntax', reason: `expected a JSON object with id, image, text, audio, video or label, got ${typeName(value)}` } });
      continue;
    }
    const fields = parseFields(value as Record<string, unknown>, false);
    rows.push(typeof fields === 'string' ? { line, ...idOf(value as Record<string, unknown>), bad: badField(fields) } : { line, fields });
  }
  return rows;
}

function csvRows(file: string, bytes: Buffer, maxLineChars: number): Row[] {
  let text: string;
  try {
    text = utf8.decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    // Quoted fields may span lines, so a CSV is decoded whole; name the first line that is not UTF-8.
    let line = 1;
    for (let start = 0; start < bytes.length; line++) {
      let end = bytes.indexOf(0x0a, start);
      if (end < 0) end = bytes.length;
      try {
        utf8.decode(bytes.subarray(start, end));
      } catch {
        break;
      }
      start = end + 1;
    }
    throw new DataError(file, 'CSV is not valid UTF-8 (save it as UTF-8)', { line });
  }
  let records;
  try {
    records = parseCsv(text, maxLineChars);
  } catch (e) {
    if (e instanceof CsvFatalError) throw new DataError(file, e.message, { line: e.line });
    throw e;
  }
  const header = records.shift();
  if (header === undefined) throw new DataError(file, 'CSV is empty (expected a header row such as id,image,text)');
  if ('error' in header) throw new DataError(file, `bad CSV header: ${header.error}`, { line: header.line });
  const columns = header.fields.map((name) => {
    const key = name.trim().toLowerCase();
    return (CSV_ALIASES[key] ?? key) as string;
  });
  const seen = new Set<string>();
  for (const c of columns) {
    if ((CSV_COLUMNS as readonly string[]).includes(c) && seen.has(c)) throw new DataError(file, `CSV header has column '${c}' twice`, { line: header.line });
    seen.add(c);
  }
  if (!['image', 'text', 'audio', 'video'].some((c) => seen.has(c))) {
    throw new DataError(file, `CSV header '${header.fields.join(',')}' has none of the columns image, text, audio, video`, { line: header.line });
  }
  return records.map((r): Row => {
    if ('error' in r) return { line: r.line, bad: { code: r.tooLong ? 'line-too-long' : 'manifest-syntax', reason: r.error } };
    if (r.fields.length !== columns.length) {
      return { line: r.line, bad: { code: 'manifest-syntax', reason: `record has ${r.fields.length} fields, the header has ${columns.length}` } };
    }
    const obj: Record<string, unknown> = {};
    columns.forEach((c, k) => {
      const cell = (r.fields[k] as string).trim();
      if (cell !== '' && (CSV_COLUMNS as readonly string[]).includes(c)) obj[c] = cell;
    });
    if (typeof obj.text === 'string' && obj.text.startsWith('[')) {
      try {
        obj.text = JSON.parse(obj.text) as unknown;
      } catch (e) {
        return { line: r.line, ...idOf(obj), bad: { code: 'bad-field', modality: 'text', reason: `field 'text' starts with '[' but is not a JSON array (${e instanceof Error ? e.message : String(e)})` } };
      }
    }
    const fields = parseFields(obj, true);
    return typeof fields === 'string' ? { line: r.line, ...idOf(obj), bad: badField(fields) } : { line: r.line, fields };
  });
}

function badField(reason: string): { code: ReasonCode; reason: string; modality?: Modality } {
  const field = /^field '(\w+)'/.exec(reason)?.[1];
  const modality = field === 'text' || field === 'image' || field === 'audio' || field === 'video' ? field : undefined;
  const code: ReasonCode = field === 'text' && / is empty/.test(reason) ? 'empty-caption' : 'bad-field';
  return modality === undefined ? { code, reason } : { code, reason, modality };
}

/** Unknown fields are ignored so manifests can carry their own metadata. Returns the reason when a field is wrong. */
function parseFields(obj: Record<string, unknown>, fromCsv: boolean): RowFields | string {
  const out: RowFields = { id: undefined };
  const { id, text, label } = obj;
  if (id !== undefined) {
    const s = scalar(id);
    if (s === undefined) return `field 'id' must be a non-empty string, got ${typeName(id)}`;
    out.id = s;
  }
  for (const field of MEDIA_FIELDS) {
    const v = obj[field];
    if (v === undefined || (v === null && !fromCsv)) continue;
    if (typeof v !== 'string' || v.trim() === '') return `field '${field}' must be a non-empty path string when present, got ${typeName(v)}`;
    out[field] = v;
  }
  if (label !== undefined && label !== null) {
    const s = scalar(label);
    if (s === undefined) return `field 'label' must be a string or an integer when present, got ${typeName(label)}`;
    out.label = s;
  }
  if (text !== undefined && text !== null) {
    let texts: string[];
    if (typeof text === 'string') texts = [text];
    else if (Array.isArray(text) && text.every((t) => typeof t === 'string')) texts = text as string[];
    else return `field 'text' must be a string or an array of strings, got ${typeName(text)}`;
    if (texts.length === 0) return "field 'text' is empty (an empty list)";
    const blank = texts.findIndex((t) => t.trim() === '');
    if (blank >= 0) return `field 'text' is empty${Array.isArray(text) ? ` at index ${blank}` : ''}`;
    out.texts = texts.map((t) => t.trim());
  }
  if (out.image === undefined && out.audio === undefined && out.video === undefined && out.texts === undefined) {
    return 'record has none of the fields image, text, audio, video';
  }
  return out;
}

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

function typeName(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.trim() === '' ? 'an empty string' : 'a string';
  return `a ${typeof value}`;
}

async function finishManifest(file: string, format: DatasetFormat, root: string, rows: Row[], concurrency: number): Promise<ReadDatasetResult> {
  const bad: BadItem[] = [];
  const report = (line: number, p: { code: ReasonCode; reason: string; modality?: Modality; path?: string }, id?: string): void => {
    bad.push({ file, line, ...(id === undefined ? {} : { id }), ...p });
  };
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (cause) {
    throw new DataError(file, `cannot resolve the manifest's folder ${root}`, { cause });
  }

  // 1. Lexical path checks and ids, in line order.
  interface Pending {
    item: DatasetItem;
    explicitId: boolean;
  }
  const pending: Pending[] = [];
  const byId = new Map<string, Pending>();
  for (const row of rows) {
    if ('bad' in row) {
      report(row.line, row.bad, row.id);
      continue;
    }
    const f = row.fields;
    const item: DatasetItem = { id: '', origin: { file, line: row.line } };
    let problem: (PathProblem & { modality: Modality }) | undefined;
    for (const field of MEDIA_FIELDS) {
      const written = f[field];
      if (written === undefined) continue;
      const resolved = resolveContained(root, written, field);
      if (typeof resolved !== 'string') {
        problem = { ...resolved, modality: field };
        break;
      }
      item[field] = resolved;
    }
    if (problem !== undefined) {
      report(row.line, problem, f.id);
      continue;
    }
    if (f.texts !== undefined) item.texts = f.texts;
    if (f.label !== undefined) item.label = f.label;
    const firstMedia = MEDIA_FIELDS.map((k) => item[k]).find((p) => p !== undefined);
    item.id = f.id ?? (firstMedia === undefined ? `line-${row.line}` : relative(root, firstMedia));
    const earlier = byId.get(item.id);
    if (earlier !== undefined) {
      const sameMedia = MEDIA_FIELDS.every((k) => earlier.item[k] === item[k]) && earlier.item.label === item.label;
      if (f.id === undefined && !earlier.explicitId && sameMedia) {
        // One row per caption: merge into the first row's item.
        earlier.item.texts = [...(earlier.item.texts ?? []), ...(item.texts ?? [])];
        continue;
      }
      const why = f.id === undefined ? ` (rows without an id take the id of their first media file; give this row an id)` : '';
      report(row.line, { code: 'duplicate-id', reason: `duplicate id '${item.id}' (first on line ${earlier.item.origin.line})${why}` }, item.id);
      continue;
    }
    const p = { item, explicitId: f.id !== undefined };
    byId.set(item.id, p);
    pending.push(p);
  }

  // 2. File checks run concurrently; results are kept in line order.
  const problems = await mapLimit(pending, concurrency, async ({ item }) => {
    for (const field of MEDIA_FIELDS) {
      const path = item[field];
      if (path === undefined) continue;
      const p = await checkFile(path, realRoot, field);
      if (p !== undefined) return { ...p, modality: field as Modality, path };
    }
    return undefined;
  });
  const items: DatasetItem[] = [];
  pending.forEach(({ item }, k) => {
    const p = problems[k];
    if (p === undefined) items.push(item);
    else report(item.origin.line as number, p, item.id);
  });
  bad.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (items.length === 0 && bad.length === 0) throw new DataError(file, 'manifest has no items');
  return { path: file, format, root, items, bad };
}

async function readFolder(folder: string, opts: typeof DEFAULTS): Promise<ReadDatasetResult> {
  const imagesDir = join(folder, 'images');
  const captionsDir = join(folder, 'captions');
  const list = async (dir: string, required: boolean) => {
    try {
      return (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (!required && code === 'ENOENT') return [];
      throw new DataError(
        dir,
        code === 'ENOENT' || code === 'ENOTDIR'
          ? 'folder dataset needs an images/ folder (images/*.jpg|jpeg|png|webp, with captions/<same name>.txt), or pass a .jsonl or .csv manifest'
          : `cannot list folder (${code})`,
        { cause },
      );
    }
  };
  const imageEntries = await list(imagesDir, true);
  const captionEntries = await list(captionsDir, false);
  const realRoot = await realpath(folder);
  const bad: BadItem[] = [];

  // Captions by name without extension; hidden files (.DS_Store) are ignored in both folders.
  const captions = new Map<string, string>();
  for (const e of captionEntries) {
    if (e.name.startsWith('.')) continue;
    const path = join(captionsDir, e.name);
    if (extname(e.name).toLowerCase() !== '.txt') {
      bad.push({ file: path, path, modality: 'text', code: 'unsupported-format', reason: `${path} is not a .txt caption file` });
      continue;
    }
    captions.set(basename(e.name, extname(e.name)), path);
  }

  interface Candidate {
    id: string;
    image: string;
  }
  const candidates: Candidate[] = [];
  const seen = new Map<string, string>();
  for (const e of imageEntries) {
    if (e.name.startsWith('.')) continue;
    const path = join(imagesDir, e.name);
    const ext = extname(e.name).toLowerCase();
    if (e.isDirectory()) {
      bad.push({ file: path, path, modality: 'image', code: 'unsupported-format', reason: `${path} is a folder; subfolders of images/ are not read` });
      continue;
    }
    if (!(FOLDER_IMAGE_EXTENSIONS as readonly string[]).includes(ext)) {
      bad.push({ file: path, path, modality: 'image', code: 'unsupported-format', reason: `${path} does not have an image extension (${FOLDER_IMAGE_EXTENSIONS.join(', ')})` });
      continue;
    }
    const id = basename(e.name, extname(e.name));
    const earlier = seen.get(id);
    if (earlier !== undefined) {
      bad.push({ file: path, path, id, code: 'duplicate-id', reason: `${path} has the same name as ${earlier}; both would use captions/${id}.txt` });
      continue;
    }
    seen.set(id, path);
    candidates.push({ id, image: path });
  }
  for (const [id, path] of captions) {
    if (!seen.has(id)) bad.push({ file: path, path, id, modality: 'text', code: 'orphan-caption', reason: `caption file ${path} has no image images/${id}.{jpg,jpeg,png,webp}` });
  }

  const results = await mapLimit(candidates, opts.concurrency, async ({ id, image }): Promise<DatasetItem | BadItem> => {
    const fail = (modality: Modality, path: string, p: PathProblem): BadItem => ({ file: image, path, id, modality, ...p });
    const imageProblem = await checkFile(image, realRoot, 'image');
    if (imageProblem !== undefined) return fail('image', image, imageProblem);
    const caption = captions.get(id);
    if (caption === undefined) {
      return fail('text', join(captionsDir, `${id}.txt`), { code: 'missing-caption', reason: `image ${image} has no caption file captions/${id}.txt` });
    }
    const texts = await readCaptions(caption, realRoot, opts);
    if (!Array.isArray(texts)) return fail('text', caption, texts);
    return { id, image, texts, origin: { file: image } };
  });
  const items: DatasetItem[] = [];
  for (const r of results) {
    if ('code' in r) bad.push(r);
    else items.push(r);
  }
  return { path: folder, format: 'folder', root: folder, items, bad };
}

/** One caption a line; blank lines and surrounding whitespace are dropped. */
async function readCaptions(path: string, realRoot: string, opts: typeof DEFAULTS): Promise<string[] | PathProblem> {
  const problem = await checkFile(path, realRoot, 'caption');
  if (problem !== undefined) {
    return problem.code === 'empty-file' ? { code: 'empty-caption', reason: `caption file ${path} is empty (0 bytes)` } : problem;
  }
  let bytes: Buffer;
  try {
    const size = (await stat(path)).size;
    if (size > opts.maxCaptionBytes) return { code: 'too-large', reason: `caption file ${path} is ${size} bytes, over the limit of ${opts.maxCaptionBytes}` };
    bytes = await readFile(path);
  } catch (e) {
    return { code: 'io-error', reason: `cannot read caption file ${path} (${(e as NodeJS.ErrnoException).code})` };
  }
  let text: string;
  try {
    text = utf8.decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return { code: 'non-utf8', reason: `caption file ${path} is not valid UTF-8 (save it as UTF-8)` };
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const long = lines.findIndex((l) => l.length > opts.maxLineChars);
  if (long >= 0) return { code: 'line-too-long', reason: `caption file ${path} line ${long + 1} is over the limit of ${opts.maxLineChars} characters` };
  const texts = lines.filter((l) => l !== '');
  if (texts.length === 0) return { code: 'empty-caption', reason: `caption file ${path} has no non-blank line` };
  return texts;
}
