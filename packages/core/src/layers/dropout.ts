import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';
import { Module } from './module.js';

/**
 * Inverted dropout (Srivastava et al. 2014): while training, each entry is zeroed with
 * probability `rate` and the survivors are scaled by 1/(1 - rate), so the expected output equals
 * the input and evaluation is the identity. The keep mask is drawn in JS from the Rng given at
 * construction, so a seed (or a restored Rng state) reproduces the masks on every backend.
 */
export class Dropout extends Module {
  constructor(readonly rate: number, private readonly rng: Rng) {
    super();
    if (!(Number.isFinite(rate) && rate >= 0 && rate < 1)) {
      throw new Error(`Dropout: rate must be in [0, 1), got ${rate}`);
    }
  }

  /** x: any shape. Identity unless `training` is true and rate > 0; then x * mask / (1 - rate). */
  apply(x: tf.Tensor, options: { training: boolean }): tf.Tensor {
    if (!options.training || this.rate === 0) return tf.tidy(() => tf.clone(x));
    const scale = 1 / (1 - this.rate);
    const mask = new Float32Array(x.size); // a draw per entry, in row-major order
    for (let i = 0; i < mask.length; i++) mask[i] = this.rng.next() < this.rate ? 0 : scale;
    return tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape, 'float32')));
  }
}
