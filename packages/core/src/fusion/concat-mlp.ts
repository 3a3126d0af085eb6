import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ActivationSchema } from '../encoders/vit.js';
import { activation, type ActivationKind } from '../layers/activations.js';
import { Linear } from '../layers/linear.js';
import { Module } from '../layers/module.js';
import type { Rng } from '../random/rng.js';
import { checkInputs, ModalityDimsSchema, sortedModalities, type Fusion, type FusionInputs, type FusionMasks } from './fusion.js';

export const ConcatMlpConfigSchema = z
  .object({
    kind: z.literal('concat-mlp'),
    dims: ModalityDimsSchema.describe('embedding width per modality; inputs are [B, D_m]'),
    hidden: z.number().int().positive().describe('MLP hidden width; 2x the output is the usual LLaVA-style choice'),
    outputDim: z.number().int().positive(),
    activation: ActivationSchema.default('gelu').describe('gelu as in the seed projector and LLaVA-1.5'),
  })
  .strict();
export type ConcatMlpConfig = z.infer<typeof ConcatMlpConfigSchema>;

/**
 * Concatenates modality embeddings in sorted key order and maps them through a two-layer MLP
 * (torchmultimodal ConcatFusionModule + the seed's MultiModalProjector; LLaVA, Liu et al. 2023).
 * Unlike the seed, which averaged the projections, concatenation keeps which modality said what.
 */
export class ConcatMlpFusion extends Module implements Fusion {
  readonly outputDim: number;
  readonly fc1: Linear;
  readonly fc2: Linear;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(readonly config: ConcatMlpConfig, rng: Rng) {
    super();
    const total = Object.values(config.dims).reduce((a, b) => a + b, 0);
    this.outputDim = config.outputDim;
    this.fc1 = this.child('fc1', new Linear({ inFeatures: total, outFeatures: config.hidden }, rng));
    this.fc2 = this.child('fc2', new Linear({ inFeatures: config.hidden, outFeatures: config.outputDim }, rng));
    this.act = activation(config.activation as ActivationKind);
  }

  /** inputs: { [m]: [B, D_m] } -> [B, outputDim] */
  apply(inputs: FusionInputs, masks?: FusionMasks): tf.Tensor2D {
    checkInputs('ConcatMlpFusion', this.config.dims, inputs, masks, { ranks: [2] });
    return tf.tidy(() => {
      const x = tf.concat(sortedModalities(this.config.dims).map((m) => inputs[m]!), 1); // [B, sum D_m]
      return this.fc2.apply(this.act(this.fc1.apply(x))) as tf.Tensor2D; // [B, out]
    });
  }
}
