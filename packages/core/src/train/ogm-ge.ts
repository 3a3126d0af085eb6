import * as tf from '@tensorflow/tfjs-core';
import type { StepFunction } from './step-functions.js';

/** What OGM-GE needs of a classifier (FusionClassifier fits): tower features, and logits from any subset of them. */
export interface ModulatedClassifier<I> {
  readonly modalities: readonly string[];
  features(inputs: I): Record<string, tf.Tensor2D>;
  classify(features: Readonly<Record<string, tf.Tensor2D>>, options?: { keep?: Record<string, boolean[]> }): tf.Tensor2D;
}

export interface OgmGeOptions {
  /** Modulation strength alpha; 0.1 to 1 in the paper (0 turns modulation off). */
  alpha: number;
  /** Add Gaussian noise with each gradient's own std (the GE part); default true. */
  noise?: boolean;
  /** Dotted-name prefix of each modality's tower parameters; default `encoders.<m>.` as in FusionClassifier. */
  towerPrefix?: (modality: string) => string;
}

/**
 * OGM coefficients: with s_m the summed softmax probability of the label when only m is kept,
 * rho_m = s_m / mean_{n != m} s_n and k_m = 1 - tanh(alpha (rho_m - 1)) when rho_m > 1, else 1.
 * The dominant modality learns slower; the others are untouched (Peng et al. 2022).
 */
export function ogmCoefficients(scores: Readonly<Record<string, tf.Scalar>>, alpha: number): Record<string, tf.Scalar> {
  const names = Object.keys(scores).sort();
  if (names.length < 2) throw new Error(`ogmCoefficients: needs at least two modalities, got ${names.join(', ') || 'none'}`);
  if (!(alpha >= 0)) throw new Error(`ogmCoefficients: alpha must be >= 0, got ${alpha}`);
  return tf.tidy(() => {
    const out: Record<string, tf.Scalar> = {};
    for (const m of names) {
      const others = tf.div(tf.addN(names.filter((n) => n !== m).map((n) => scores[n]!)), names.length - 1);
      const rho = tf.div(scores[m]!, tf.maximum(others, 1e-12));
      out[m] = tf.where(tf.greater(rho, 1), tf.sub(1, tf.tanh(tf.mul(tf.sub(rho, 1), alpha))), tf.onesLike(rho)) as tf.Scalar;
    }
    return out;
  });
}

/**
 * A classification step with on-the-fly gradient modulation and generalisation enhancement
 * (OGM-GE, Peng et al. 2022, "Balanced Multimodal Learning via On-the-fly Gradient
 * Modulation"): each tower's gradient is scaled by its coefficient, then (GE) Gaussian noise with
 * the gradient's std is added. Unimodal logits keep one modality and zero the others, exact for
 * concatenation into a linear head and the usual approximation otherwise. Everything stays
 * in-graph; the noise is seeded from the trainer's Rng, so runs are reproducible.
 */
export function ogmGeStep<I>(model: ModulatedClassifier<I>, options: OgmGeOptions): StepFunction<{ inputs: I; labels: tf.Tensor1D }> {
  const prefix = options.towerPrefix ?? ((m: string) => `encoders.${m}.`);
  const noise = options.noise ?? true;
  return ({ inputs, labels }, ctx) => {
    const names = [...model.modalities].sort();
    let scores: Record<string, tf.Scalar> = {};
    const crossEntropy = (logits: tf.Tensor2D, target: tf.Tensor2D) => tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits, 1)), 1))) as tf.Scalar;
    const { value, grads } = tf.variableGrads(() => {
      const features = model.features(inputs);
      const logits = model.classify(features); // [B, C]
      const target = tf.oneHot(labels, logits.shape[1]) as tf.Tensor2D;
      // Scores without a tape path into the loss: they only set the coefficients.
      scores = tf.tidy(() => {
        const none = (m: string) => Object.fromEntries(names.filter((n) => n !== m).map((n) => [n, new Array<boolean>(labels.shape[0]).fill(false)]));
        return Object.fromEntries(names.map((m) => [m, tf.sum(tf.mul(tf.softmax(model.classify(features, { keep: none(m) }), 1), target))]));
      });
      for (const s of Object.values(scores)) tf.keep(s);
      return crossEntropy(logits, target);
    }, [...ctx.variables.values()]);
    const coefficients = ogmCoefficients(scores, options.alpha);
    const modulated: tf.NamedTensorMap = {};
    tf.tidy(() => {
      for (const [path, v] of ctx.variables) {
        const g = grads[v.name] ?? tf.zerosLike(v);
        const m = names.find((n) => path.startsWith(prefix(n)));
        let out = m === undefined ? tf.clone(g) : tf.mul(g, coefficients[m]!); // a clone: grads are disposed below
        if (m !== undefined && noise) {
          const std = tf.sqrt(tf.add(tf.moments(g).variance, 1e-16));
          out = tf.add(out, tf.mul(tf.randomNormal(g.shape, 0, 1, 'float32', ctx.rng.nextUint32()), std));
        }
        modulated[v.name] = tf.keep(out);
      }
    });
    tf.dispose(grads);
    try {
      const gradNorm = ctx.optimizer.applyGradients(modulated, ctx.lr);
      const metrics: Record<string, tf.Scalar> = {};
      for (const m of names) {
        metrics[`ogm/${m}`] = coefficients[m]!;
        metrics[`score/${m}`] = scores[m]!;
      }
      return { loss: value, gradNorm, metrics };
    } finally {
      tf.dispose(Object.values(modulated));
    }
  };
}
