// @modalab/data: datasets, image decoding, tokenization and manifests. One entry point; no side effects.

// Errors
export { DataError } from './errors.js';

// Decoding
export { loadImage } from './decode/load-image.js';
export { DEFAULT_MAX_PIXELS } from './decode/preprocess-image.js';
export type { DecodeImageOptions } from './decode/preprocess-image.js';

// Manifests
export { readManifest } from './manifest/read-manifest.js';
export type { ManifestItem } from './manifest/read-manifest.js';

// Tokenization
export { BpeTokenizer, BpeTrainOptionsSchema } from './tokenize/bpe-tokenizer.js';
export type { BpeTrainOptions, EncodedBatch } from './tokenize/bpe-tokenizer.js';
export type { BpeJson } from './tokenize/bpe-json.js';

// Datasets
export { heldOutSplit } from './datasets/held-out-split.js';
export { loadEmoji, EMOJI_PREPROCESS_VERSION } from './datasets/emoji/load-emoji.js';
export { EmojiOptionsSchema, EMOJI_STYLES, defaultCacheDir } from './datasets/emoji/emoji-options.js';
export type { EmojiOptions, EmojiConfig, EmojiStyle } from './datasets/emoji/emoji-options.js';
export type { CacheOutcome, EmojiCard, EmojiConcept, EmojiDataset, ImageSet } from './datasets/emoji/emoji-types.js';

// Augmentation
export { augmentImages, ImageAugmentSchema } from './augment/image-augment.js';
export type { ImageAugmentConfig } from './augment/image-augment.js';
