import { IMAGE_PREPROCESS_VERSION } from '../../decode/preprocess-image.js';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { availableParallelism } from 'node:os';
import { bytesToUnit, decodeImageRgb } from '../../decode/preprocess-image.js';
import { mapLimit } from '../../decode/map-limit.js';
import { parseOrThrow } from '../../zod-issues.js';
import { heldOutSplit } from '../held-out-split.js';
import { pixelCacheFile, readPixelCache, writePixelCache, type PixelCacheKey } from '../pixel-cache.js';
import { isSkinToneVariant, hasImage, selectConcepts } from './emoji-concepts.js';
import { defaultCacheDir, EmojiOptionsSchema, type EmojiConfig, type EmojiOptions, type EmojiStyle } from './emoji-options.js';
import { CLDR_SOURCE, readCldr, readStylePackage, STYLE_SOURCES, type StylePackage } from './emoji-sources.js';
import type { CacheOutcome, EmojiCard, EmojiConcept, EmojiDataset, ImageSet } from './emoji-types.js';

/** Bump when decoding changes (kernel, background, crop) so cached pixels from the old code are not reused. */
export const EMOJI_PREPROCESS_VERSION = IMAGE_PREPROCESS_VERSION;

/**
 * The emoji of emoji-datasource that have an image in every requested style, with captions from
 * emoji-datasource and CLDR (emojibase-data), images decoded once and cached on disk per
 * (package version, style, size), and a seeded held-out split of concepts.
 */
export async function loadEmoji(options: EmojiOptions = {}): Promise<EmojiDataset> {
  const start = performance.now();
  const config = parseOrThrow(EmojiOptionsSchema, options, 'loadEmoji options');
  const cacheDir = config.cacheDir ?? defaultCacheDir();

  const [packages, cldr] = await Promise.all([Promise.all(config.styles.map(readStylePackage)), readCldr()]);
  const selection = selectConcepts(packages, cldr.byKey);
  const ids = selection.concepts.map((c) => c.id);

  const images: Partial<Record<EmojiStyle, ImageSet>> = {};
  const cache: Partial<Record<EmojiStyle, CacheOutcome>> = {};
  // One style at a time: decoding one already keeps every core busy.
  for (const pkg of packages) {
    const loaded = await loadStyle(pkg, ids, config.imageSize, cacheDir);
    images[pkg.style] = loaded.set;
    cache[pkg.style] = loaded.outcome;
  }

  const split = heldOutSplit(ids, config.heldOutFraction, config.seed);
  const card = makeCard(config, selection, split, packages, cldr.version, {
    ms: Math.round(performance.now() - start),
    cache,
    cacheDir,
  });
  return { concepts: selection.concepts, images, split, card };
}

async function loadStyle(
  pkg: StylePackage,
  ids: string[],
  size: number,
  cacheDir: string,
): Promise<{ set: ImageSet; outcome: CacheOutcome }> {
  const key: PixelCacheKey = {
    dataset: 'emoji',
    source: `${STYLE_SOURCES[pkg.style].package}@${pkg.version}`,
    style: pkg.style,
    size,
    preprocess: EMOJI_PREPROCESS_VERSION,
  };
  const file = pixelCacheFile(cacheDir, key);
  const read = await readPixelCache(file, key);
  let outcome: CacheOutcome = 'miss';
  if (read.status === 'hit') {
    const set = gatherRows(read.entry.ids, read.entry.pixels, ids, size);
    if (set !== undefined) return { set, outcome: 'hit' };
    outcome = 'rebuilt';
    warn(`emoji pixel cache ${file} lacks some concepts; rebuilding it`);
  } else if (read.status === 'corrupt') {
    outcome = 'rebuilt';
    warn(`emoji pixel cache ${file} is invalid (${read.reason}); rebuilding it`);
  }

  // The cache holds every image of the style, not just this selection, so any style combination reuses it.
  const entries = pkg.entries.filter((e) => hasImage(e, pkg.style) && !isSkinToneVariant(e.unified));
  const rowBytes = size * size * 3;
  const pixels = new Uint8Array(entries.length * rowBytes);
  await mapLimit(entries, 2 * availableParallelism(), async (entry, i) => {
    const file = join(pkg.imageDir, entry.image);
    pixels.set(await decodeImageRgb(file, size, file), i * rowBytes);
  });
  const cachedIds = entries.map((e) => e.unified);
  try {
    await writePixelCache(file, key, { ids: cachedIds, pixels });
  } catch (e) {
    // The cache only saves time: a read-only or full disk must not stop training.
    warn(`could not write emoji pixel cache ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const set = gatherRows(cachedIds, pixels, ids, size);
  if (set === undefined) throw new Error(`emoji ${pkg.style}: decoded images do not cover the selected concepts`);
  return { set, outcome };
}

/** Rows of `pixels` (ordered as `rowIds`) reordered as `ids`, as floats; undefined if an id is absent. */
function gatherRows(rowIds: string[], pixels: Uint8Array, ids: string[], size: number): ImageSet | undefined {
  const rowOf = new Map(rowIds.map((id, row) => [id, row]));
  const rowBytes = size * size * 3;
  const out = new Float32Array(ids.length * rowBytes); // [count, size, size, 3]
  for (let i = 0; i < ids.length; i++) {
    const row = rowOf.get(ids[i] as string);
    if (row === undefined) return undefined;
    bytesToUnit(pixels.subarray(row * rowBytes, (row + 1) * rowBytes), out, i * rowBytes);
  }
  return { size, count: ids.length, pixels: out };
}

function makeCard(
  config: EmojiConfig,
  selection: { concepts: EmojiConcept[]; skippedMissingImage: number; skippedSkinTone: number },
  split: { train: number[]; test: number[] },
  packages: StylePackage[],
  cldrVersion: string,
  load: EmojiCard['load'],
): EmojiCard {
  const perConcept = selection.concepts.map((c) => c.captions.length);
  const captions = perConcept.reduce((a, b) => a + b, 0);
  return {
    name: 'emoji',
    imageSize: config.imageSize,
    styles: config.styles,
    seed: config.seed,
    heldOutFraction: config.heldOutFraction,
    counts: {
      concepts: selection.concepts.length,
      train: split.train.length,
      test: split.test.length,
      captions,
      captionsPerConcept: {
        min: perConcept.length > 0 ? Math.min(...perConcept) : 0,
        mean: perConcept.length > 0 ? Math.round((captions / perConcept.length) * 100) / 100 : 0,
        max: perConcept.length > 0 ? Math.max(...perConcept) : 0,
      },
      categories: new Set(selection.concepts.map((c) => c.category)).size,
      subcategories: new Set(selection.concepts.map((c) => c.subcategory)).size,
      skippedMissingImage: selection.skippedMissingImage,
      skippedSkinTone: selection.skippedSkinTone,
    },
    sources: [
      ...packages.map((p) => ({
        package: STYLE_SOURCES[p.style].package,
        version: p.version,
        licence: STYLE_SOURCES[p.style].licence,
        use: `${p.style} 64 px images, names, short names, categories`,
      })),
      { package: CLDR_SOURCE.package, version: cldrVersion, licence: CLDR_SOURCE.licence, use: 'English CLDR labels and tags' },
    ],
    load,
  };
}

function warn(message: string): void {
  console.warn(`[modalab/data] ${message}`);
}
