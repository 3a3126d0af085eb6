import * as tf from '@tensorflow/tfjs-core';
import { Module, ones, zeros } from './module.js';

/** Layer normalisation over the last axis (Ba et al. 2016), eps inside the square root as in PyTorch. */
export class LayerNorm extends Module {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;

  constructor(readonly dim: number, readonly eps = 1e-5) {
    super();
    this.gamma = this.param('weight', [dim], ones);
    this.beta = this.param('bias', [dim], zeros);
  }

  apply(x: tf.Tensor): tf.Tensor {
    if (x.shape[x.rank - 1] !== this.dim) {
      throw new Error(`LayerNorm: expected last axis ${this.dim}, got shape [${x.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
      return tf.add(tf.mul(normed, this.gamma), this.beta);
    });
  }
}
