import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';
import { Module, normalInit, zeros } from './module.js';

export interface LinearConfig {
  inFeatures: number;
  outFeatures: number;
  /** Default true; CLIP's output projections have none. */
  bias?: boolean;
  /** Default 1/sqrt(inFeatures): keeps activations near unit scale at init. */
  initStd?: number;
}

/** y = x W + b over the last axis, for inputs of any rank. */
export class Linear extends Module {
  readonly weight: tf.Variable; // [in, out]
  readonly bias: tf.Variable | undefined; // [out]

  constructor(readonly config: LinearConfig, rng: Rng) {
    super();
    const { inFeatures, outFeatures } = config;
    for (const [k, v] of Object.entries({ inFeatures, outFeatures })) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`Linear: ${k} must be a positive integer, got ${v}`);
    }
    const std = config.initStd ?? 1 / Math.sqrt(inFeatures);
    this.weight = this.param('weight', [inFeatures, outFeatures], normalInit(rng, std));
    this.bias = config.bias === false ? undefined : this.param('bias', [outFeatures], zeros);
  }

  apply(x: tf.Tensor): tf.Tensor {
    const { inFeatures, outFeatures } = this.config;
    const lead = x.shape.slice(0, -1);
    if (x.shape[x.rank - 1] !== inFeatures) {
      throw new Error(`Linear: expected last axis ${inFeatures}, got shape [${x.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const flat = tf.reshape(x, [-1, inFeatures]); // [N, in]
      let y = tf.matMul(flat, this.weight); // [N, out]
      if (this.bias) y = tf.add(y, this.bias);
      return tf.reshape(y, [...lead, outFeatures]);
    });
  }
}
