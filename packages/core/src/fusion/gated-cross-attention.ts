import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ActivationSchema } from '../encoders/vit.js';
import type { ActivationKind } from '../layers/activations.js';
import { MultiHeadAttention } from '../layers/attention.js';
import { LayerNorm } from '../layers/layer-norm.js';
import { Mlp } from '../layers/mlp.js';
import { Module, zeros } from '../layers/module.js';
import type { Rng } from '../random/rng.js';
import { asSequence, checkInputs, ModalityDimsSchema, paddingBias, type Fusion, type FusionInputs, type FusionMasks } from './fusion.js';

export const GatedCrossAttentionConfigSchema = z
  .object({
    kind: z.literal('gated-cross-attention'),
    query: z.string().min(1).describe('the modality whose stream is kept (the language model in Flamingo)'),
    context: z.string().min(1).describe('the modality attended to (e.g. perceiver-resampled image tokens)'),
    dims: ModalityDimsSchema.describe('width of the query and context modalities, exactly those two keys'),
    heads: z.number().int().positive(),
    mlpRatio: z.number().positive().default(4).describe('4 as in Flamingo'),
    activation: ActivationSchema.default('gelu').describe('gelu as in Flamingo'),
  })
  .strict()
  .refine((c) => c.query !== c.context, { message: 'query and context must be different modalities', path: ['context'] })
  .refine((c) => Object.keys(c.dims).sort().join() === [c.query, c.context].sort().join(), {
    message: 'dims must have exactly the query and context modalities as keys',
    path: ['dims'],
  })
  .refine((c) => (c.dims[c.query] ?? 0) % c.heads === 0, { message: 'the query width must be divisible by heads', path: ['heads'] });
export type GatedCrossAttentionConfig = z.infer<typeof GatedCrossAttentionConfigSchema>;

/**
 * Gated cross-attention dense block (Flamingo, Alayrac et al. 2022): x + tanh(a) * xattn(ln(x), y),
 * then + tanh(b) * ffn(ln(.)), with a = b = 0 at init so inserting it leaves a pretrained stream
 * exactly unchanged until the gates learn to open. The output keeps the query's width and shape.
 */
export class GatedCrossAttention extends Module implements Fusion {
  readonly outputDim: number;
  readonly lnAttn: LayerNorm;
  readonly attn: MultiHeadAttention;
  readonly attnGate: tf.Variable; // [1]
  readonly lnMlp: LayerNorm;
  readonly mlp: Mlp;
  readonly mlpGate: tf.Variable; // [1]

  constructor(readonly config: GatedCrossAttentionConfig, rng: Rng) {
    super();
    const { query, context, dims, heads, mlpRatio } = config;
    const dim = dims[query]!;
    this.outputDim = dim;
    this.lnAttn = this.child('lnAttn', new LayerNorm(dim));
    this.attn = this.child('attn', new MultiHeadAttention({ dim, heads, contextDim: dims[context]! }, rng));
    this.attnGate = this.param('attnGate', [1], zeros);
    this.lnMlp = this.child('lnMlp', new LayerNorm(dim));
    this.mlp = this.child('mlp', new Mlp(dim, Math.round(dim * mlpRatio), config.activation as ActivationKind, rng));
    this.mlpGate = this.param('mlpGate', [1], zeros);
  }

  /** inputs: query [B, Tq, D] or [B, D], context [B, Tk, Dc] or [B, Dc]; masks: optional [B, Tk] for the context. Same shape as the query. */
  apply(inputs: FusionInputs, masks?: FusionMasks): tf.Tensor {
    const { query, context } = this.config;
    checkInputs('GatedCrossAttention', this.config.dims, inputs, masks, { ranks: [2, 3] });
    return tf.tidy(() => {
      const x = asSequence(inputs[query]!); // [B, Tq, D]
      const bias = paddingBias(masks?.[context]);
      const attended = this.attn.apply(this.lnAttn.apply(x) as tf.Tensor3D, { context: asSequence(inputs[context]!), ...(bias ? { bias } : {}) });
      const h = tf.add(x, tf.mul(tf.tanh(this.attnGate), attended)); // [B, Tq, D]
      const out = tf.add(h, tf.mul(tf.tanh(this.mlpGate), this.mlp.apply(this.lnMlp.apply(h)))); // [B, Tq, D]
      return inputs[query]!.rank === 2 ? tf.squeeze(out, [1]) : out;
    });
  }
}
