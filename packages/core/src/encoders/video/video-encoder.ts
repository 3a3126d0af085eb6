import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Module } from '../../layers/module.js';
import { ConvNetConfigSchema } from '../convnet.js';
import type { Encoder, VideoInput } from '../encoder.js';
import { VitConfigSchema } from '../vit.js';
import { TemporalConfigSchema, type TemporalModule } from './temporal.js';

/** Every registered image encoder config; a new image kind is added here and in the registry. */
export const ImageEncoderConfigSchema = z.union([VitConfigSchema, ConvNetConfigSchema]);

export const VideoEncoderConfigSchema = z
  .object({
    kind: z.literal('video'),
    frames: z.number().int().positive().default(8).describe('most frames per clip (size of the time-embedding table); 8 as many CLIP-video models'),
    frame: ImageEncoderConfigSchema.describe('the per-frame image encoder, shared across frames'),
    temporal: TemporalConfigSchema.default({ kind: 'transformer' }).describe('transformer: mean pooling cannot see order'),
  })
  .strict();
export type VideoEncoderConfig = z.infer<typeof VideoEncoderConfigSchema>;

export interface VideoEncoderParts {
  /** Applied to every frame with shared weights. */
  frame: Encoder<tf.Tensor4D>;
  /** Its input width must be frame.outputDim. */
  temporal: TemporalModule;
  /** Most frames per clip. */
  maxFrames: number;
}

/**
 * Per-frame image encoder + temporal module (the factorised design of ViViT, Arnab et al. 2021,
 * and CLIP4Clip, Luo et al. 2021): video [B, T, H, W, C] -> [B, temporal.outputDim].
 */
export class VideoEncoder extends Module implements Encoder<VideoInput> {
  readonly outputDim: number;
  readonly frame: Encoder<tf.Tensor4D>;
  readonly temporal: TemporalModule;
  readonly maxFrames: number;

  constructor(parts: VideoEncoderParts) {
    super();
    this.frame = this.child('frame', parts.frame);
    this.temporal = this.child('temporal', parts.temporal);
    this.maxFrames = parts.maxFrames;
    this.outputDim = parts.temporal.outputDim;
  }

  apply(video: VideoInput): tf.Tensor2D {
    if (video.rank !== 5) throw new Error(`VideoEncoder: expected video [B, T, H, W, C], got [${video.shape.join(', ')}]`);
    const [b, t, h, w, c] = video.shape;
    if (t > this.maxFrames) {
      throw new Error(`VideoEncoder: clip has ${t} frames, at most ${this.maxFrames}; pick frames with sampleFrames + gatherFrames`);
    }
    return tf.tidy(() => {
      const frames = this.frame.apply(tf.reshape(video, [b * t, h, w, c]) as tf.Tensor4D); // [B*T, Df]
      return this.temporal.apply(tf.reshape(frames, [b, t, this.frame.outputDim]) as tf.Tensor3D); // [B, D]
    });
  }
}
