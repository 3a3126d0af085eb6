import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../layers/module.js';
import { LogitScale, type LogitScaleConfig } from './clip-loss.js';
import { infoNce } from './info-nce.js';

/** L2-normalised [B, E] embeddings by modality name; an absent (or undefined) key is a dropped modality. */
export type BindingEmbeddings = Readonly<Record<string, tf.Tensor2D | undefined>>;

export interface BindingLossOptions {
  /**
   * ImageBind-style anchor: only (anchor, other) pairs are scored, and the anchor must be
   * present. Without one, every pair of present modalities is scored.
   */
  anchor?: string;
  /** 'mean' keeps the scale independent of how many modalities a batch has; 'sum' is ImageBind's. */
  reduction?: 'mean' | 'sum';
}

export interface BindingLossOutput {
  loss: tf.Scalar;
  /** Symmetric InfoNCE of each scored pair, keyed "first:second" in the order they were visited. */
  pairs: Record<string, tf.Scalar>;
}

/** The pairs a batch scores, in sorted order; throws naming a missing or mis-shaped modality. */
export function bindingPairs(embeddings: BindingEmbeddings, anchor?: string): Array<[string, string]> {
  const present = Object.keys(embeddings)
    .filter((m) => embeddings[m] !== undefined)
    .sort();
  const first = present[0];
  if (first === undefined || present.length < 2) {
    throw new Error(`bindingLoss: needs at least two modalities present, got ${present.length === 0 ? 'none' : present.join(', ')}`);
  }
  const ref = embeddings[first]!;
  for (const m of present) {
    const x = embeddings[m]!;
    if (x.rank !== 2 || x.shape[0] !== ref.shape[0] || x.shape[1] !== ref.shape[1]) {
      throw new Error(`bindingLoss: modality '${m}' must be [B, E] = [${ref.shape.join(', ')}] like '${first}', got [${x.shape.join(', ')}]`);
    }
  }
  if (anchor !== undefined) {
    if (!present.includes(anchor)) throw new Error(`bindingLoss: anchor modality '${anchor}' is missing; present: ${present.join(', ')}`);
    return present.filter((m) => m !== anchor).map((m) => [anchor, m]);
  }
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < present.length; i++) {
    for (let j = i + 1; j < present.length; j++) pairs.push([present[i]!, present[j]!]);
  }
  return pairs;
}

/**
 * Multi-modal binding loss (Girdhar et al. 2023, ImageBind): InfoNCE over modality pairs.
 *
 * Symmetric InfoNCE over the modality pairs present in the batch, either every pair with an
 * anchor modality or all pairs, visited in sorted order of modality names so the result does not
 * depend on the record's key order.
 */
export function bindingLoss(embeddings: BindingEmbeddings, logitScale: tf.Scalar | number, options: BindingLossOptions = {}): BindingLossOutput {
  const reduction = options.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum') throw new Error(`bindingLoss: reduction must be 'mean' or 'sum', got '${String(reduction)}'`);
  const pairs = bindingPairs(embeddings, options.anchor);
  return tf.tidy(() => {
    const losses: Record<string, tf.Scalar> = {};
    for (const [m, n] of pairs) {
      losses[`${m}:${n}`] = infoNce(embeddings[m]!, embeddings[n]!, logitScale).loss;
    }
    const total = tf.addN(Object.values(losses));
    const loss = (reduction === 'mean' ? tf.div(total, pairs.length) : total) as tf.Scalar;
    return { loss, pairs: losses };
  });
}

/** The binding loss with one learnable temperature shared by all pairs (a thin owner of a LogitScale). */
export class BindingLoss extends Module {
  readonly logitScale: LogitScale;
  readonly options: BindingLossOptions;

  constructor(options: BindingLossOptions = {}, scale: LogitScaleConfig = {}) {
    super();
    this.options = { ...options };
    this.logitScale = this.child('logitScale', new LogitScale(scale));
  }

  apply(embeddings: BindingEmbeddings): BindingLossOutput {
    return tf.tidy(() => bindingLoss(embeddings, this.logitScale.value(), this.options) as unknown as tf.TensorContainer) as unknown as BindingLossOutput;
  }

  /** Call after each optimizer step: CLIP's clamp of the temperature. */
  afterStep(): void {
    this.logitScale.clamp();
  }
}
