import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { dirname, relative } from 'node:path';
import { mapLimit } from '../decode/map-limit.js';
import type { Modality } from '../decode/media-error.js';
import type { BadItem, DatasetFormat } from '../manifest/dataset-types.js';
import { readDataset, type ReadDatasetOptions } from '../manifest/read-dataset.js';
import { decodeDataset } from '../pipeline/decode-dataset.js';
import type { DataReportJson } from '../pipeline/data-report.js';

export interface CheckDatasetOptions {
  read?: ReadDatasetOptions;
  /** Decode every file (default) or only check paths and manifest fields. */
  decode?: boolean;
  concurrency?: number;
}

export interface Stats {
  min: number;
  median: number;
  mean: number;
  p95: number;
  max: number;
}

export interface DatasetCheck {
  path: string;
  format: DatasetFormat;
  items: { total: number; good: number; bad: number };
  /** Good items carrying each modality. */
  modalities: Record<Modality, number>;
  labels: { distinct: number; items: number };
  /** Every bad item with its reason (the same list data-report.json gets). */
  bad: BadItem[];
  byCode: Record<string, number>;
  duplicates: {
    /** Ids defined more than once (the later definitions are among the bad items). */
    ids: string[];
    /** Media files with identical content (SHA-256), or one file used by several items. */
    files: Array<{ modality: Modality; sha256: string; paths: string[]; ids: string[] }>;
  };
  captions: {
    items: number;
    total: number;
    perItem: Stats | undefined;
    chars: Stats | undefined;
    words: Stats | undefined;
  };
}

/**
 * Validates a dataset (a .jsonl/.csv manifest or a folder) without training, for `pnpm exp data check`:
 * reads it, decodes every media file at a tiny size (so truncated and corrupt files are found, not just
 * missing ones), and summarises counts per modality, every bad item with its reason, duplicate ids and
 * files (content hash), and caption length statistics. Nothing aborts: every problem is listed.
 * Returns the plain object and its text rendering.
 */
export async function checkDataset(path: string, options: CheckDatasetOptions = {}): Promise<{ check: DatasetCheck; text: string }> {
  const dataset = await readDataset(path, options.read);
  const concurrency = options.concurrency ?? 4;
  const policy = { mode: 'skip', maxConsecutiveBad: Number.MAX_SAFE_INTEGER, maxBadFraction: 1 } as const;
  const decodeOptions =
    options.decode === false
      ? {}
      : { image: { size: 8 }, audio: {}, video: { size: 8, frames: 1, sampling: { kind: 'uniform' as const } } };
  const { items, report } = await decodeDataset(dataset, { ...decodeOptions, policy, concurrency });
  const json: DataReportJson = report.toJSON();

  const modalities: Record<Modality, number> = { image: 0, text: 0, audio: 0, video: 0 };
  const labels = new Set<string>();
  let labelled = 0;
  for (const { item } of items) {
    if (item.image !== undefined) modalities.image++;
    if (item.texts !== undefined) modalities.text++;
    if (item.audio !== undefined) modalities.audio++;
    if (item.video !== undefined) modalities.video++;
    if (item.label !== undefined) {
      labels.add(item.label);
      labelled++;
    }
  }

  // Duplicate files: hash every media file once, group by content.
  const uses: Array<{ modality: Modality; path: string; id: string }> = [];
  for (const { item } of items) {
    for (const m of ['image', 'audio', 'video'] as const) {
      const p = item[m];
      if (p !== undefined) uses.push({ modality: m, path: p, id: item.id });
    }
  }
  const uniquePaths = [...new Set(uses.map((u) => u.path))];
  const hashes = new Map(await mapLimit(uniquePaths, concurrency, async (p) => [p, await sha256(p)] as const));
  const groups = new Map<string, { modality: Modality; sha256: string; paths: Set<string>; ids: string[] }>();
  for (const u of uses) {
    const sha = hashes.get(u.path) as string;
    const key = `${u.modality}:${sha}`;
    const g = groups.get(key) ?? { modality: u.modality, sha256: sha, paths: new Set<string>(), ids: [] };
    g.paths.add(u.path);
    g.ids.push(u.id);
    groups.set(key, g);
  }
  const files = [...groups.values()].filter((g) => g.ids.length > 1).map((g) => ({ modality: g.modality, sha256: g.sha256, paths: [...g.paths], ids: g.ids }));

  const captionLists = items.map((d) => d.item.texts).filter((t): t is string[] => t !== undefined);
  const all = captionLists.flat();
  const check: DatasetCheck = {
    path: dataset.path,
    format: dataset.format,
    items: { total: json.counts.seen, good: json.counts.good, bad: json.counts.bad },
    modalities,
    labels: { distinct: labels.size, items: labelled },
    bad: json.bad,
    byCode: json.byCode,
    duplicates: { ids: [...new Set(json.bad.filter((b) => b.code === 'duplicate-id' && b.id !== undefined).map((b) => b.id as string))], files },
    captions: {
      items: captionLists.length,
      total: all.length,
      perItem: stats(captionLists.map((t) => t.length)),
      chars: stats(all.map((t) => [...t].length)),
      words: stats(all.map((t) => t.split(/\s+/).filter((w) => w !== '').length)),
    },
  };
  return { check, text: formatDatasetCheck(check) };
}

function sha256(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

/** Nearest-rank percentiles; undefined for an empty list. */
export function stats(values: number[]): Stats | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const rank = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
  return { min: s[0] as number, median: rank(0.5), mean: s.reduce((a, b) => a + b, 0) / s.length, p95: rank(0.95), max: s.at(-1) as number };
}

/** The text `pnpm exp data check` prints. */
export function formatDatasetCheck(c: DatasetCheck): string {
  const rel = (p: string | undefined): string => (p === undefined ? '' : relative(c.format === 'folder' ? c.path : dirname(c.path), p) || p);
  const fmt = (s: Stats | undefined): string => (s === undefined ? '-' : `min ${s.min}, median ${s.median}, mean ${s.mean.toFixed(1)}, p95 ${s.p95}, max ${s.max}`);
  const lines = [
    `${c.path} (${c.format})`,
    `items: ${c.items.total} (${c.items.good} good, ${c.items.bad} bad)`,
    `modalities (good items): image ${c.modalities.image}, text ${c.modalities.text}, audio ${c.modalities.audio}, video ${c.modalities.video}`,
    `labels: ${c.labels.distinct} distinct on ${c.labels.items} items`,
    `captions: ${c.captions.total} on ${c.captions.items} items`,
    `  per item: ${fmt(c.captions.perItem)}`,
    `  characters: ${fmt(c.captions.chars)}`,
    `  words: ${fmt(c.captions.words)}`,
  ];
  if (c.duplicates.ids.length > 0) lines.push(`duplicate ids: ${c.duplicates.ids.join(', ')}`);
  for (const f of c.duplicates.files) lines.push(`duplicate ${f.modality} content ${f.sha256.slice(0, 12)}: ${f.paths.map(rel).join(', ')} (items ${f.ids.join(', ')})`);
  if (c.bad.length === 0) lines.push('bad items: none');
  else {
    lines.push(`bad items: ${c.bad.length} (${Object.entries(c.byCode).map(([k, v]) => `${v} ${k}`).join(', ')})`);
    for (const b of c.bad) {
      const where = b.line === undefined ? rel(b.file) : `${rel(b.file)}:${b.line}`;
      lines.push(`  ${where}: [${b.code}${b.modality === undefined ? '' : ` ${b.modality}`}] ${b.reason}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
