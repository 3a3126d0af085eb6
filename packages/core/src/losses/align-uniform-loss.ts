import * as tf from '@tensorflow/tfjs-core';
import { checkPairShapes } from './info-nce.js';

/** Alignment (Wang & Isola 2020): mean over positive pairs of |a_i - b_i|_2^alpha. */
export function alignmentLoss(a: tf.Tensor2D, b: tf.Tensor2D, alpha = 2): tf.Scalar {
  checkPairShapes('alignmentLoss', a, b);
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new Error(`alignmentLoss: alpha must be a finite number > 0, got ${alpha}`);
  return tf.tidy(() => {
    const sq = tf.sum(tf.square(tf.sub(a, b)), 1); // [B], squared distances
    // alpha = 2 avoids pow's gradient at a zero distance; other alphas follow the paper's norm^alpha.
    return tf.mean(alpha === 2 ? sq : tf.pow(sq, alpha / 2)) as tf.Scalar;
  });
}

/**
 * Uniformity (Wang & Isola 2020): log of the mean over pairs of exp(-t |x_i - x_j|^2).
 *
 * The log of the Gaussian potential; lower is more uniform on the sphere. Needs B >= 2.
 */
export function uniformityLoss(x: tf.Tensor2D, t = 2): tf.Scalar {
  if (x.rank !== 2) throw new Error(`uniformityLoss: x must be [B, E], got [${x.shape.join(', ')}]`);
  const n = x.shape[0];
  if (n < 2) throw new Error(`uniformityLoss: needs at least 2 rows to form a pair, got B=${n}`);
  if (!(t > 0) || !Number.isFinite(t)) throw new Error(`uniformityLoss: t must be a finite number > 0, got ${t}`);
  return tf.tidy(() => {
    const sqNorm = tf.sum(tf.square(x), 1, true); // [B, 1]
    const sq = tf.maximum(tf.sub(tf.add(sqNorm, tf.reshape(sqNorm, [1, n])), tf.mul(tf.matMul(x, x, false, true), 2)), 0); // [B, B]
    // Every unordered pair appears twice off the diagonal, so the mean over i != j is the paper's
    // mean over i < j. logSumExp keeps far-apart points finite where log(mean(exp)) gives -inf.
    const offDiagonal = tf.cast(tf.sub(1, tf.eye(n)), 'bool');
    const potentials = tf.where(offDiagonal, tf.mul(sq, -t), tf.fill([n, n], -1e30)); // [B, B]
    return tf.sub(tf.logSumExp(tf.reshape(potentials, [-1])), Math.log(n * (n - 1))) as tf.Scalar;
  });
}

export interface AlignUniformOptions {
  /** Exponent of the alignment distance; the paper's default 2. */
  alpha?: number;
  /** Sharpness of the uniformity potential; the paper's default 2. */
  t?: number;
  /** Weight of uniformity against alignment; the paper's default 1. */
  uniformityWeight?: number;
}

export interface AlignUniformOutput {
  loss: tf.Scalar; // alignment + uniformityWeight * uniformity
  alignment: tf.Scalar;
  uniformity: tf.Scalar; // mean of the uniformity of a and of b
}

/** The combined objective of Wang & Isola 2020: align(a, b) + w * (uniform(a) + uniform(b)) / 2. */
export function alignUniformLoss(a: tf.Tensor2D, b: tf.Tensor2D, options: AlignUniformOptions = {}): AlignUniformOutput {
  const weight = options.uniformityWeight ?? 1;
  if (!Number.isFinite(weight)) throw new Error(`alignUniformLoss: uniformityWeight must be finite, got ${weight}`);
  checkPairShapes('alignUniformLoss', a, b);
  return tf.tidy(() => {
    const alignment = alignmentLoss(a, b, options.alpha);
    const uniformity = tf.mul(tf.add(uniformityLoss(a, options.t), uniformityLoss(b, options.t)), 0.5) as tf.Scalar;
    const loss = tf.add(alignment, tf.mul(uniformity, weight)) as tf.Scalar;
    return { loss, alignment, uniformity };
  });
}
