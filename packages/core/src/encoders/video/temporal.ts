import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { ActivationKind } from '../../layers/activations.js';
import { LearnedPositions } from '../../layers/embeddings.js';
import { LayerNorm } from '../../layers/layer-norm.js';
import { Module, normalInit } from '../../layers/module.js';
import { TransformerBlock } from '../../layers/transformer-block.js';
import { PerceiverResampler } from '../../fusion/perceiver-resampler.js';
import type { Rng } from '../../random/rng.js';
import { ActivationSchema } from '../vit.js';

/**
 * Aggregates per-frame features [B, T, D] into one vector [B, outputDim]. The extension point
 * for other temporal models: a new one adds its config schema to TemporalConfigSchema and a
 * builder to TEMPORAL_MODULES (as 'perceiver' does), or is built elsewhere and handed to
 * VideoEncoder directly.
 */
export interface TemporalModule extends Module {
  readonly outputDim: number;
  apply(frames: tf.Tensor3D): tf.Tensor2D;
}

export const MeanTemporalConfigSchema = z.object({ kind: z.literal('mean') }).strict().describe('order-blind baseline');

export const TemporalTransformerConfigSchema = z
  .object({
    kind: z.literal('transformer'),
    depth: z.number().int().positive().default(2).describe('2 blocks suffice for short clips (8-16 frames)'),
    heads: z.number().int().positive().default(4),
    mlpRatio: z.number().positive().default(4),
    activation: ActivationSchema.default('quick-gelu'),
    pool: z.enum(['cls', 'mean']).default('cls'),
  })
  .strict();
export type TemporalTransformerConfig = z.infer<typeof TemporalTransformerConfigSchema>;

export const PerceiverTemporalConfigSchema = z
  .object({
    kind: z.literal('perceiver'),
    latents: z.number().int().positive().default(4).describe('learned queries; 64 in Flamingo, a handful summarise a short clip'),
    depth: z.number().int().positive().default(1).describe('cross-attention layers; 6 in Flamingo, 1 is enough for 8-16 frames'),
    heads: z.number().int().positive().default(4),
    selfLayers: z.number().int().nonnegative().default(0).describe('latent self-attention blocks per layer; 0 is the Flamingo resampler'),
    mlpRatio: z.number().positive().default(4).describe('4 as in Flamingo'),
    activation: ActivationSchema.default('quick-gelu').describe('as the temporal transformer: cheapest GELU on wasm'),
  })
  .strict();
export type PerceiverTemporalConfig = z.infer<typeof PerceiverTemporalConfigSchema>;

export const TemporalConfigSchema = z.discriminatedUnion('kind', [MeanTemporalConfigSchema, TemporalTransformerConfigSchema, PerceiverTemporalConfigSchema]);
export type TemporalConfig = z.infer<typeof TemporalConfigSchema>;
export type TemporalKind = TemporalConfig['kind'];

/** Averages over time: cannot tell a clip from its reverse. */
export class MeanTemporal extends Module implements TemporalModule {
  constructor(readonly outputDim: number) {
    super();
  }

  apply(frames: tf.Tensor3D): tf.Tensor2D {
    if (frames.rank !== 3 || frames.shape[2] !== this.outputDim) {
      throw new Error(`MeanTemporal: expected frames [B, T, ${this.outputDim}], got [${frames.shape.join(', ')}]`);
    }
    return tf.tidy(() => tf.mean(frames, 1) as tf.Tensor2D);
  }
}

/** A transformer over frame features with learned time embeddings (as the temporal stage of ViViT's factorised encoder, Arnab et al. 2021). */
export class TemporalTransformer extends Module implements TemporalModule {
  private readonly cls: tf.Variable;
  private readonly time: LearnedPositions;
  private readonly blocks: TransformerBlock[];
  private readonly lnFinal: LayerNorm;

  constructor(readonly config: TemporalTransformerConfig, readonly outputDim: number, readonly maxFrames: number, rng: Rng) {
    super();
    const { depth, heads, mlpRatio, activation } = config;
    if (outputDim % heads !== 0) throw new Error(`TemporalTransformer: frame feature width ${outputDim} must be divisible by heads (${heads})`);
    this.cls = this.param('cls', [1, 1, outputDim], normalInit(rng, 0.02));
    this.time = this.child('time', new LearnedPositions(maxFrames + 1, outputDim, rng));
    this.blocks = Array.from({ length: depth }, (_, i) =>
      this.child(`blocks.${i}`, new TransformerBlock({ dim: outputDim, heads, mlpRatio, activation: activation as ActivationKind, depth }, rng)),
    );
    this.lnFinal = this.child('lnFinal', new LayerNorm(outputDim));
  }

