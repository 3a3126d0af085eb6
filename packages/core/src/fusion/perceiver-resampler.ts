import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ActivationSchema } from '../encoders/vit.js';
import type { ActivationKind } from '../layers/activations.js';
import { keyPaddingBias, MultiHeadAttention } from '../layers/attention.js';
import { LayerNorm } from '../layers/layer-norm.js';
import { Linear } from '../layers/linear.js';
import { Mlp } from '../layers/mlp.js';
import { Module, normalInit } from '../layers/module.js';
import { TransformerBlock } from '../layers/transformer-block.js';
import type { Rng } from '../random/rng.js';
import { asSequence, checkInputs, maskOf, ModalityDimsSchema, sortedModalities, type Fusion, type FusionInputs, type FusionMasks } from './fusion.js';

export const PerceiverResamplerConfigSchema = z
  .object({
    kind: z.literal('perceiver-resampler'),
    dims: ModalityDimsSchema.describe('token width per modality; any number of modalities'),
    dim: z.number().int().positive().describe('latent width; every modality is projected to it'),
    latents: z.number().int().positive().describe('number of output tokens; 64 in Flamingo, a handful when tiny'),
    heads: z.number().int().positive(),
    depth: z.number().int().positive().default(2).describe('cross-attention layers; 6 in Flamingo, 2 is enough when tiny'),
    selfLayers: z.number().int().nonnegative().default(1).describe('latent self-attention blocks after each cross-attention (Perceiver); 0 is the Flamingo resampler'),
    mlpRatio: z.number().positive().default(4).describe('4 as in Flamingo'),
    activation: ActivationSchema.default('gelu').describe('gelu as in Flamingo'),
  })
  .strict()
  .refine((c) => c.dim % c.heads === 0, { message: 'dim must be divisible by heads', path: ['heads'] });
export type PerceiverResamplerConfig = z.infer<typeof PerceiverResamplerConfigSchema>;

/** One resampler layer: latents attend to [inputs; latents] (Flamingo), then an FFN, then latent self-attention blocks. */
class ResamplerLayer extends Module {
  readonly lnLatents: LayerNorm;
  readonly lnContext: LayerNorm;
  readonly attn: MultiHeadAttention;
  readonly lnMlp: LayerNorm;
  readonly mlp: Mlp;
  readonly blocks: TransformerBlock[];

  constructor(config: PerceiverResamplerConfig, rng: Rng) {
    super();
    const { dim, heads, mlpRatio, activation, selfLayers, depth } = config;
    this.lnLatents = this.child('lnLatents', new LayerNorm(dim));
    this.lnContext = this.child('lnContext', new LayerNorm(dim));
    this.attn = this.child('attn', new MultiHeadAttention({ dim, heads, contextDim: dim }, rng));
    this.lnMlp = this.child('lnMlp', new LayerNorm(dim));
    this.mlp = this.child('mlp', new Mlp(dim, Math.round(dim * mlpRatio), activation as ActivationKind, rng));
    this.blocks = Array.from({ length: selfLayers }, (_, i) =>
      this.child(`self.${i}`, new TransformerBlock({ dim, heads, mlpRatio, activation: activation as ActivationKind, depth: depth * Math.max(selfLayers, 1) }, rng)),
    );
  }

  /** latents: [B, L, D]; context: [B, N, D]; bias: [B, 1, 1, N + L] */
  apply(latents: tf.Tensor3D, context: tf.Tensor3D, bias: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      const lat = this.lnLatents.apply(latents) as tf.Tensor3D;
      // Keys include the latents themselves, so a sample whose inputs are all padding still has real keys.
      const keys = tf.concat([this.lnContext.apply(context), lat], 1) as tf.Tensor3D; // [B, N + L, D]
      let h = tf.add(latents, this.attn.apply(lat, { context: keys, bias })) as tf.Tensor3D;
      h = tf.add(h, this.mlp.apply(this.lnMlp.apply(h))) as tf.Tensor3D;
      for (const block of this.blocks) h = block.apply(h);
      return h;
    });
  }
}

/**
 * Perceiver resampler (Jaegle et al. 2021; Flamingo, Alayrac et al. 2022): a fixed set of learned
 * latents cross-attends to the concatenation of any number of token sequences (each projected to
 * the latent width and tagged with a learned modality embedding, padding masked out), so the
 * output is [B, latents, dim] whatever the number and lengths of the inputs.
 */
export class PerceiverResampler extends Module implements Fusion {
  readonly outputDim: number;
  private readonly modalities: string[];
  readonly latents: tf.Variable; // [L, D]
  private readonly proj: Map<string, Linear>;
  private readonly modalityEmbedding: Map<string, tf.Variable>; // [D] each
  readonly layers: ResamplerLayer[];
  readonly lnOut: LayerNorm;

  constructor(readonly config: PerceiverResamplerConfig, rng: Rng) {
    super();
    const { dims, dim, latents, depth } = config;
    this.outputDim = dim;
    this.modalities = sortedModalities(dims);
    this.latents = this.param('latents', [latents, dim], normalInit(rng, 0.02));
    this.proj = new Map(this.modalities.map((m) => [m, this.child(`proj.${m}`, new Linear({ inFeatures: dims[m]!, outFeatures: dim }, rng))]));
    this.modalityEmbedding = new Map(this.modalities.map((m) => [m, this.param(`modalityEmbedding.${m}`, [dim], normalInit(rng, 0.02))]));
    this.layers = Array.from({ length: depth }, (_, i) => this.child(`layers.${i}`, new ResamplerLayer(config, rng)));
    this.lnOut = this.child('lnOut', new LayerNorm(dim));
  }

  /** inputs: { [m]: [B, T_m, D_m] or [B, D_m] }; masks: optional { [m]: [B, T_m] }. Returns [B, latents, dim]. */
  apply(inputs: FusionInputs, masks?: FusionMasks): tf.Tensor3D {
    const b = checkInputs('PerceiverResampler', this.config.dims, inputs, masks, { ranks: [2, 3] });
    const { latents, dim } = this.config;
    return tf.tidy(() => {
      const seqs = this.modalities.map((m) => asSequence(inputs[m]!));
      const context = tf.concat(
        this.modalities.map((m, i) => tf.add(this.proj.get(m)!.apply(seqs[i]!), this.modalityEmbedding.get(m)!)),
        1,
      ) as tf.Tensor3D; // [B, N, D], N = sum T_m
      const keyMask = tf.concat([...this.modalities.map((m, i) => maskOf(seqs[i]!, masks?.[m])), tf.ones([b, latents])], 1) as tf.Tensor2D; // [B, N + L]
      const bias = keyPaddingBias(keyMask); // [B, 1, 1, N + L]
      let h = tf.broadcastTo(tf.expandDims(this.latents, 0), [b, latents, dim]) as tf.Tensor3D; // [B, L, D]
      for (const layer of this.layers) h = layer.apply(h, context, bias);
      return this.lnOut.apply(h) as tf.Tensor3D;
    });
  }
}
