import * as tf from '@tensorflow/tfjs-core';

/** Guard against downloading a full evaluation matrix into JS by mistake. */
const MAX_CELLS = 1_000_000;

/**
 * Dot-product similarities of every row of `a` with every row of `b` as nested arrays, for
 * a small sample (a heatmap); full-size evaluation goes through rankRetrieval instead.
 */
export function similarityMatrix(a: tf.Tensor2D, b: tf.Tensor2D): number[][] {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[1]) {
    throw new Error(`similarityMatrix: expected [n, D] and [m, D], received [${a.shape}] and [${b.shape}]`);
  }
  const cells = a.shape[0] * b.shape[0];
  if (cells > MAX_CELLS) {
    throw new Error(
      `similarityMatrix: ${a.shape[0]} x ${b.shape[0]} = ${cells} cells exceeds ${MAX_CELLS}; ` +
        'slice a sample first (this is meant for heatmaps)',
    );
  }
  const product = tf.tidy(() => tf.matMul(a, tf.transpose(b))); // [n, m]
  try {
    return product.arraySync() as number[][];
  } finally {
    product.dispose();
  }
}
