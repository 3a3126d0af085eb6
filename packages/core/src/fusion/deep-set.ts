import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ActivationSchema } from '../encoders/vit.js';
import { activation, type ActivationKind } from '../layers/activations.js';
import { Linear } from '../layers/linear.js';
import { Module } from '../layers/module.js';
import type { Rng } from '../random/rng.js';
import { checkInputs, ModalityDimsSchema, sortedModalities, type Fusion, type FusionInputs, type FusionMasks } from './fusion.js';

export const DeepSetConfigSchema = z
  .object({
    kind: z.literal('deep-set'),
    dims: ModalityDimsSchema.describe('embedding width per modality; inputs are [B, D_m]'),
    dim: z.number().int().positive().describe('common width each modality is mapped to before pooling'),
    hidden: z.number().int().positive().describe('hidden width of rho, the MLP after pooling'),
    outputDim: z.number().int().positive(),
    pooling: z.enum(['sum', 'mean', 'max']).default('mean').describe('mean keeps the scale independent of the number of modalities'),
    activation: ActivationSchema.default('relu').describe('relu as in Zaheer et al. and torchmultimodal'),
  })
  .strict();
export type DeepSetConfig = z.infer<typeof DeepSetConfigSchema>;

/**
 * Deep sets (Zaheer et al. 2017), as torchmultimodal's DeepsetFusionModule: phi_m maps each
 * modality to a common width, a permutation-invariant pool (sum, mean or max) merges them,
 * and rho (an MLP) maps the pooled vector to the output.
 */
export class DeepSetFusion extends Module implements Fusion {
  readonly outputDim: number;
  private readonly modalities: string[];
  private readonly phi: Map<string, Linear>;
  readonly rho1: Linear;
  readonly rho2: Linear;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(readonly config: DeepSetConfig, rng: Rng) {
    super();
    const { dims, dim, hidden, outputDim } = config;
    this.outputDim = outputDim;
    this.modalities = sortedModalities(dims);
    this.phi = new Map(this.modalities.map((m) => [m, this.child(`phi.${m}`, new Linear({ inFeatures: dims[m]!, outFeatures: dim }, rng))]));
    this.rho1 = this.child('rho1', new Linear({ inFeatures: dim, outFeatures: hidden }, rng));
    this.rho2 = this.child('rho2', new Linear({ inFeatures: hidden, outFeatures: outputDim }, rng));
    this.act = activation(config.activation as ActivationKind);
  }

  /** inputs: { [m]: [B, D_m] } -> [B, outputDim] */
  apply(inputs: FusionInputs, masks?: FusionMasks): tf.Tensor2D {
    checkInputs('DeepSetFusion', this.config.dims, inputs, masks, { ranks: [2] });
    return tf.tidy(() => {
      const set = tf.stack(this.modalities.map((m) => this.act(this.phi.get(m)!.apply(inputs[m]!))), 1); // [B, M, dim]
      const pooled = this.config.pooling === 'sum' ? tf.sum(set, 1) : this.config.pooling === 'max' ? tf.max(set, 1) : tf.mean(set, 1); // [B, dim]
      return this.rho2.apply(this.act(this.rho1.apply(pooled))) as tf.Tensor2D; // [B, out]
    });
  }
}
