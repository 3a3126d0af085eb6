import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ActivationSchema } from '../encoders/vit.js';
import type { ActivationKind } from '../layers/activations.js';
import { causalBias, MultiHeadAttention } from '../layers/attention.js';
import { LearnedPositions, TokenEmbedding } from '../layers/embeddings.js';
import { LayerNorm } from '../layers/layer-norm.js';
import { Linear } from '../layers/linear.js';
import { Mlp } from '../layers/mlp.js';
import { Module } from '../layers/module.js';
import type { Rng } from '../random/rng.js';

export const CaptionDecoderConfigSchema = z
  .object({
    kind: z.literal('caption-decoder'),
    vocabSize: z.number().int().positive().describe('taken from the tokenizer'),
    contextLength: z.number().int().min(2).describe('BOS + caption + EOT; 16 covers emoji captions'),
    width: z.number().int().positive(),
    depth: z.number().int().positive(),
    heads: z.number().int().positive(),
    contextDim: z.number().int().positive().describe("width of the image tokens: the image tower's outputDim"),
    mlpRatio: z.number().positive().default(4).describe('4 as in GPT-2'),
    activation: ActivationSchema.default('gelu').describe('gelu as in GPT-2 and CoCa'),
  })
  .strict()
  .refine((c) => c.width % c.heads === 0, { message: 'width must be divisible by heads', path: ['heads'] });
export type CaptionDecoderConfig = z.input<typeof CaptionDecoderConfigSchema>;

/** Pre-LN decoder block: causal self-attention, cross-attention to the image tokens, MLP (Vaswani et al. 2017). */
class DecoderBlock extends Module {
  readonly ln1: LayerNorm;
  readonly self: MultiHeadAttention;
  readonly ln2: LayerNorm;
  readonly cross: MultiHeadAttention;
  readonly ln3: LayerNorm;
  readonly mlp: Mlp;

  constructor(dim: number, heads: number, contextDim: number, hidden: number, act: ActivationKind, depth: number, rng: Rng) {
    super();
    const residualStd = 1 / Math.sqrt(dim) / Math.sqrt(3 * depth); // three residual branches per block (GPT-2's scaling)
    this.ln1 = this.child('ln1', new LayerNorm(dim));
    this.self = this.child('self', new MultiHeadAttention({ dim, heads, outStd: residualStd }, rng));
    this.ln2 = this.child('ln2', new LayerNorm(dim));
    this.cross = this.child('cross', new MultiHeadAttention({ dim, heads, contextDim, outStd: residualStd }, rng));
    this.ln3 = this.child('ln3', new LayerNorm(dim));
    this.mlp = this.child('mlp', new Mlp(dim, hidden, act, rng, residualStd));
  }

  apply(x: tf.Tensor3D, context: tf.Tensor3D, bias: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      let h = tf.add(x, this.self.apply(this.ln1.apply(x) as tf.Tensor3D, { bias })) as tf.Tensor3D;
      h = tf.add(h, this.cross.apply(this.ln2.apply(h) as tf.Tensor3D, { context })) as tf.Tensor3D;
      return tf.add(h, this.mlp.apply(this.ln3.apply(h))) as tf.Tensor3D;
    });
  }
}

/** A transformer decoder over token ids conditioned on a sequence of context tokens: next-token logits. */
export class CaptionDecoder extends Module {
  readonly config: z.output<typeof CaptionDecoderConfigSchema>;
  private readonly embed: TokenEmbedding;
  private readonly pos: LearnedPositions;
  private readonly blocks: DecoderBlock[];
  private readonly lnFinal: LayerNorm;
  private readonly lmHead: Linear;

  constructor(config: CaptionDecoderConfig, rng: Rng) {
    super();
    const c = CaptionDecoderConfigSchema.parse(config);
    this.config = c;
    this.embed = this.child('embed', new TokenEmbedding(c.vocabSize, c.width, rng));
    this.pos = this.child('pos', new LearnedPositions(c.contextLength, c.width, rng));
    const hidden = Math.round(c.width * c.mlpRatio);
    this.blocks = Array.from({ length: c.depth }, (_, i) =>
      this.child(`blocks.${i}`, new DecoderBlock(c.width, c.heads, c.contextDim, hidden, c.activation as ActivationKind, c.depth, rng)),
    );
    this.lnFinal = this.child('lnFinal', new LayerNorm(c.width));
    this.lmHead = this.child('lmHead', new Linear({ inFeatures: c.width, outFeatures: c.vocabSize, bias: false }, rng));
  }

  /** ids [B, T] int32 (T <= contextLength), context [B, N, contextDim] -> logits [B, T, vocab]. */
  apply(ids: tf.Tensor2D, context: tf.Tensor3D): tf.Tensor3D {
    const { contextLength, contextDim } = this.config;
    if (ids.rank !== 2 || ids.shape[1] > contextLength) throw new Error(`CaptionDecoder: ids must be [B, T<=${contextLength}], got [${ids.shape.join(', ')}]`);
    if (context.rank !== 3 || context.shape[0] !== ids.shape[0] || context.shape[2] !== contextDim) {
      throw new Error(`CaptionDecoder: context must be [${ids.shape[0]}, N, ${contextDim}], got [${context.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const bias = causalBias(ids.shape[1]); // [1, 1, T, T]
      let x = this.pos.apply(this.embed.apply(ids)); // [B, T, D]
      for (const block of this.blocks) x = block.apply(x, context, bias);
      return this.lmHead.apply(this.lnFinal.apply(x)) as tf.Tensor3D; // [B, T, V]
    });
  }
}
