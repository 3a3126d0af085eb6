import type * as tf from '@tensorflow/tfjs-core';

export interface StepOutput {
  loss: tf.Scalar;
  gradNorm: tf.Scalar; // before clipping
}

/**
 * What the Trainer, GradCache and checkpoints need from an optimizer (AdamW and Sgd implement
 * it). Gradients are keyed by the tf.Variable's own name, as tf.variableGrads returns them.
 */
export interface Optimizer {
  readonly stepCount: number;
  /** Differentiates lossFn and applies one update; the caller disposes both scalars. */
  step(lossFn: () => tf.Scalar, lr: number): StepOutput;
  /** One update from gradients computed elsewhere (GradCache); returns the norm before clipping. */
  applyGradients(grads: tf.NamedTensorMap, lr: number): tf.Scalar;
  /** Optimizer state keyed "<slot>.<param path>"; live tensors, not copies. */
  stateTensors(): Record<string, tf.Tensor>;
  loadState(tensors: Record<string, tf.Tensor>, stepCount: number): void;
  dispose(): void;
}
