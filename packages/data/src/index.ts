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

// Batching
export { BatchSampler } from './batching/batch-sampler.js';
export type { BatchSamplerOptions, BatchSamplerState, SampledBatch } from './batching/batch-sampler.js';
export { collateBatch, collateImages, collateTokens, collateVideos, collateWaveforms, CollateError } from './batching/collate.js';
export type { CollateSample, CollateSpec, CollatedBatch, CropMode, PaddedBatch, StackedBatch, TokenCollateOptions, WaveformCollateOptions } from './batching/collate.js';
export { prefetch, PrefetchError } from './batching/prefetch.js';
export type { PrefetchOptions } from './batching/prefetch.js';
export { TensorCache, TENSOR_CACHE_VERSION, stableStringify } from './batching/tensor-cache.js';
export type { CachedArray, CachedDtype, CachedTensor, CachedTensors, TensorCacheKey, TensorCacheResult, TransformDescription } from './batching/tensor-cache.js';
export { randomGain, randomTimeShift, specAugment } from './batching/audio-augment.js';
export type { SpecAugmentOptions, TimeShiftOptions } from './batching/audio-augment.js';
export { sampleCaptions } from './batching/caption-sampling.js';

// Checking
export { checkDataset, formatDatasetCheck } from './check/check-dataset.js';
export type { CheckDatasetOptions, DatasetCheck, Stats } from './check/check-dataset.js';

// Tokenization
export { BpeTokenizer, BpeTrainOptionsSchema } from './tokenize/bpe-tokenizer.js';
export type { BpeTrainOptions, EncodedBatch } from './tokenize/bpe-tokenizer.js';
export type { BpeJson } from './tokenize/bpe-json.js';
export { TiktokenTokenizer, TIKTOKEN_ENCODINGS } from './tokenize/tiktoken-tokenizer.js';
export type { TiktokenEncoding, TiktokenJson } from './tokenize/tiktoken-tokenizer.js';
export { loadTokenizer } from './tokenize/load-tokenizer.js';

// Datasets
export { heldOutSplit } from './datasets/held-out-split.js';
export { loadEmoji, EMOJI_PREPROCESS_VERSION } from './datasets/emoji/load-emoji.js';
export { EmojiOptionsSchema, EMOJI_STYLES, defaultCacheDir } from './datasets/emoji/emoji-options.js';
export type { EmojiOptions, EmojiConfig, EmojiStyle } from './datasets/emoji/emoji-options.js';
export type { CacheOutcome, EmojiCard, EmojiConcept, EmojiDataset, ImageSet } from './datasets/emoji/emoji-types.js';

// Augmentation
export { augmentImages, ImageAugmentSchema } from './augment/image-augment.js';
export type { ImageAugmentConfig } from './augment/image-augment.js';

// Generated datasets
export { loadShapesVqa, SHAPES_VQA_SPLITS } from './datasets/shapes-vqa/load-shapes-vqa.js';
export type { ShapesVqaDataset, ShapesVqaSplit, ShapesVqaSplitName, ShapesVqaSplitCounts, ShapesVqaCard, ShapesQuestion } from './datasets/shapes-vqa/load-shapes-vqa.js';
export { ShapesVqaOptionsSchema, ANSWERS as SHAPES_VQA_ANSWERS, COLOURS as SHAPES_VQA_COLOURS, SHAPES as SHAPES_VQA_SHAPES, QUESTION_TYPES as SHAPES_VQA_QUESTION_TYPES, DEFAULT_HELD_OUT_PAIRS as SHAPES_VQA_DEFAULT_HELD_OUT_PAIRS } from './datasets/shapes-vqa/shapes-vqa-options.js';
export type { ShapesVqaOptions, ShapesVqaConfig, Shape as ShapesVqaShape, Colour as ShapesVqaColour, ColourShape, QuestionType as ShapesVqaQuestionType } from './datasets/shapes-vqa/shapes-vqa-options.js';
export type { ShapesScene, SceneObject } from './datasets/shapes-vqa/shapes-scene.js';
export type { QuestionSpec as ShapesVqaQuestionSpec } from './datasets/shapes-vqa/shapes-questions.js';
export { loadNoisyPairs, NoisyPairsOptionsSchema, NOISY_PAIRS_MODALITIES, NOISY_PAIRS_SPLITS } from './datasets/noisy-pairs/load-noisy-pairs.js';
export type { NoisyPairsOptions, NoisyPairsConfig, NoisyPairsDataset, NoisyPairsSplit, NoisyPairsSplitName, NoisyPairsCard, NoisyPairsModality } from './datasets/noisy-pairs/load-noisy-pairs.js';
export { loadEmojiMotion, EmojiMotionOptionsSchema } from './datasets/emoji-motion/load-emoji-motion.js';
export type { EmojiMotionOptions, EmojiMotionConfig, EmojiMotionDataset, EmojiMotionCard, MotionClipSet, MotionClipInfo } from './datasets/emoji-motion/load-emoji-motion.js';
export { MOTIONS, MOTION_PAIRS } from './datasets/emoji-motion/render-clip.js';
export type { Motion } from './datasets/emoji-motion/render-clip.js';
export { writeClipMp4 } from './datasets/emoji-motion/write-clip-mp4.js';
export type { WriteMp4Options } from './datasets/emoji-motion/write-clip-mp4.js';
export { loadEmojiSpeech, EmojiSpeechOptionsSchema, ESPEAK_RATE, EMOJI_SPEECH_FORMAT } from './datasets/emoji-speech/load-emoji-speech.js';
export type { EmojiSpeechOptions, EmojiSpeechConfig, EmojiSpeechDataset, EmojiSpeechCard, SpeechClip, SpeechVoice, SpeechVoiceOptions } from './datasets/emoji-speech/load-emoji-speech.js';
export { ToolMissingError } from './decode/run-tool.js';
