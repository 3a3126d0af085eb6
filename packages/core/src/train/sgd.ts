import './register-gradients.js';
import * as tf from '@tensorflow/tfjs-core';
import { clipScale, globalNorm } from './clip-grad.js';
import { gradientsInOrder, stepWith, type Optimizer, type StepOutput } from './optimizer.js';

export interface SgdConfig {
  momentum?: number; // 0.9: the usual choice for vision fine-tuning
  /** Nesterov's look-ahead form (Sutskever et al. 2013); off by default as in PyTorch. */
  nesterov?: boolean;
  /** Coupled L2 decay added to the gradient (PyTorch's SGD); 0 by default. */
  weightDecay?: number;
  /** Parameters whose name matches get no weight decay; by default none are excluded. */
  noDecay?: (name: string) => boolean;
  /** Clip gradients to this global L2 norm; undefined = no clipping. */
  clipNorm?: number;
}

/**
 * SGD with heavy-ball momentum in PyTorch's form: buf = mu * buf + g, p -= lr * buf (or
 * lr * (g + mu * buf) with Nesterov). The same state API as AdamW, with one slot "m".
 */
export class Sgd implements Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  readonly clipNorm: number | undefined;
  private readonly names: string[];
  private readonly params: tf.Variable[];
  private readonly decay: boolean[];
  private readonly buf: tf.Variable[];
  stepCount = 0;

  constructor(params: Map<string, tf.Variable>, config: SgdConfig = {}) {
    this.momentum = config.momentum ?? 0.9;
    this.nesterov = config.nesterov ?? false;
    this.weightDecay = config.weightDecay ?? 0;
    this.clipNorm = config.clipNorm;
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new Error(`Sgd: momentum must be in [0, 1), got ${this.momentum}`);
    if (!(this.weightDecay >= 0)) throw new Error(`Sgd: weightDecay must be >= 0, got ${this.weightDecay}`);
    if (this.nesterov && this.momentum === 0) throw new Error('Sgd: nesterov needs momentum > 0');
    const noDecay = config.noDecay ?? (() => false);
    const entries = [...params].filter(([, p]) => p.trainable);
    this.names = entries.map(([n]) => n);
    this.params = entries.map(([, p]) => p);
    this.decay = this.names.map((n) => !noDecay(n));
    this.buf = this.params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
  }

  step(lossFn: () => tf.Scalar, lr: number): StepOutput {
    return stepWith(this, this.params, lossFn, lr);
  }

  applyGradients(grads: tf.NamedTensorMap, lr: number): tf.Scalar {
    return tf.tidy(() => {
      const gs = gradientsInOrder('Sgd', this.params, this.names, grads);
      this.stepCount += 1;
      const norm = globalNorm(gs);
      const scale = this.clipNorm === undefined ? undefined : clipScale(norm, this.clipNorm);
      gs.forEach((g0, i) => {
        const p = this.params[i]!, buf = this.buf[i]!;
        let g = scale ? tf.mul(g0, scale) : g0;
        // Decay after clipping, as PyTorch adds it inside the optimizer (clipping happens before).
        if (this.weightDecay > 0 && this.decay[i]) g = tf.add(g, tf.mul(p, this.weightDecay));
        const b1 = tf.add(tf.mul(buf, this.momentum), g);
        const update = this.nesterov ? tf.add(g, tf.mul(b1, this.momentum)) : b1;
        p.assign(tf.sub(p, tf.mul(update, lr)));
        buf.assign(b1);
      });
      return norm;
    });
  }

  /** Momentum buffers keyed "m.<param>" (live tensors: do not dispose). */
  stateTensors(): Record<string, tf.Tensor> {
    return Object.fromEntries(this.names.map((n, i) => [`m.${n}`, this.buf[i]!]));
  }

  loadState(tensors: Record<string, tf.Tensor>, stepCount: number): void {
    this.names.forEach((n, i) => {
      const t = tensors[`m.${n}`];
      const target = this.buf[i]!;
      if (!t) throw new Error(`Sgd.loadState: missing 'm.${n}'`);
      if (t.shape.join(',') !== target.shape.join(',')) {
        throw new Error(`Sgd.loadState: 'm.${n}' has shape [${t.shape}] but the parameter is [${target.shape}]`);
      }
      target.assign(t);
    });
    this.stepCount = stepCount;
  }

  dispose(): void {
    tf.dispose(this.buf);
  }
}
