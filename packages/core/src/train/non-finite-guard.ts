import * as tf from '@tensorflow/tfjs-core';

export interface NonFiniteGuardOptions {
  /** Stop the run (at the next log read) once this many steps in a row were non-finite. */
  maxConsecutive: number;
}

/**
 * Skips non-finite steps without reading anything back: the tensors a step may change
 * (parameters and optimizer slots) are copied before it, and after it each one is put back
 * in-graph (where(ok, new, old)) unless the loss and gradient norm are finite. Counters of
 * skipped steps live on the device and are read with the other metrics. Costs one copy of
 * parameters and optimizer state per step. The optimizer's own JS step counter still advances
 * on a skipped step (AdamW's bias correction then lags by one).
 */
export class NonFiniteGuard {
  readonly maxConsecutive: number;
  private readonly consecutive = tf.tidy(() => tf.variable(tf.scalar(0), false));
  private readonly total = tf.tidy(() => tf.variable(tf.scalar(0), false));

  constructor(options: NonFiniteGuardOptions) {
    if (!Number.isInteger(options.maxConsecutive) || options.maxConsecutive < 1) {
      throw new Error(`NonFiniteGuard: maxConsecutive must be a positive integer, got ${options.maxConsecutive}`);
    }
    this.maxConsecutive = options.maxConsecutive;
  }

  /** Copies of the tensors to protect; pass them to settle. */
  snapshot(targets: readonly tf.Variable[]): tf.Tensor[] {
    return targets.map((t) => tf.clone(t));
  }

  /** Restores every target from its copy if the step was not finite, updates the counters, disposes the copies. */
  settle(targets: readonly tf.Variable[], copies: tf.Tensor[], loss: tf.Scalar, gradNorm: tf.Scalar | undefined): void {
    tf.tidy(() => {
      let ok = tf.isFinite(loss);
      if (gradNorm !== undefined) ok = tf.logicalAnd(ok, tf.isFinite(gradNorm));
      targets.forEach((t, i) => t.assign(tf.where(tf.broadcastTo(ok, t.shape), t, copies[i]!)));
      const bad = tf.sub(1, tf.cast(ok, 'float32'));
      this.consecutive.assign(tf.mul(tf.add(this.consecutive, 1), bad));
      this.total.assign(tf.add(this.total, bad));
    });
    tf.dispose(copies);
  }

  /** [non-finite steps in a row now, non-finite steps in total], read asynchronously. */
  async read(): Promise<[number, number]> {
    const [c, t] = await Promise.all([this.consecutive.data(), this.total.data()]);
    return [c[0]!, t[0]!];
  }

  reset(): void {
    this.consecutive.assign(tf.scalar(0));
    this.total.assign(tf.scalar(0));
  }

  dispose(): void {
    tf.dispose([this.consecutive, this.total]);
  }
}
