import type { EmojiStyle } from './emoji-options.js';

export interface EmojiConcept {
  /** emoji-datasource's unified code, e.g. '1F600' or '2764-FE0F'. */
  id: string;
  char: string;
  /** The Unicode name, lowercased; also `captions[0]`. */
  name: string;
  /** Deduplicated, lowercased; the name first, then short names, the CLDR label and CLDR tags. */
  captions: string[];
  category: string;
  subcategory: string;
}

export interface ImageSet {
  size: number;
  count: number;
  /** [count, size, size, 3] RGB in [0, 1], alpha composited on white. */
  pixels: Float32Array;
}

export type CacheOutcome = 'hit' | 'miss' | 'rebuilt';

export interface EmojiCard {
  name: 'emoji';
  imageSize: number;
  styles: EmojiStyle[];
  seed: number;
  heldOutFraction: number;
  counts: {
    concepts: number;
    train: number;
    test: number;
    captions: number;
    captionsPerConcept: { min: number; mean: number; max: number };
    categories: number;
    subcategories: number;
    /** Entries left out because some requested style has no image for them. */
    skippedMissingImage: number;
    /** Skin-tone variants left out: they share their base emoji's name and captions. */
    skippedSkinTone: number;
  };
  sources: Array<{ package: string; version: string; licence: string; use: string }>;
  load: { ms: number; cache: Partial<Record<EmojiStyle, CacheOutcome>>; cacheDir: string };
}

export interface EmojiDataset {
  concepts: EmojiConcept[];
  /** Row i of every style is concepts[i]. */
  images: Partial<Record<EmojiStyle, ImageSet>>;
  /** Indices into concepts; a fixed, seeded fraction of concepts is held out; disjoint and sorted. */
  split: { train: number[]; test: number[] };
  card: EmojiCard;
}
