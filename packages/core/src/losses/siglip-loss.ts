import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../layers/module.js';
import { checkPairShapes, positiveMask } from './info-nce.js';

export interface SigLipLossOutput {
  loss: tf.Scalar; // summed over all B*B pairs, divided by B (as the paper and open_clip)
  logits: tf.Tensor2D; // [B, B], scale * image_i . text_j + bias
}

export interface SigLipLossOptions {
  /** [B, B] mask, > 0 where (image_i, text_j) is a positive pair; the identity when absent. */
  positives?: tf.Tensor2D;
}

/**
 * Sigmoid loss for image-text pretraining (Zhai et al. 2023, SigLIP).
 *
 * Every (image, text) pair of the batch is an independent binary classification, label +1 for
 * positives and -1 otherwise, so no softmax over the batch is needed. Inputs are L2-normalised
 * [B, E]; logitScale is exp(t), logitBias b.
 */
export function sigLipLoss(
  image: tf.Tensor2D,
  text: tf.Tensor2D,
  logitScale: tf.Scalar | number,
  logitBias: tf.Scalar | number,
  options: SigLipLossOptions = {},
): SigLipLossOutput {
  checkPairShapes('sigLipLoss', image, text, options.positives);
  return tf.tidy(() => {
    const b = image.shape[0];
    const logits = tf.add(tf.mul(tf.matMul(image, text, false, true), logitScale), logitBias) as tf.Tensor2D; // [B, B]
    const labels = tf.sub(tf.mul(positiveMask(b, options.positives), 2), 1); // [B, B], +1 / -1
    // -log sigmoid(z) = softplus(-z): finite for any finite logit, where log(sigmoid(z)) is -inf
    // below about -104. Not tf.logSigmoid: its custom gradient reads an input that tidy has freed.
    const loss = tf.div(tf.sum(tf.softplus(tf.neg(tf.mul(labels, logits)))), b) as tf.Scalar;
    return { loss, logits };
  });
}

export interface SigLipLossConfig {
  /** SigLIP's init: exp(t) = 10, i.e. t = log 10. */
  scaleInit?: number;
  /** SigLIP's init: -10, so that at the start the many negatives do not dominate the loss. */
  biasInit?: number;
  /** Clamp of exp(t) after each step; 100 as open_clip applies to every model. */
  maxScale?: number;
}

/** The learnable scale t (stored as log) and bias b of the sigmoid loss (Zhai et al. 2023). */
export class SigLipLoss extends Module {
  readonly logScale: tf.Variable;
  readonly bias: tf.Variable;
  readonly maxScale: number;

  constructor(config: SigLipLossConfig = {}) {
    super();
    const scaleInit = config.scaleInit ?? 10;
    const biasInit = config.biasInit ?? -10;
    this.maxScale = config.maxScale ?? 100;
    if (!(scaleInit > 0) || !(this.maxScale >= scaleInit)) {
      throw new Error(`SigLipLoss: need 0 < scaleInit <= maxScale, got scaleInit=${scaleInit}, maxScale=${this.maxScale}`);
    }
    if (!Number.isFinite(biasInit)) throw new Error(`SigLipLoss: biasInit must be finite, got ${biasInit}`);
    this.logScale = this.param('logScale', [], () => new Float32Array([Math.log(scaleInit)]));
    this.bias = this.param('bias', [], () => new Float32Array([biasInit]));
  }

  /** exp(t), the multiplier of the cosine similarities. */
  scale(): tf.Scalar {
    return tf.tidy(() => tf.exp(this.logScale) as tf.Scalar);
  }

  apply(image: tf.Tensor2D, text: tf.Tensor2D, positives?: tf.Tensor2D): SigLipLossOutput {
    return tf.tidy(
      () => sigLipLoss(image, text, tf.exp(this.logScale) as tf.Scalar, this.bias as tf.Scalar, positives === undefined ? {} : { positives }) as unknown as tf.TensorContainer,
    ) as unknown as SigLipLossOutput;
  }

  /** Call after each optimizer step: keeps exp(t) in [1, maxScale]. */
  afterStep(): void {
    tf.tidy(() => this.logScale.assign(tf.clipByValue(this.logScale, 0, Math.log(this.maxScale))));
  }
}
