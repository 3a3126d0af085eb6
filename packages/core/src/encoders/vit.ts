import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { ActivationKind } from '../layers/activations.js';
import { LearnedPositions, PatchEmbedding } from '../layers/embeddings.js';
import { LayerNorm } from '../layers/layer-norm.js';
import { Module, normalInit } from '../layers/module.js';
import { TransformerBlock } from '../layers/transformer-block.js';
import type { Rng } from '../random/rng.js';
import type { Encoder } from './encoder.js';

export const ActivationSchema = z.enum(['gelu', 'gelu-tanh', 'quick-gelu', 'relu']);

export const VitConfigSchema = z
  .object({
    kind: z.literal('vit'),
    imageSize: z.number().int().positive().describe('square input side in pixels; 32 keeps emoji legible and a step cheap'),
    patchSize: z.number().int().positive().describe('4 gives 64 patches at 32 px: enough tokens for attention to matter'),
    channels: z.number().int().positive().default(3),
    width: z.number().int().positive().describe('token width; 64 trains in minutes on one core'),
    depth: z.number().int().positive(),
    heads: z.number().int().positive(),
    mlpRatio: z.number().positive().default(4).describe('4 as in ViT'),
    activation: ActivationSchema.default('quick-gelu').describe('quick-gelu is ~6x cheaper than tanh-GELU on wasm'),
    pool: z.enum(['cls', 'mean']).default('cls').describe('cls as in ViT/CLIP; mean often trains faster when tiny'),
  })
  .strict()
  .refine((c) => c.imageSize % c.patchSize === 0, { message: 'imageSize must be a multiple of patchSize', path: ['patchSize'] })
  .refine((c) => c.width % c.heads === 0, { message: 'width must be divisible by heads', path: ['heads'] });
export type VitConfig = z.infer<typeof VitConfigSchema>;

/** Vision Transformer (Dosovitskiy et al. 2021) with CLIP's pre-norm before the blocks. */
export class VisionTransformer extends Module implements Encoder<tf.Tensor4D> {
  readonly outputDim: number;
  private readonly patch: PatchEmbedding;
  private readonly cls: tf.Variable;
  private readonly pos: LearnedPositions;
  private readonly lnPre: LayerNorm;
  private readonly blocks: TransformerBlock[];
  private readonly lnPost: LayerNorm;

  constructor(readonly config: VitConfig, rng: Rng) {
    super();
    const { imageSize, patchSize, channels, width, depth, heads, mlpRatio, activation } = config;
    const tokens = (imageSize / patchSize) ** 2 + 1;
    this.outputDim = width;
    this.patch = this.child('patch', new PatchEmbedding(patchSize, channels, width, rng));
    this.cls = this.param('cls', [1, 1, width], normalInit(rng, 0.02));
    this.pos = this.child('pos', new LearnedPositions(tokens, width, rng));
    this.lnPre = this.child('lnPre', new LayerNorm(width));
    this.blocks = Array.from({ length: depth }, (_, i) =>
      this.child(`blocks.${i}`, new TransformerBlock({ dim: width, heads, mlpRatio, activation: activation as ActivationKind, depth }, rng)),
    );
    this.lnPost = this.child('lnPost', new LayerNorm(width));
  }

  /** Every token after the final norm, class token first: [B, 1 + patches, D] (for captioning and token-level fusion). */
  tokens(images: tf.Tensor4D): tf.Tensor3D {
    const { imageSize, channels } = this.config;
    const [, h, w, c] = images.shape;
    if (images.rank !== 4 || h !== imageSize || w !== imageSize || c !== channels) {
      throw new Error(`VisionTransformer: expected images [B, ${imageSize}, ${imageSize}, ${channels}], got [${images.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const b = images.shape[0];
      const patches = this.patch.apply(images); // [B, N, D]
      const cls = tf.tile(this.cls, [b, 1, 1]); // [B, 1, D]
      let x = this.pos.apply(tf.concat([cls, patches], 1) as tf.Tensor3D); // [B, N+1, D]
      x = this.lnPre.apply(x) as tf.Tensor3D;
      for (const block of this.blocks) x = block.apply(x);
      return this.lnPost.apply(x) as tf.Tensor3D;
    });
  }

  apply(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const x = this.tokens(images); // [B, N+1, D]
      const b = x.shape[0];
      const pooled = this.config.pool === 'cls' ? tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, this.outputDim]), [b, this.outputDim]) : tf.mean(x, 1);
      return pooled as tf.Tensor2D; // [B, D]
    });
  }
}

/** A ViT seen as a token tower (apply returns [B, 1 + patches, D]): what a Captioner or a token fusion attends to. */
export class VitTokens extends Module {
  readonly outputDim: number;

  constructor(readonly vit: VisionTransformer) {
    super();
    this.child('vit', vit);
    this.outputDim = vit.outputDim;
  }

  apply(images: tf.Tensor4D): tf.Tensor3D {
    return this.vit.tokens(images);
  }
}
