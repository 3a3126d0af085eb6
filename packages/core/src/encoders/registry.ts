import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { Rng } from '../random/rng.js';
import { AstConfigSchema, AudioSpectrogramTransformer } from './audio/ast.js';
import { Conv1dAudioConfigSchema, Conv1dAudioEncoder } from './audio/conv1d-audio.js';
import { ConvNet, ConvNetConfigSchema } from './convnet.js';
import type { Encoder } from './encoder.js';
import { TextTransformer, TextTransformerConfigSchema } from './text-transformer.js';
import { createTemporal } from './video/temporal.js';
import { VideoEncoder, VideoEncoderConfigSchema } from './video/video-encoder.js';
import { VisionTransformer, VitConfigSchema } from './vit.js';

export const EncoderConfigSchema = z.union([
  VitConfigSchema,
  ConvNetConfigSchema,
  TextTransformerConfigSchema,
  AstConfigSchema,
  Conv1dAudioConfigSchema,
  VideoEncoderConfigSchema,
]);
export type EncoderConfig = z.infer<typeof EncoderConfigSchema>;
export type EncoderKind = EncoderConfig['kind'];

type Builder<K extends EncoderKind> = (config: Extract<EncoderConfig, { kind: K }>, rng: Rng) => Encoder<never>;

const ENCODERS = {
  vit: (config, rng) => new VisionTransformer(config, rng),
  convnet: (config, rng) => new ConvNet(config, rng),
  'text-transformer': (config, rng) => new TextTransformer(config, rng),
  ast: (config, rng) => new AudioSpectrogramTransformer(config, rng),
  'conv1d-audio': (config, rng) => new Conv1dAudioEncoder(config, rng),
  video: (config, rng) => {
    const frame = createEncoder(config.frame, rng) as Encoder<tf.Tensor4D>;
    return new VideoEncoder({ frame, temporal: createTemporal(config.temporal, frame.outputDim, config.frames, rng), maxFrames: config.frames });
  },
} satisfies { [K in EncoderKind]: Builder<K> };

/** Builds an encoder from its config; an unknown kind lists the registered ones. */
export function createEncoder(config: EncoderConfig, rng: Rng): Encoder<never> {
  const kind = (config as { kind?: unknown }).kind;
  const builder = (ENCODERS as Record<string, Builder<EncoderKind>>)[String(kind)];
  if (!builder) throw new Error(`Unknown encoder '${String(kind)}'. Registered: ${Object.keys(ENCODERS).join(', ')}`);
  return builder(config as never, rng);
}

export const ENCODER_KINDS = Object.keys(ENCODERS) as EncoderKind[];
