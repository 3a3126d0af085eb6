import { type BadItem, EMOJI_STYLES, type EmojiStyle, loadEmoji, loadImage, readDataset } from '@modalab/data';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { SearchModality } from './run-model.js';
import type { IndexRowMeta } from './store.js';
import { pngFromFile, pngFromPixels } from './thumbnails.js';

/** One row of an index before embedding: the stored fields plus how to load its content. */
export interface CollectionItem extends IndexRowMeta {
  /** The image at the run's size, [S, S, 3] in [0, 1] (image rows). */
  pixels?: () => Promise<Float32Array>;
  /** A small PNG for the explorer (image rows). */
  thumbnail?: () => Promise<Buffer>;
}

export interface Collection {
  /** As given (builtin:emoji, a manifest, a folder). */
  spec: string;
  /** The absolute manifest/folder path, or the builtin name. */
  resolved: string;
  items: CollectionItem[];
  /** Records the dataset reader refused (indexed without them). */
  bad: BadItem[];
  /** Rows left out because the run cannot embed their modality. */
  skipped: Partial<Record<string, number>>;
}

export interface LoadCollectionOptions {
  /** The run's image size. */
  imageSize: number;
  /** Modalities the run can embed; rows of others are counted in `skipped`. */
  modalities: readonly SearchModality[];
  /** Keep the first N collection items (tests, quick looks). */
  limit?: number;
  /** Seed and held-out fraction of the run, so builtin items carry the run's train/test split as their label suffix. */
  split?: { seed: number; heldOutFraction: number };
  /** The emoji style when the spec names none (the run's training style). */
  defaultStyle?: string;
}

const BUILTIN = /^builtin:([a-z-]+)(?:\/([a-z]+))?$/;

/**
 * Reads a collection to index: `builtin:emoji[/style]` (every emoji concept: its image in one
 * drawing style, by default the run's training style, and its name) or a manifest/folder read by @modalab/data. Content is hashed here;
 * pixels are decoded only when asked for, so re-indexing an unchanged collection decodes nothing.
 */
export async function loadCollection(spec: string, options: LoadCollectionOptions): Promise<Collection> {
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) throw new Error(`limit must be a positive integer, received ${options.limit}`);
  const builtin = BUILTIN.exec(spec);
  if (builtin) return loadBuiltin(spec, builtin[1]!, builtin[2], options);
  if (spec.startsWith('builtin:')) throw new Error(`Unknown collection '${spec}'. Built-in: builtin:emoji, builtin:emoji/<style> (styles: ${EMOJI_STYLES.join(', ')})`);
  return loadDataset(spec, options);
}

async function loadBuiltin(spec: string, name: string, style: string | undefined, options: LoadCollectionOptions): Promise<Collection> {
  if (name !== 'emoji') throw new Error(`Unknown built-in collection '${name}' in '${spec}'. Built-in: emoji`);
  const chosen = (style ?? options.defaultStyle ?? 'google') as EmojiStyle;
  if (!EMOJI_STYLES.includes(chosen)) throw new Error(`Unknown emoji style '${style}' in '${spec}'. Styles: ${EMOJI_STYLES.join(', ')}`);
  const size = options.imageSize;
  const data = await loadEmoji({ imageSize: size, styles: [chosen], ...(options.split === undefined ? {} : { seed: options.split.seed, heldOutFraction: options.split.heldOutFraction }) });
  const pixels = data.images[chosen]!.pixels;
  const per = size * size * 3;
  const held = new Set(data.split.test);
  const count = Math.min(data.concepts.length, options.limit ?? Infinity);
  const items: CollectionItem[] = [];
  for (let i = 0; i < count; i++) {
    const c = data.concepts[i]!;
    const label = options.split === undefined ? c.category : `${c.category} (${held.has(i) ? 'held out' : 'train'})`;
    const own = pixels.subarray(i * per, (i + 1) * per);
    items.push({
      id: `${c.id}/image`,
      group: c.id,
      modality: 'image',
      text: c.name,
      label,
      source: `builtin:emoji/${chosen}#${c.id}`,
      hash: sha256(Buffer.from(own.buffer, own.byteOffset, own.byteLength)),
      pixels: async () => own,
      thumbnail: () => pngFromPixels(own, size),
    });
    items.push({ id: `${c.id}/text`, group: c.id, modality: 'text', text: c.name, label, source: `builtin:emoji#${c.id}`, hash: textHash(c.name) });
  }
  return { spec, resolved: `builtin:emoji/${chosen}`, items, bad: [], skipped: {} };
}

async function loadDataset(spec: string, options: LoadCollectionOptions): Promise<Collection> {
  const read = await readDataset(spec);
  const skipped: Partial<Record<string, number>> = {};
  const skip = (modality: string) => (skipped[modality] = (skipped[modality] ?? 0) + 1);
  const can = new Set(options.modalities);
  const items: CollectionItem[] = [];
  for (const item of read.items.slice(0, options.limit ?? read.items.length)) {
    const caption = item.texts?.[0] ?? item.label ?? item.id;
    const label = item.label ?? '';
    if (item.image !== undefined) {
      if (!can.has('image')) skip('image');
      else {
        const file = item.image;
        const size = options.imageSize;
        items.push({
          id: `${item.id}/image`,
          group: item.id,
          modality: 'image',
          text: caption,
          label,
          source: file,
          hash: sha256(await fs.readFile(file)),
          pixels: () => loadImage(file, size),
          thumbnail: () => pngFromFile(file),
        });
      }
    }
    if (item.audio !== undefined) {
      if (!can.has('audio')) skip('audio');
      else items.push({ id: `${item.id}/audio`, group: item.id, modality: 'audio', text: caption, label, source: item.audio, hash: sha256(await fs.readFile(item.audio)) });
    }
    // No search model has a video tower yet.
    if (item.video !== undefined) skip('video');
    (item.texts ?? []).forEach((t, i) => {
      if (!can.has('text')) return void skip('text');
      items.push({ id: `${item.id}/text/${i}`, group: item.id, modality: 'text', text: t, label, source: read.path, hash: textHash(t) });
    });
  }
  return { spec, resolved: path.resolve(read.path), items, bad: read.bad, skipped };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function textHash(text: string): string {
  return createHash('sha256').update('text\0').update(text).digest('hex');
}
