import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';
import { groupGradNorms } from './clip-grad.js';
import { gradCacheGradients, type GradCacheOptions } from './grad-cache.js';
import type { Optimizer } from './optimizer.js';

export interface StepContext {
  /** 0-based index of this step. */
  step: number;
  lr: number;
  optimizer: Optimizer;
  /** The model's trainable variables by dotted path. */
  variables: ReadonlyMap<string, tf.Variable>;
  /** The trainer's seeded stream (modality dropout, sampling), saved in its state. */
  rng: Rng;
}

export interface StepResult {
  loss: tf.Scalar;
  /** Global norm before clipping. */
  gradNorm?: tf.Scalar;
  /** Extra scalars to log, read only at log steps. */
  metrics?: Record<string, tf.Scalar>;
}

/** One optimisation step on one batch: computes gradients and applies them through ctx.optimizer. */
export type StepFunction<B> = (batch: B, ctx: StepContext) => StepResult;

/** What a loss function may return: a scalar, or a record with `loss` and named scalar metrics. */
export type LossFunctionOutput = tf.Scalar | { loss: tf.Scalar; metrics?: Record<string, tf.Scalar> };

export interface LossStepOptions {
  /**
   * Also log the gradient norm of each group of parameters as "gradNorm/<group>", the input of
   * collapse diagnostics. true: groups by the first part of the path; 'modality': by the tower of
   * a multi-modal model (see modalityOfParameter); a function: path -> group (undefined: none).
   */
  groupGradNorms?: boolean | 'modality' | ((path: string) => string | undefined);
  /**
   * Compute the group norms only on the steps whose metrics a Trainer with this logEvery reads
   * (a few hundred small kernels per step that nobody reads otherwise); default every step.
   */
  metricsEvery?: number;
}

/**
 * The modality a parameter of a multi-modal model serves: MultiEncoder and FusionClassifier keep
 * towers under encoders.<m> and projections.<m>; anything else (fusion, head, temperature) is none.
 */
export function modalityOfParameter(path: string): string | undefined {
  return /^(?:encoders|projections)\.([^.]+)/.exec(path)?.[1];
}

/**
 * Zero gradients for variables the loss did not reach: a tower whose modality is absent from a
 * batch (or dropped from every row). PyTorch would skip such a parameter; a zero keeps one
 * optimizer step count for all, at the price that momentum still carries the absent tower.
 */
function fillMissing(variables: ReadonlyMap<string, tf.Variable>, grads: tf.NamedTensorMap): tf.NamedTensorMap {
  for (const v of variables.values()) if (grads[v.name] === undefined) grads[v.name] = tf.zerosLike(v);
  return grads;
}

function gradientsOf(variables: ReadonlyMap<string, tf.Variable>, f: () => tf.Scalar): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const { value, grads } = tf.variableGrads(f, [...variables.values()]);
  return { value, grads: fillMissing(variables, grads) };
}

function withGroupNorms(metrics: Record<string, tf.Scalar>, grads: tf.NamedTensorMap, ctx: StepContext, options: LossStepOptions): void {
  const { groupGradNorms: grouping, metricsEvery } = options;
  if (grouping === undefined || grouping === false) return;
  if (metricsEvery !== undefined && (ctx.step + 1) % metricsEvery !== 0) return;
  const groupOf = grouping === true ? (path: string) => path.split('.')[0] : grouping === 'modality' ? modalityOfParameter : grouping;
  const byVarName = new Map<string, string>();
  for (const [path, v] of ctx.variables) {
    const group = groupOf(path);
    if (group !== undefined) byVarName.set(v.name, group);
  }
  // The names are the groups already: keep them whole.
  for (const [group, norm] of Object.entries(groupGradNorms(grads, byVarName, Number.POSITIVE_INFINITY))) metrics[`gradNorm/${group}`] = norm;
}

/** The plain step: differentiate lossFn over the model's trainable variables and apply the update. */
export function lossStep<B>(lossFn: (batch: B, ctx: StepContext) => LossFunctionOutput, options: LossStepOptions = {}): StepFunction<B> {
  return (batch, ctx) => {
    let metrics: Record<string, tf.Scalar> = {};
    const { value, grads } = gradientsOf(ctx.variables, () => {
      const out = lossFn(batch, ctx);
      if (out instanceof tf.Tensor) return out;
      metrics = { ...(out.metrics ?? {}) };
      for (const t of Object.values(metrics)) tf.keep(t); // survive the gradient's tidy; disposed by the trainer
      return out.loss;
    });
    try {
      withGroupNorms(metrics, grads, ctx, options);
      return { loss: value, gradNorm: ctx.optimizer.applyGradients(grads, ctx.lr), metrics };
    } finally {
      tf.dispose(grads);
    }
  };
}

/** A GradCache step: exact full-batch contrastive gradients in `chunks` pieces (see gradCacheGradients). */
export function gradCacheStep<B>(options: GradCacheOptions<B> & LossStepOptions): StepFunction<B> {
  return (batch, ctx) => {
    const { loss, grads: reached } = gradCacheGradients(batch, [...ctx.variables.values()], options);
    const grads = fillMissing(ctx.variables, reached);
    try {
      const metrics: Record<string, tf.Scalar> = {};
      withGroupNorms(metrics, grads, ctx, options);
      return { loss, gradNorm: ctx.optimizer.applyGradients(grads, ctx.lr), metrics };
    } finally {
      tf.dispose(grads);
    }
  };
}
