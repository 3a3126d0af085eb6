import * as tf from '@tensorflow/tfjs-core';
import { Linear } from '../../layers/linear.js';
import { Module } from '../../layers/module.js';
import type { Rng } from '../../random/rng.js';
import type { VideoEncoder } from './video-encoder.js';

/** Clips [N, T, 8, 8, 1] of a dot moving right along row r (one clip per row), and the same clips reversed (moving left). */
export function movingDots(rows: number[], t = 4): { right: tf.Tensor5D; left: tf.Tensor5D } {
  const data = new Float32Array(rows.length * t * 64);
  rows.forEach((r, n) => {
    for (let f = 0; f < t; f++) data[((n * t + f) * 8 + r) * 8 + Math.round((f * 7) / (t - 1))] = 1;
  });
  const right = tf.tensor5d(data, [rows.length, t, 8, 8, 1]);
  return { right, left: tf.reverse(right, 1) };
}

/** A video encoder with a one-logit head, for "moves right or left?" training tests. */
export class Probe extends Module {
  readonly head: Linear;
  constructor(readonly encoder: VideoEncoder, rng: Rng) {
    super();
    this.child('encoder', encoder);
    this.head = this.child('head', new Linear({ inFeatures: encoder.outputDim, outFeatures: 1 }, rng));
  }
}
