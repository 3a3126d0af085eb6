import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../layers/module.js';
import { LogitScale, type LogitScaleConfig } from './clip-loss.js';

export interface InfoNceOutput {
  loss: tf.Scalar; // mean of the two directions
  aToB: tf.Scalar; // rows: each a_i against every b_j
  bToA: tf.Scalar; // columns: each b_j against every a_i
  logits: tf.Tensor2D; // [B, B], row i = a_i against every b_j
}

export interface InfoNceOptions {
  /**
   * [B, B] mask, > 0 where (a_i, b_j) is a positive pair; the identity when absent. Any float
   * or bool dtype; values are read as positive / not positive, never as weights.
   */
  positives?: tf.Tensor2D;
}

/** Checks `[B, E]` and `[B, E]` inputs and a `[B, B]` mask; `who` prefixes the message. */
export function checkPairShapes(who: string, a: tf.Tensor, b: tf.Tensor, positives?: tf.Tensor): void {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) {
    throw new Error(`${who}: both inputs must be [B, E] with the same B and E, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  const n = a.shape[0];
  if (positives !== undefined && (positives.rank !== 2 || positives.shape[0] !== n || positives.shape[1] !== n)) {
    throw new Error(`${who}: positives must be [B, B] = [${n}, ${n}], got [${positives.shape.join(', ')}]`);
  }
}

/** The 0/1 float mask of positives: the identity, or `positives > 0`. */
export function positiveMask(n: number, positives?: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => (positives === undefined ? tf.eye(n) : tf.cast(tf.greater(tf.cast(positives, 'float32'), 0), 'float32')) as tf.Tensor2D);
}

/**
 * Row-wise cross-entropy against targets spread uniformly over each row's positives, averaged
 * over the rows that have at least one positive (a row without one has no target to score).
 */
function softTargetCrossEntropy(logits: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  const counts = tf.sum(mask, 1, true); // [B, 1]
  const targets = tf.div(mask, tf.maximum(counts, 1)); // [B, B], rows sum to 1 (or 0 without positives)
  const perRow = tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits, 1)), 1)); // [B]
  const scoredRows = tf.maximum(tf.sum(tf.cast(tf.greater(counts, 0), 'float32')), 1);
  return tf.div(tf.sum(perRow), scoredRows) as tf.Scalar;
}

/**
 * Symmetric InfoNCE with one or more positives per row (van den Oord et al. 2018; CLIP, Radford et al. 2021).
 *
 * Cross-entropy of each a_i against all b_j and of each b_j against all a_i. With several
 * positives (several captions of one image in the batch) the target of a row is uniform over its
 * positives, i.e. the mean of -log p over the positives, as multi-caption CLIP and SupCon's
 * L_out do. The other choice, -log of the summed probability of the positives, lets a row put
 * all its mass on one positive; the uniform target pulls every positive in. Its minimum is
 * therefore ln(#positives) per row, not 0. With the identity mask (the default) this is
 * clipLoss. Inputs are L2-normalised [B, E]; logitScale is the already exponentiated scalar.
 */
export function infoNce(a: tf.Tensor2D, b: tf.Tensor2D, logitScale: tf.Scalar | number, options: InfoNceOptions = {}): InfoNceOutput {
  checkPairShapes('infoNce', a, b, options.positives);
  return tf.tidy(() => {
    const logits = tf.mul(tf.matMul(a, b, false, true), logitScale) as tf.Tensor2D; // [B, B]
    const mask = positiveMask(a.shape[0], options.positives); // [B, B]
    const aToB = softTargetCrossEntropy(logits, mask);
    const bToA = softTargetCrossEntropy(tf.transpose(logits), tf.transpose(mask));
    const loss = tf.mul(tf.add(aToB, bToA), 0.5) as tf.Scalar;
    return { loss, aToB, bToA, logits };
  });
}

/** Symmetric (multi-positive) InfoNCE with its learnable temperature: a thin owner of a LogitScale. */
export class InfoNceLoss extends Module {
  readonly logitScale: LogitScale;

  constructor(config: LogitScaleConfig = {}) {
    super();
    this.logitScale = this.child('logitScale', new LogitScale(config));
  }

  apply(a: tf.Tensor2D, b: tf.Tensor2D, positives?: tf.Tensor2D): InfoNceOutput {
    return tf.tidy(() => infoNce(a, b, this.logitScale.value(), positives === undefined ? {} : { positives }) as unknown as tf.TensorContainer) as unknown as InfoNceOutput;
  }

  /** exp(logScale), the multiplier of the cosine similarities. */
  scale(): tf.Scalar {
    return this.logitScale.value();
  }

  /** Call after each optimizer step: CLIP's clamp of the temperature. */
  afterStep(): void {
    this.logitScale.clamp();
  }
}
