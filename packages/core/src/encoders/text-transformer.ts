import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { ActivationKind } from '../layers/activations.js';
import { causalBias, keyPaddingBias } from '../layers/attention.js';
import { LearnedPositions, TokenEmbedding } from '../layers/embeddings.js';
import { LayerNorm } from '../layers/layer-norm.js';
import { Module } from '../layers/module.js';
import { TransformerBlock } from '../layers/transformer-block.js';
import type { Rng } from '../random/rng.js';
import { ActivationSchema } from './vit.js';
import type { Encoder, TextInput } from './encoder.js';

export const TextTransformerConfigSchema = z
  .object({
    kind: z.literal('text-transformer'),
    vocabSize: z.number().int().positive().describe('taken from the tokenizer'),
    contextLength: z.number().int().positive().describe('16 covers emoji names and most tags'),
    width: z.number().int().positive(),
    depth: z.number().int().positive(),
    heads: z.number().int().positive(),
    mlpRatio: z.number().positive().default(4),
    activation: ActivationSchema.default('quick-gelu'),
    causal: z.boolean().default(true).describe('causal + eot pooling as in CLIP'),
    pool: z.enum(['eot', 'mean', 'first']).default('eot').describe('eot: the last real token, which has seen the whole text under a causal mask'),
  })
  .strict()
  .refine((c) => c.width % c.heads === 0, { message: 'width must be divisible by heads', path: ['heads'] })
  .refine((c) => !(c.causal && c.pool === 'first'), { message: "pool 'first' sees only the first token under a causal mask", path: ['pool'] });
export type TextTransformerConfig = z.infer<typeof TextTransformerConfigSchema>;

/** Transformer text tower (as in CLIP's text encoder: causal mask, feature at the EOT token). */
export class TextTransformer extends Module implements Encoder<TextInput> {
  readonly outputDim: number;
  private readonly embed: TokenEmbedding;
  private readonly pos: LearnedPositions;
  private readonly blocks: TransformerBlock[];
  private readonly lnFinal: LayerNorm;

  constructor(readonly config: TextTransformerConfig, rng: Rng) {
    super();
    const { vocabSize, contextLength, width, depth, heads, mlpRatio, activation } = config;
    this.outputDim = width;
    this.embed = this.child('embed', new TokenEmbedding(vocabSize, width, rng));
    this.pos = this.child('pos', new LearnedPositions(contextLength, width, rng));
    this.blocks = Array.from({ length: depth }, (_, i) =>
      this.child(`blocks.${i}`, new TransformerBlock({ dim: width, heads, mlpRatio, activation: activation as ActivationKind, depth }, rng)),
    );
    this.lnFinal = this.child('lnFinal', new LayerNorm(width));
  }

  apply({ ids, mask }: TextInput): tf.Tensor2D {
    const [b, t] = ids.shape;
    if (ids.rank !== 2 || t > this.config.contextLength) {
      throw new Error(`TextTransformer: expected ids [B, T<=${this.config.contextLength}], got [${ids.shape.join(', ')}]`);
    }
    if (mask.shape[0] !== b || mask.shape[1] !== t) {
      throw new Error(`TextTransformer: mask shape [${mask.shape.join(', ')}] does not match ids [${ids.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const maskF = tf.cast(mask, 'float32') as tf.Tensor2D;
      // Under a causal mask padding sits after every real token, so no real token sees it.
      const bias = this.config.causal ? causalBias(t) : keyPaddingBias(maskF);
      let x = this.pos.apply(this.embed.apply(ids)); // [B, T, D]
      for (const block of this.blocks) x = block.apply(x, bias);
      x = this.lnFinal.apply(x) as tf.Tensor3D;
      let weights: tf.Tensor; // [B, T], sums to 1 per row
      if (this.config.pool === 'eot') {
        // 1 on the last real token: mask[t] - mask[t+1].
        const next = tf.concat([tf.slice(maskF, [0, 1], [b, t - 1]), tf.zeros([b, 1])], 1);
        weights = tf.sub(maskF, next);
      } else if (this.config.pool === 'mean') {
        weights = tf.div(maskF, tf.maximum(tf.sum(maskF, 1, true), 1));
      } else {
        weights = tf.cast(tf.oneHot(tf.zeros([b], 'int32') as tf.Tensor1D, t), 'float32');
      }
      return tf.sum(tf.mul(x, tf.expandDims(weights, 2)), 1) as tf.Tensor2D; // [B, D]
    });
  }
}
