import * as tf from '@tensorflow/tfjs-core';
import type { Encoder, TextInput } from '../encoders/encoder.js';
import { TextTransformer } from '../encoders/text-transformer.js';
import { VisionTransformer } from '../encoders/vit.js';
import { LearnedPositions, PatchEmbedding } from '../layers/embeddings.js';
import { Linear } from '../layers/linear.js';
import { Module } from '../layers/module.js';
import { Rng } from '../random/rng.js';

/** A tiny tower for features [B, F]: linear, tanh, linear. Cheap enough for hundreds of test steps. */
export class FeatureEncoder extends Module implements Encoder<tf.Tensor2D> {
  readonly outputDim: number;
  private readonly fc1: Linear;
  private readonly fc2: Linear;

  constructor(inFeatures: number, width: number, rng: Rng) {
    super();
    this.outputDim = width;
    this.fc1 = this.child('fc1', new Linear({ inFeatures, outFeatures: width }, rng));
    this.fc2 = this.child('fc2', new Linear({ inFeatures: width, outFeatures: width }, rng));
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.fc2.apply(tf.tanh(this.fc1.apply(x))) as tf.Tensor2D);
  }
}

/** Patch tokens with positions [B, N, D]: the smallest image tower that gives a captioner several tokens. */
export class PatchTokens extends Module {
  readonly outputDim: number;
  private readonly patch: PatchEmbedding;
  private readonly pos: LearnedPositions;

  constructor(imageSize: number, patchSize: number, width: number, rng: Rng) {
    super();
    this.outputDim = width;
    this.patch = this.child('patch', new PatchEmbedding(patchSize, 3, width, rng));
    this.pos = this.child('pos', new LearnedPositions((imageSize / patchSize) ** 2, width, rng));
  }

  apply(images: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => this.pos.apply(this.patch.apply(images)));
  }
}

export const tinyVit = (rng: Rng): VisionTransformer =>
  new VisionTransformer({ kind: 'vit', imageSize: 8, patchSize: 4, channels: 3, width: 8, depth: 1, heads: 2, mlpRatio: 2, activation: 'quick-gelu', pool: 'mean' }, rng);

export const tinyText = (rng: Rng, vocabSize = 20): TextTransformer =>
  new TextTransformer({ kind: 'text-transformer', vocabSize, contextLength: 5, width: 8, depth: 1, heads: 2, mlpRatio: 2, activation: 'quick-gelu', causal: true, pool: 'eot' }, rng);

/** Uniform [0, 1) images [B, 8, 8, 3]. */
export function randomImages(b: number, rng: Rng): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from({ length: b * 8 * 8 * 3 }, () => rng.next()), [b, 8, 8, 3]);
}

/** Standard-normal features [B, F]. */
export function randomFeatures(b: number, f: number, rng: Rng): tf.Tensor2D {
  return tf.tensor2d(rng.normalArray(b * f, 1, false), [b, f]);
}

/** Token ids in [1, vocab) with 2..T real tokens per row, padded with 0. */
export function randomText(b: number, rng: Rng, vocabSize = 20, t = 5): TextInput {
  const lengths = Array.from({ length: b }, () => 2 + rng.int(t - 1));
  const ids = tf.tensor2d(lengths.flatMap((n) => Array.from({ length: t }, (_, i) => (i < n ? 1 + rng.int(vocabSize - 1) : 0))), [b, t], 'int32');
  const mask = tf.tensor2d(lengths.flatMap((n) => Array.from({ length: t }, (_, i) => (i < n ? 1 : 0))), [b, t]);
  return { ids, mask };
}

/** Reads a loss scalar and disposes it. */
export async function readLoss(loss: tf.Scalar): Promise<number> {
  const v = (await loss.data())[0]!;
  loss.dispose();
  return v;
}

export { Rng };
