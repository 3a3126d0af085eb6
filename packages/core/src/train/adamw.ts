import './register-gradients.js';
import * as tf from '@tensorflow/tfjs-core';
import { clipScale, globalNorm } from './clip-grad.js';
import { gradientsInOrder, stepWith, type Optimizer, type StepOutput } from './optimizer.js';

export type { StepOutput } from './optimizer.js';

export interface AdamWConfig {
  beta1?: number; // 0.9
  beta2?: number; // 0.98 as in CLIP: steadier with large contrastive batches than 0.999
  eps?: number; // 1e-6 as in CLIP
  weightDecay?: number; // 0.2 as in CLIP
  /** Parameters whose name matches get no weight decay (norms, biases, the temperature, embeddings of positions/cls). */
  noDecay?: (name: string) => boolean;
  /** Clip gradients to this global L2 norm; undefined = no clipping. */
  clipNorm?: number;
}

export const defaultNoDecay = (name: string): boolean =>
  /(^|\.)(bias|logScale|cls)$/.test(name) || /(^|\.)(ln\w*|pos)\./.test(name);

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter 2019). It owns its moment variables,
 * named after the parameters, so checkpoints can save and restore them exactly.
 */
export class AdamW implements Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly clipNorm: number | undefined;
  private readonly names: string[];
  private readonly params: tf.Variable[];
  private readonly decay: boolean[];
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  /** Number of updates applied so far (for bias correction). */
  stepCount = 0;

  constructor(params: Map<string, tf.Variable>, config: AdamWConfig = {}) {
    this.beta1 = config.beta1 ?? 0.9;
    this.beta2 = config.beta2 ?? 0.98;
    this.eps = config.eps ?? 1e-6;
    this.weightDecay = config.weightDecay ?? 0.2;
    this.clipNorm = config.clipNorm;
    const noDecay = config.noDecay ?? defaultNoDecay;
    const entries = [...params].filter(([, p]) => p.trainable);
    this.names = entries.map(([n]) => n);
    this.params = entries.map(([, p]) => p);
    this.decay = this.names.map((n) => !noDecay(n));
    this.m = this.params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    this.v = this.params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
  }

  /** Names of the parameters that receive weight decay (for logging and tests). */
  decayedParameters(): string[] {
    return this.names.filter((_, i) => this.decay[i]);
  }

  /** One update. The caller disposes the returned scalars (read them asynchronously). */
  step(lossFn: () => tf.Scalar, lr: number): StepOutput {
    return stepWith(this, this.params, lossFn, lr);
  }

  /** One update from gradients keyed by variable name (as tf.variableGrads returns them); the caller keeps ownership of grads. */
  applyGradients(grads: tf.NamedTensorMap, lr: number): tf.Scalar {
    return tf.tidy(() => {
      const gs = gradientsInOrder('AdamW', this.params, this.names, grads);
      this.stepCount += 1;
      const t = this.stepCount;
      const norm = globalNorm(gs);
      const scale = this.clipNorm === undefined ? undefined : clipScale(norm, this.clipNorm);
      const c1 = 1 - Math.pow(this.beta1, t);
      const c2 = 1 - Math.pow(this.beta2, t);
      gs.forEach((g0, i) => {
        const p = this.params[i]!, m = this.m[i]!, v = this.v[i]!;
        const g = scale ? tf.mul(g0, scale) : g0;
        const m1 = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const v1 = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        const update = tf.div(tf.div(m1, c1), tf.add(tf.sqrt(tf.div(v1, c2)), this.eps));
        const decayed = this.decay[i] ? tf.mul(p, 1 - lr * this.weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
        m.assign(m1);
        v.assign(v1);
      });
      return norm;
    });
  }

  /** Moment tensors keyed "m.<param>" / "v.<param>", for checkpoints (not copies: do not dispose). */
  stateTensors(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    this.names.forEach((n, i) => {
      out[`m.${n}`] = this.m[i]!;
      out[`v.${n}`] = this.v[i]!;
    });
    return out;
  }

  /** Restores moments saved by stateTensors; every parameter must be present with its shape. */
  loadState(tensors: Record<string, tf.Tensor>, stepCount: number): void {
    this.names.forEach((n, i) => {
      for (const [kind, vars] of [['m', this.m], ['v', this.v]] as const) {
        const t = tensors[`${kind}.${n}`];
        const target = vars[i]!;
        if (!t) throw new Error(`AdamW.loadState: missing '${kind}.${n}'`);
        if (t.shape.join(',') !== target.shape.join(',')) {
          throw new Error(`AdamW.loadState: '${kind}.${n}' has shape [${t.shape}] but the parameter is [${target.shape}]`);
        }
        target.assign(t);
      }
    });
    this.stepCount = stepCount;
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
