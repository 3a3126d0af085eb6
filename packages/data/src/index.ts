// @modalab/data: datasets, image decoding, tokenization and manifests. One entry point; no side effects.

// Errors
export { DataError } from './errors.js';
export { MediaError, MODALITIES, REASON_CODES, reasonCodeOf } from './decode/media-error.js';
export type { Modality, ReasonCode } from './decode/media-error.js';

// Decoding
export { loadImage } from './decode/load-image.js';
export { DEFAULT_MAX_PIXELS } from './decode/preprocess-image.js';
export type { DecodeImageOptions } from './decode/preprocess-image.js';

export { loadWav, decodeWav, parseWavHeader, downmix } from './decode/wav.js';
export type { AudioClip, LoadWavOptions, WavInfo, WavLimits } from './decode/wav.js';
export { encodeWav } from './decode/encode-wav.js';
export type { WavEncoding } from './decode/encode-wav.js';
export { resample } from './decode/resample.js';
export type { ResampleOptions } from './decode/resample.js';
export { probeVideo, loadVideo, loadVideoAudio } from './decode/video.js';
export type { LoadVideoAudioOptions, LoadVideoOptions, VideoClip, VideoInfo, VideoLimits, VideoToolOptions } from './decode/video.js';

// Manifests
export { readManifest } from './manifest/read-manifest.js';
export type { ManifestItem } from './manifest/read-manifest.js';

export { readDataset, FOLDER_IMAGE_EXTENSIONS } from './manifest/read-dataset.js';
export type { ReadDatasetOptions } from './manifest/read-dataset.js';
export type { BadItem, DatasetFormat, DatasetItem, DatasetSource, ReadDatasetResult } from './manifest/dataset-types.js';

// Pipeline
export { DataPolicySchema } from './pipeline/data-policy.js';
export type { DataPolicy, DataPolicyInput } from './pipeline/data-policy.js';
export { DataReport, DataAbortError } from './pipeline/data-report.js';
export type { DataReportJson } from './pipeline/data-report.js';
export { decodeDataset, decodeItem } from './pipeline/decode-dataset.js';
export type { DecodeDatasetOptions, DecodedItem } from './pipeline/decode-dataset.js';

// Checking
export { checkDataset, formatDatasetCheck } from './check/check-dataset.js';
export type { CheckDatasetOptions, DatasetCheck, Stats } from './check/check-dataset.js';

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
