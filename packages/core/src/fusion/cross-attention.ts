import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ActivationSchema } from '../encoders/vit.js';
import type { ActivationKind } from '../layers/activations.js';
import { MultiHeadAttention } from '../layers/attention.js';
import { LayerNorm } from '../layers/layer-norm.js';
import { Linear } from '../layers/linear.js';
import { Mlp } from '../layers/mlp.js';
import { Module } from '../layers/module.js';
import type { Rng } from '../random/rng.js';
import { asSequence, checkInputs, ModalityDimsSchema, paddingBias, type Fusion, type FusionInputs, type FusionMasks } from './fusion.js';

export const CrossAttentionFusionConfigSchema = z
  .object({
    kind: z.literal('cross-attention'),
    query: z.string().min(1).describe('the modality whose tokens ask (e.g. text in VQA)'),
    context: z.string().min(1).describe('the modality attended to (e.g. image patches)'),
    dims: ModalityDimsSchema.describe('width of the query and context modalities, exactly those two keys'),
    dim: z.number().int().positive().describe('width of the fused stream; the query is projected to it'),
    heads: z.number().int().positive(),
    mlpRatio: z.number().positive().default(4).describe('4 as in the transformer FFN'),
    activation: ActivationSchema.default('gelu'),
  })
  .strict()
  .refine((c) => c.query !== c.context, { message: 'query and context must be different modalities', path: ['context'] })
  .refine((c) => Object.keys(c.dims).sort().join() === [c.query, c.context].sort().join(), {
    message: 'dims must have exactly the query and context modalities as keys',
    path: ['dims'],
  })
  .refine((c) => c.dim % c.heads === 0, { message: 'dim must be divisible by heads', path: ['heads'] });
export type CrossAttentionFusionConfig = z.infer<typeof CrossAttentionFusionConfigSchema>;

/**
 * Cross-attention fusion block (Vaswani et al. 2017; ViLBERT-style co-attention, Lu et al. 2019):
 * each query token attends to its own sample's context tokens, pre-LN with residuals, then an FFN
 * and a final norm. Fixes the seed's MultiModalFusion, which passed pooled [B, D] features as
 * [1, B, D] to a sequence-first nn.MultiheadAttention (one key per query, so the softmax was
 * always 1 and nothing was attended), had no residual around attention and no padding mask.
 */
export class CrossAttentionFusion extends Module implements Fusion {
  readonly outputDim: number;
  readonly queryProj: Linear;
  readonly lnQuery: LayerNorm;
  readonly lnContext: LayerNorm;
  readonly attn: MultiHeadAttention;
  readonly lnMlp: LayerNorm;
  readonly mlp: Mlp;
  readonly lnOut: LayerNorm;

  constructor(readonly config: CrossAttentionFusionConfig, rng: Rng) {
    super();
    const { query, context, dims, dim, heads, mlpRatio } = config;
    this.outputDim = dim;
    this.queryProj = this.child('queryProj', new Linear({ inFeatures: dims[query]!, outFeatures: dim }, rng));
    this.lnQuery = this.child('lnQuery', new LayerNorm(dim));
    this.lnContext = this.child('lnContext', new LayerNorm(dims[context]!));
    this.attn = this.child('attn', new MultiHeadAttention({ dim, heads, contextDim: dims[context]! }, rng));
    this.lnMlp = this.child('lnMlp', new LayerNorm(dim));
    this.mlp = this.child('mlp', new Mlp(dim, Math.round(dim * mlpRatio), config.activation as ActivationKind, rng));
    this.lnOut = this.child('lnOut', new LayerNorm(dim));
  }

  /**
   * inputs: query [B, Tq, Dq] or [B, Dq], context [B, Tk, Dc] or [B, Dc]; masks: optional [B, Tk]
   * for the context (a query mask changes nothing: query rows never see each other).
   * Returns [B, Tq, dim], or [B, dim] for an embedding query.
   */
  apply(inputs: FusionInputs, masks?: FusionMasks): tf.Tensor {
    const { query, context } = this.config;
    checkInputs('CrossAttentionFusion', this.config.dims, inputs, masks, { ranks: [2, 3] });
    return tf.tidy(() => {
      const q = asSequence(inputs[query]!);
      const x = this.queryProj.apply(q) as tf.Tensor3D; // [B, Tq, D]
      const ctx = this.lnContext.apply(asSequence(inputs[context]!)) as tf.Tensor3D; // [B, Tk, Dc]
      const bias = paddingBias(masks?.[context]);
      const attended = this.attn.apply(this.lnQuery.apply(x) as tf.Tensor3D, { context: ctx, ...(bias ? { bias } : {}) });
      const h = tf.add(x, attended); // [B, Tq, D]
      const out = this.lnOut.apply(tf.add(h, this.mlp.apply(this.lnMlp.apply(h)))); // [B, Tq, D]
      return inputs[query]!.rank === 2 ? tf.squeeze(out, [1]) : out;
    });
  }
}