  apply(frames: tf.Tensor3D): tf.Tensor2D {
    const [b, t, d] = frames.shape;
    if (frames.rank !== 3 || d !== this.outputDim || t > this.maxFrames) {
      throw new Error(`TemporalTransformer: expected frames [B, T<=${this.maxFrames}, ${this.outputDim}], got [${frames.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const cls = tf.tile(this.cls, [b, 1, 1]); // [B, 1, D]
      let x = this.time.apply(tf.concat([cls, frames], 1) as tf.Tensor3D); // [B, T+1, D]: time embedding is what makes order visible
      for (const block of this.blocks) x = block.apply(x);
      x = this.lnFinal.apply(x) as tf.Tensor3D;
      const pooled = this.config.pool === 'cls' ? tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, d]), [b, d]) : tf.mean(x, 1);
      return pooled as tf.Tensor2D; // [B, D]
    });
  }
}

/**
 * Perceiver resampler over time (Jaegle et al. 2021; the video path of Flamingo, Alayrac et al.
 * 2022): learned time embeddings are added to the frame features, a few learned latents
 * cross-attend to them (fusion/perceiver-resampler.ts), and the latents are averaged to [B, D].
 * Without the time embeddings the keys would be an unordered set and a clip would equal its reverse.
 */
export class PerceiverTemporal extends Module implements TemporalModule {
  private readonly time: LearnedPositions;
  readonly resampler: PerceiverResampler;

  constructor(readonly config: PerceiverTemporalConfig, readonly outputDim: number, readonly maxFrames: number, rng: Rng) {
    super();
    const { latents, depth, heads, selfLayers, mlpRatio, activation } = config;
    if (outputDim % heads !== 0) throw new Error(`PerceiverTemporal: frame feature width ${outputDim} must be divisible by heads (${heads})`);
    this.time = this.child('time', new LearnedPositions(maxFrames, outputDim, rng));
    this.resampler = this.child(
      'resampler',
      new PerceiverResampler({ kind: 'perceiver-resampler', dims: { video: outputDim }, dim: outputDim, latents, heads, depth, selfLayers, mlpRatio, activation }, rng),
    );
  }

  apply(frames: tf.Tensor3D): tf.Tensor2D {
    const [, t, d] = frames.shape;
    if (frames.rank !== 3 || d !== this.outputDim || t > this.maxFrames) {
      throw new Error(`PerceiverTemporal: expected frames [B, T<=${this.maxFrames}, ${this.outputDim}], got [${frames.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const timed = this.time.apply(frames); // [B, T, D]: time embedding is what makes order visible
      const latents = this.resampler.apply({ video: timed }); // [B, L, D]
      return tf.mean(latents, 1) as tf.Tensor2D; // [B, D]
    });
  }
}

type TemporalBuilder<K extends TemporalKind> = (config: Extract<TemporalConfig, { kind: K }>, dim: number, maxFrames: number, rng: Rng) => TemporalModule;

const TEMPORAL_MODULES = {
  mean: (_config, dim) => new MeanTemporal(dim),
  transformer: (config, dim, maxFrames, rng) => new TemporalTransformer(config, dim, maxFrames, rng),
  perceiver: (config, dim, maxFrames, rng) => new PerceiverTemporal(config, dim, maxFrames, rng),
} satisfies { [K in TemporalKind]: TemporalBuilder<K> };

/** Builds a temporal module for frame features of width `dim`; an unknown kind lists the registered ones. */
export function createTemporal(config: TemporalConfig, dim: number, maxFrames: number, rng: Rng): TemporalModule {
  const kind = (config as { kind?: unknown }).kind;
  const builder = (TEMPORAL_MODULES as Record<string, TemporalBuilder<TemporalKind>>)[String(kind)];
  if (!builder) throw new Error(`Unknown temporal module '${String(kind)}'. Registered: ${Object.keys(TEMPORAL_MODULES).join(', ')}`);
  return builder(config as never, dim, maxFrames, rng);
}
