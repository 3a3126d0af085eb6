import './train/register-gradients.js';

// Backend
export { initBackend, backendInfo, BACKEND_ORDER } from './backend/init-backend.js';
export { registerWasmTrainingKernels, setWasmKernelOverrides } from './backend/wasm-kernels/index.js';
export { registerNativeKernels, setNativeKernels, setNativeMathMode, nativeKernelStatus, type NativeKernelStatus } from './backend/native/index.js';
export type { NativeMath } from './backend/native/addon.js';
export type { BackendName, BackendInfo, BackendAttempt, InitBackendOptions } from './backend/init-backend.js';

// Randomness
export { Rng } from './random/rng.js';

// Layers
export { Module } from './layers/module.js';
export { Linear, type LinearConfig } from './layers/linear.js';
export { LayerNorm } from './layers/layer-norm.js';
export { gelu, geluTanh, quickGelu, activation, ACTIVATIONS, type ActivationKind } from './layers/activations.js';
export { Mlp } from './layers/mlp.js';
export { Dropout } from './layers/dropout.js';
export { MultiHeadAttention, keyPaddingBias, causalBias, MASKED, type AttentionConfig } from './layers/attention.js';
export { TransformerBlock, type TransformerBlockConfig } from './layers/transformer-block.js';
export { TokenEmbedding, LearnedPositions, PatchEmbedding, sinusoidalPositions } from './layers/embeddings.js';

// Encoders
export type { Encoder, TextInput, AudioInput, VideoInput, ModalityInputs, Modality } from './encoders/encoder.js';
export { ConvNet, ConvNetConfigSchema, type ConvNetConfig } from './encoders/convnet.js';
export { LogMel, LogMelConfigSchema, melFilterbank, logMelFrames, hzToMel, melToHz, type LogMelConfig } from './encoders/audio/log-mel.js';
export { AudioSpectrogramTransformer, AstConfigSchema, type AstConfig } from './encoders/audio/ast.js';
export { Conv1dAudioEncoder, Conv1dAudioConfigSchema, type Conv1dAudioConfig } from './encoders/audio/conv1d-audio.js';
export { sampleFrames, gatherFrames, FrameSamplingSchema, type FrameSampling } from './encoders/video/frame-sampling.js';
export { MeanTemporal, TemporalTransformer, PerceiverTemporal, createTemporal, TemporalConfigSchema, MeanTemporalConfigSchema, TemporalTransformerConfigSchema, PerceiverTemporalConfigSchema, type TemporalModule, type TemporalConfig, type TemporalKind, type TemporalTransformerConfig, type PerceiverTemporalConfig } from './encoders/video/temporal.js';
export { VideoEncoder, VideoEncoderConfigSchema, ImageEncoderConfigSchema, type VideoEncoderConfig, type VideoEncoderParts } from './encoders/video/video-encoder.js';
export { VisionTransformer, VitTokens, VitConfigSchema, ActivationSchema, type VitConfig } from './encoders/vit.js';
export { TextTransformer, TextTransformerConfigSchema, type TextTransformerConfig } from './encoders/text-transformer.js';
export { createEncoder, EncoderConfigSchema, ENCODER_KINDS, type EncoderConfig, type EncoderKind } from './encoders/registry.js';
export { fileModelIO, ModelFileError, resolveModelJson } from './encoders/pretrained/file-io.js';
export { LayersModelTower, loadLayersTower, type LayersModelTowerOptions } from './encoders/pretrained/layers-tower.js';
export { GraphModelTower, loadGraphTower, type GraphModelTowerOptions } from './encoders/pretrained/graph-tower.js';
export { lockExceptLast } from './encoders/pretrained/lock.js';
export { saveEncoder, loadEncoder, SAVED_ENCODER_KIND, type LoadEncoderOptions } from './encoders/pretrained/saved-encoder.js';
export type { TowerOptions, TowerPool } from './encoders/pretrained/tower-output.js';

// Losses
export { clipLoss, LogitScale, type ClipLossOutput, type LogitScaleConfig } from './losses/clip-loss.js';
export { infoNce, InfoNceLoss, type InfoNceOutput, type InfoNceOptions } from './losses/info-nce.js';
export { sigLipLoss, SigLipLoss, type SigLipLossOutput, type SigLipLossOptions, type SigLipLossConfig } from './losses/siglip-loss.js';
export { tripletLoss, type TripletLossOutput, type TripletLossOptions, type TripletMetric } from './losses/triplet-loss.js';
export { alignmentLoss, uniformityLoss, alignUniformLoss, type AlignUniformOptions, type AlignUniformOutput } from './losses/align-uniform-loss.js';
export { createContrastiveLoss, WithUniformity, type ContrastiveLoss, type ContrastiveLossConfig, type ContrastiveLossKind } from './losses/contrastive-loss.js';
export { bindingLoss, bindingPairs, BindingLoss, type BindingLossOptions, type BindingLossOutput, type BindingEmbeddings } from './losses/binding-loss.js';

