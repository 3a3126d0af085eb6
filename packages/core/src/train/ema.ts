import * as tf from '@tensorflow/tfjs-core';

/**
 * An exponential moving average of parameters (Polyak & Juditsky 1992; as in timm's ModelEmaV2):
 * shadow = decay * shadow + (1 - decay) * param after each step. `swap()` exchanges shadow and
 * live weights for evaluation; calling it again swaps back.
 */
export class Ema {
  readonly decay: number;
  private readonly names: string[];
  private readonly params: tf.Variable[];
  private readonly shadow: tf.Variable[];
  updates = 0;

  constructor(params: Map<string, tf.Variable>, decay = 0.999) {
    if (!(decay >= 0 && decay < 1)) throw new Error(`Ema: decay must be in [0, 1), got ${decay}`);
    this.decay = decay;
    const entries = [...params].filter(([, p]) => p.trainable);
    this.names = entries.map(([n]) => n);
    this.params = entries.map(([, p]) => p);
    this.shadow = this.params.map((p) => tf.tidy(() => tf.variable(tf.clone(p), false)));
  }

  /** Call after each optimizer step (e.g. from the Trainer's 'step' event). */
  update(): void {
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const s = this.shadow[i]!;
        s.assign(tf.add(tf.mul(s, this.decay), tf.mul(p, 1 - this.decay)));
      });
    });
    this.updates += 1;
  }

  /** Exchanges the averaged and the live weights (evaluate with the average, then swap back). */
  swap(): void {
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const s = this.shadow[i]!;
        const live = tf.clone(p);
        p.assign(s);
        s.assign(live);
      });
    });
  }

  /** Shadow weights keyed "ema.<param>" (live tensors: do not dispose). */
  stateTensors(): Record<string, tf.Tensor> {
    return Object.fromEntries(this.names.map((n, i) => [`ema.${n}`, this.shadow[i]!]));
  }

  loadState(tensors: Record<string, tf.Tensor>): void {
    this.names.forEach((n, i) => {
      const t = tensors[`ema.${n}`];
      const target = this.shadow[i]!;
      if (!t) throw new Error(`Ema.loadState: missing 'ema.${n}'`);
      if (t.shape.join(',') !== target.shape.join(',')) throw new Error(`Ema.loadState: 'ema.${n}' has shape [${t.shape}] but the parameter is [${target.shape}]`);
      target.assign(t);
    });
  }

  dispose(): void {
    tf.dispose(this.shadow);
  }
}
