import * as tf from '@tensorflow/tfjs-core';
import { checkPairShapes } from './info-nce.js';

export type TripletMetric = 'cosine' | 'euclidean';

export interface TripletLossOptions {
  /** 'cosine' compares cosine similarities (VSE++); 'euclidean' compares L2 distances (FaceNet). */
  metric?: TripletMetric;
  /** Required gap between the positive and the hardest negative: VSE++ uses 0.2 on cosine. */
  margin?: number;
}

export interface TripletLossOutput {
  loss: tf.Scalar; // mean of the two directions
  aToB: tf.Scalar; // each a_i: its positive b_i against the hardest b_j, j != i
  bToA: tf.Scalar; // each b_j: its positive a_j against the hardest a_i, i != j
  scores: tf.Tensor2D; // [B, B] similarity (cosine) or negated distance (euclidean): higher is closer
}

// Stands in for the score of the positive when looking for the hardest negative; a batch of
// one has no negative and its hinge is then exactly 0. Finite, so no 0 * Infinity = NaN.
const NOT_A_NEGATIVE = -1e30;

/** [B, B] squared distances |a_i|^2 + |b_j|^2 - 2 a_i.b_j, without the [B, B, E] difference tensor. */
function squaredDistances(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const aa = tf.sum(tf.square(a), 1, true); // [B, 1]
  const bb = tf.reshape(tf.sum(tf.square(b), 1), [1, -1]); // [1, B]
  return tf.maximum(tf.sub(tf.add(aa, bb), tf.mul(tf.matMul(a, b, false, true), 2)), 0) as tf.Tensor2D;
}

function l2Rows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), 1, true), 1e-12))) as tf.Tensor2D;
}

/** Mean over rows of relu(margin - score_ii + max_{j != i} score_ij). */
function hardestNegativeHinge(scores: tf.Tensor2D, eye: tf.Tensor2D, margin: number): tf.Scalar {
  const positive = tf.sum(tf.mul(scores, eye), 1); // [B]
  const hardest = tf.max(tf.where(tf.cast(eye, 'bool'), tf.fill(scores.shape, NOT_A_NEGATIVE), scores), 1); // [B]
  return tf.mean(tf.relu(tf.add(tf.sub(margin, positive), hardest))) as tf.Scalar;
}

/**
 * Triplet loss with the hardest in-batch negative (Schroff et al. 2015, FaceNet; Faghri et al. 2018, VSE++).
 *
 * Symmetric: each a_i is ranked against every b_j and each b_j against every a_i, with (a_i,
 * b_i) the positive pair. 'euclidean' uses the (unsquared) L2 distance of the raw rows; 'cosine'
 * normalises the rows itself.
 */
export function tripletLoss(a: tf.Tensor2D, b: tf.Tensor2D, options: TripletLossOptions = {}): TripletLossOutput {
  checkPairShapes('tripletLoss', a, b);
  const metric = options.metric ?? 'cosine';
  if (metric !== 'cosine' && metric !== 'euclidean') throw new Error(`tripletLoss: metric must be 'cosine' or 'euclidean', got '${String(metric)}'`);
  const margin = options.margin ?? 0.2;
  if (!Number.isFinite(margin) || margin < 0) throw new Error(`tripletLoss: margin must be a finite number >= 0, got ${margin}`);
  return tf.tidy(() => {
    const scores =
      metric === 'cosine'
        ? (tf.matMul(l2Rows(a), l2Rows(b), false, true) as tf.Tensor2D) // [B, B]
        : (tf.neg(tf.sqrt(tf.maximum(squaredDistances(a, b), 1e-12))) as tf.Tensor2D); // [B, B], the eps keeps sqrt's gradient finite at 0
    const eye = tf.eye(a.shape[0]) as tf.Tensor2D;
    const aToB = hardestNegativeHinge(scores, eye, margin);
    const bToA = hardestNegativeHinge(tf.transpose(scores), eye, margin);
    const loss = tf.mul(tf.add(aToB, bToA), 0.5) as tf.Scalar;
    return { loss, aToB, bToA, scores };
  });
}