// Fusion
export type { Fusion, FusionInputs, FusionMasks } from './fusion/fusion.js';
export { ModalityDimsSchema } from './fusion/fusion.js';
export { ConcatMlpFusion, ConcatMlpConfigSchema, type ConcatMlpConfig } from './fusion/concat-mlp.js';
export { GatedFusion, GatedFusionConfigSchema, type GatedFusionConfig } from './fusion/gated.js';
export { DeepSetFusion, DeepSetConfigSchema, type DeepSetConfig } from './fusion/deep-set.js';
export { CrossAttentionFusion, CrossAttentionFusionConfigSchema, type CrossAttentionFusionConfig } from './fusion/cross-attention.js';
export { PerceiverResampler, PerceiverResamplerConfigSchema, type PerceiverResamplerConfig } from './fusion/perceiver-resampler.js';
export { GatedCrossAttention, GatedCrossAttentionConfigSchema, type GatedCrossAttentionConfig } from './fusion/gated-cross-attention.js';
export { createFusion, FusionConfigSchema, FUSION_KINDS, type FusionConfig, type FusionKind } from './fusion/registry.js';

// Models
export { DualEncoder, l2Normalize, type DualEncoderOptions } from './models/dual-encoder.js';
export { MultiEncoder, type MultiEncoderOptions, type MultiEncoderLossOptions } from './models/multi-encoder.js';
export { FusionClassifier, type FusionClassifierOptions, type FusionClassifierOutput, type FusionClassifierRunOptions, type FusionLike, type HeadLike } from './models/fusion-classifier.js';
export { Captioner, type CaptionerOptions, type CaptionerLossOutput, type Caption, type DecodeOptions, type BeamOptions, type ImageTower } from './models/captioner.js';
export { CaptionDecoder, CaptionDecoderConfigSchema, type CaptionDecoderConfig } from './models/caption-decoder.js';
export type { EncoderRecord, BatchOf, InputOf } from './models/encoder-record.js';

// Training
export { AdamW, defaultNoDecay, type AdamWConfig, type StepOutput } from './train/adamw.js';
export { warmupCosine, type WarmupCosineConfig } from './train/schedule.js';
export type { Optimizer } from './train/optimizer.js';
export { Sgd, type SgdConfig } from './train/sgd.js';
export { globalNorm, clipScale, clipByGlobalNorm, groupGradNorms, type ClippedGradients } from './train/clip-grad.js';
export { Trainer, type TrainerOptions, type TrainerState, type TrainerEvents, type TrainableModel, type LogRecord, type BatchSource, type FitOptions } from './train/trainer.js';
export { lossStep, gradCacheStep, modalityOfParameter, type StepFunction, type StepContext, type StepResult, type LossFunctionOutput, type LossStepOptions } from './train/step-functions.js';
export { gradCacheGradients, type GradCacheOptions, type GradCacheOutput } from './train/grad-cache.js';
export { splitBatch, chunkSizes } from './train/split-batch.js';
export { sampleModalityDropout, applyModalityDropout, type ModalityKeep } from './train/modality-dropout.js';
export { NonFiniteGuard, type NonFiniteGuardOptions } from './train/non-finite-guard.js';
export { freeze, unfreeze, lockTower, type NamePattern, type LockTowerOptions } from './train/freeze.js';
export { Ema } from './train/ema.js';
export { ogmCoefficients, ogmGeStep, type OgmGeOptions, type ModulatedClassifier } from './train/ogm-ge.js';
export { BalancedPairSampler, type PairBatch, type BalancedPairSamplerState } from './train/balanced-pair-sampler.js';

// Checkpoints
export {
  encodeCheckpoint,
  decodeCheckpoint,
  toTensors,
  saveCheckpoint,
  loadCheckpoint,
  writeFileAtomic,
  CHECKPOINT_VERSION,
  CheckpointError,
  type CheckpointState,
  type DecodedCheckpoint,
  type DecodedTensor,
} from './checkpoint/index.js';

// Testing helpers (numerical comparison that never lets NaN or Infinity pass)
export { assertAllClose, maxRelativeError, type Tolerance } from './testing/all-close.js';
export { deterministicInit, deterministicPattern, fnv1a32 } from './testing/deterministic-init.js';
