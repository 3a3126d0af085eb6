import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Linear } from '../layers/linear.js';
import { Module } from '../layers/module.js';
import type { Rng } from '../random/rng.js';
import { checkInputs, ModalityDimsSchema, sortedModalities, type Fusion, type FusionInputs, type FusionMasks } from './fusion.js';

export const GatedFusionConfigSchema = z
  .object({
    kind: z.literal('gated'),
    dims: ModalityDimsSchema.describe('embedding width per modality; inputs are [B, D_m]'),
    outputDim: z.number().int().positive(),
  })
  .strict();
export type GatedFusionConfig = z.infer<typeof GatedFusionConfigSchema>;

/**
 * Gated multimodal unit (Arevalo et al. 2017): h_m = tanh(W_m x_m), gates z = softmax over
 * modalities of W_z [x_1; ...; x_M] per output unit, output sum_m z_m * h_m. With two modalities
 * the softmax is the paper's sigmoid gate; the gates show which modality each unit trusts.
 */
export class GatedFusion extends Module implements Fusion {
  readonly outputDim: number;
  private readonly modalities: string[];
  private readonly proj: Map<string, Linear>;
  readonly gate: Linear;

  constructor(readonly config: GatedFusionConfig, rng: Rng) {
    super();
    const { dims, outputDim } = config;
    this.outputDim = outputDim;
    this.modalities = sortedModalities(dims);
    this.proj = new Map(this.modalities.map((m) => [m, this.child(`proj.${m}`, new Linear({ inFeatures: dims[m]!, outFeatures: outputDim }, rng))]));
    const total = this.modalities.reduce((s, m) => s + dims[m]!, 0);
    this.gate = this.child('gate', new Linear({ inFeatures: total, outFeatures: this.modalities.length * outputDim }, rng));
  }

  /** The per-modality gates [B, M, outputDim] (M in sorted order), for inspection. */
  gates(inputs: FusionInputs): tf.Tensor3D {
    const b = checkInputs('GatedFusion', this.config.dims, inputs, undefined, { ranks: [2] });
    return tf.tidy(() => {
      const x = tf.concat(this.modalities.map((m) => inputs[m]!), 1); // [B, sum D_m]
      const logits = tf.reshape(this.gate.apply(x), [b, this.modalities.length, this.outputDim]); // [B, M, D]
      // tfjs softmax only runs over the last axis, so the modality axis goes last and back.
      return tf.transpose(tf.softmax(tf.transpose(logits, [0, 2, 1]), -1), [0, 2, 1]) as tf.Tensor3D;
    });
  }

  /** inputs: { [m]: [B, D_m] } -> [B, outputDim] */
  apply(inputs: FusionInputs, masks?: FusionMasks): tf.Tensor2D {
    checkInputs('GatedFusion', this.config.dims, inputs, masks, { ranks: [2] });
    return tf.tidy(() => {
      const z = this.gates(inputs); // [B, M, D]
      const h = tf.stack(this.modalities.map((m) => tf.tanh(this.proj.get(m)!.apply(inputs[m]!))), 1); // [B, M, D]
      return tf.sum(tf.mul(z, h), 1) as tf.Tensor2D; // [B, D]
    });
  }
}
