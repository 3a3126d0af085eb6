import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../layers/module.js';

export interface ClipLossOutput {
  loss: tf.Scalar; // mean of the two directions
  imageToText: tf.Scalar;
  textToImage: tf.Scalar;
  logits: tf.Tensor2D; // [B, B], row i = image i against every text
}

/**
 * Symmetric InfoNCE (Radford et al. 2021, CLIP): cross-entropy of each image against all
 * texts of the batch and of each text against all images, with the matching pair as the
 * target. Inputs are L2-normalised [B, E]; logitScale is the (already exponentiated) scalar.
 */
export function clipLoss(image: tf.Tensor2D, text: tf.Tensor2D, logitScale: tf.Scalar | number): ClipLossOutput {
  if (image.rank !== 2 || text.rank !== 2 || image.shape[0] !== text.shape[0] || image.shape[1] !== text.shape[1]) {
    throw new Error(`clipLoss: image and text must both be [B, E], got [${image.shape.join(', ')}] and [${text.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const b = image.shape[0];
    const logits = tf.mul(tf.matMul(image, text, false, true), logitScale) as tf.Tensor2D; // [B, B]
    const eye = tf.eye(b);
    // -log softmax at the diagonal, along rows (image->text) and along columns (text->image).
    const rowLoss = tf.div(tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits, 1), eye))), b) as tf.Scalar;
    const colLoss = tf.div(tf.neg(tf.sum(tf.mul(tf.logSoftmax(tf.transpose(logits), 1), eye))), b) as tf.Scalar;
    const loss = tf.mul(tf.add(rowLoss, colLoss), 0.5) as tf.Scalar;
    return { loss, imageToText: rowLoss, textToImage: colLoss, logits };
  });
}

export interface LogitScaleConfig {
  /** CLIP's init: 1 / 0.07. */
  init?: number;
  /** CLIP's clamp: 100, so the softmax cannot become arbitrarily sharp. */
  max?: number;
  /** false fixes the temperature at init (e.g. to study the modality gap as a function of it). */
  learnable?: boolean;
}

/** The learnable temperature of InfoNCE, stored as log(scale) and clamped after each step. */
export class LogitScale extends Module {
  readonly logScale: tf.Variable;
  readonly max: number;

  constructor(config: LogitScaleConfig = {}) {
    super();
    const init = config.init ?? 1 / 0.07;
    this.max = config.max ?? 100;
    if (!(init > 0) || !(this.max >= init)) throw new Error(`LogitScale: need 0 < init <= max, got init=${init}, max=${this.max}`);
    this.param('logScale', [], () => new Float32Array([Math.log(init)]), config.learnable ?? true);
    this.logScale = this.namedVariables().get('logScale')!;
  }

  /** exp(logScale), the multiplier of the cosine similarities. */
  value(): tf.Scalar {
    return tf.tidy(() => tf.exp(this.logScale) as tf.Scalar);
  }

  /** Projects the parameter back into [0, log(max)], as open_clip does after every step. */
  clamp(): void {
    tf.tidy(() => this.logScale.assign(tf.clipByValue(this.logScale, 0, Math.log(this.max))));
  }
}
