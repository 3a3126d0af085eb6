import * as tf from '@tensorflow/tfjs-core';

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

/** Optimizer.step in terms of applyGradients: differentiate, apply, free the gradients. */
export function stepWith(
  optimizer: Pick<Optimizer, 'applyGradients'>,
  params: tf.Variable[],
  lossFn: () => tf.Scalar,
  lr: number,
): StepOutput {
  const { value, grads } = tf.variableGrads(lossFn, params);
  try {
    return { loss: value, gradNorm: optimizer.applyGradients(grads, lr) };
  } finally {
    tf.dispose(grads);
  }
}

/** The gradient of every parameter, in parameter order; a missing one names its path. */
export function gradientsInOrder(who: string, params: tf.Variable[], names: string[], grads: tf.NamedTensorMap): tf.Tensor[] {
  return params.map((p, i) => {
    const g = grads[p.name];
    if (!g) throw new Error(`${who}: no gradient for parameter '${names[i]}'`);
    return g;
  });
}
