import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';
import { Linear } from './linear.js';
import { Module, normalInit } from './module.js';

/** A lookup table [vocab, dim] (gather; its gradient is an UnsortedSegmentSum). */
export class TokenEmbedding extends Module {
  readonly table: tf.Variable;

  constructor(readonly vocabSize: number, readonly dim: number, rng: Rng) {
    super();
    this.table = this.param('weight', [vocabSize, dim], normalInit(rng, 0.02));
  }

  /** ids: [B, T] int32 -> [B, T, D] */
  apply(ids: tf.Tensor2D): tf.Tensor3D {
    if (ids.dtype !== 'int32') throw new Error(`TokenEmbedding: ids must be int32, got ${ids.dtype}`);
    return tf.tidy(() => tf.reshape(tf.gather(this.table, tf.reshape(ids, [-1])), [ids.shape[0], ids.shape[1], this.dim]));
  }
}

/** Learned absolute positions [maxLength, dim], added to a [B, T, D] sequence. */
export class LearnedPositions extends Module {
  readonly table: tf.Variable;

  constructor(readonly maxLength: number, readonly dim: number, rng: Rng) {
    super();
    this.table = this.param('weight', [maxLength, dim], normalInit(rng, 0.01));
  }

  apply(x: tf.Tensor3D): tf.Tensor3D {
    const t = x.shape[1];
    if (t > this.maxLength) throw new Error(`LearnedPositions: sequence length ${t} exceeds maxLength ${this.maxLength}`);
    return tf.tidy(() => tf.add(x, tf.slice(this.table, [0, 0], [t, this.dim])) as tf.Tensor3D);
  }
}

/** Fixed sinusoidal positions (Vaswani et al. 2017), [T, D]. */
export function sinusoidalPositions(length: number, dim: number): tf.Tensor2D {
  const out = new Float32Array(length * dim);
  for (let p = 0; p < length; p++) {
    for (let i = 0; i < dim; i++) {
      const freq = Math.pow(10000, -(2 * Math.floor(i / 2)) / dim);
      out[p * dim + i] = i % 2 === 0 ? Math.sin(p * freq) : Math.cos(p * freq);
    }
  }
  return tf.tensor2d(out, [length, dim]);
}

/**
 * Cuts an image [B, H, W, C] into non-overlapping p x p patches and projects each: the same
 * as a stride-p convolution, written as reshape + transpose + matmul so it runs fast on every
 * backend (and needs no conv gradient). Returns [B, (H/p)(W/p), D].
 */
export class PatchEmbedding extends Module {
  readonly proj: Linear;

  constructor(readonly patchSize: number, readonly channels: number, readonly dim: number, rng: Rng) {
    super();
    this.proj = this.child('proj', new Linear({ inFeatures: patchSize * patchSize * channels, outFeatures: dim }, rng));
  }

  apply(images: tf.Tensor4D): tf.Tensor3D {
    const [b, h, w, c] = images.shape;
    const p = this.patchSize;
    if (c !== this.channels || h % p !== 0 || w % p !== 0) {
      throw new Error(`PatchEmbedding: expected [B, H, W, ${this.channels}] with H and W divisible by ${p}, got [${images.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const gh = h / p, gw = w / p;
      const rows = tf.reshape(images, [b * gh, p, gw, p * c]); // rows of patches
      const grid = tf.transpose(rows, [0, 2, 1, 3]); // [B*gh, gw, p, p*C]
      const patches = tf.reshape(grid, [b, gh * gw, p * p * c]); // [B, N, p*p*C]
      return this.proj.apply(patches) as tf.Tensor3D; // [B, N, D]
    });
  }
}
