import type { FusionClassifier } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';
import type { ModalityInputs, ModalityScore, ModalityScorer } from './ablation.js';

/**
 * A ModalityScorer for a FusionClassifier on tower features (model.features(batch)): runs the
 * fusion and head on the (possibly tampered) features and reads mean cross-entropy and accuracy
 * against `labels` (int32 [B] in [0, numClasses), owned by the caller). Reads back once per call,
 * asynchronously.
 */
export function fusionClassifierScorer(model: Pick<FusionClassifier, 'classify' | 'numClasses'>, labels: tf.Tensor1D): ModalityScorer {
  const y = labels;
  if (y.rank !== 1 || y.dtype !== 'int32') throw new Error(`fusionClassifierScorer: labels must be int32 [B], received ${y.dtype} [${y.shape.join(', ')}]`);
  return async (inputs: ModalityInputs): Promise<ModalityScore> => {
    const out = tf.tidy(() => {
      const logits = model.classify(inputs as Record<string, tf.Tensor2D>); // [B, C]
      if (logits.shape[0] !== y.shape[0]) throw new Error(`fusionClassifierScorer: ${y.shape[0]} labels for a batch of ${logits.shape[0]}`);
      const loss = tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(y, model.numClasses), tf.logSoftmax(logits, 1)), 1)));
      const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32'));
      return tf.stack([accuracy, loss]); // [2]
    });
    try {
      const [accuracy, loss] = await out.data();
      return { accuracy: accuracy!, loss: loss! };
    } finally {
      out.dispose();
    }
  };
}
