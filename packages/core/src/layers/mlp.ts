import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';
import { activation, type ActivationKind } from './activations.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

/** Two linear layers with an activation between: the transformer feed-forward block. */
export class Mlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(dim: number, hidden: number, act: ActivationKind, rng: Rng, outStd?: number) {
    super();
    this.fc1 = this.child('fc1', new Linear({ inFeatures: dim, outFeatures: hidden }, rng));
    this.fc2 = this.child('fc2', new Linear({ inFeatures: hidden, outFeatures: dim, ...(outStd === undefined ? {} : { initStd: outStd }) }, rng));
    this.act = activation(act);
  }

  apply(x: tf.Tensor): tf.Tensor {
    return this.fc2.apply(this.act(this.fc1.apply(x)));
  }
}
