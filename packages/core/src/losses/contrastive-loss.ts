import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../layers/module.js';
import { uniformityLoss } from './align-uniform-loss.js';
import type { LogitScaleConfig } from './clip-loss.js';
import { InfoNceLoss } from './info-nce.js';
import { SigLipLoss, type SigLipLossConfig } from './siglip-loss.js';

/** A loss on paired, L2-normalised embeddings [B, E] that owns its learnable scale (and bias). */
export interface ContrastiveLoss extends Module {
  apply(a: tf.Tensor2D, b: tf.Tensor2D): { loss: tf.Scalar };
  /** Called after each optimizer step (clamps). */
  afterStep(): void;
  /** The multiplier of cosine similarities, for logging (1 / temperature). */
  scale(): tf.Scalar;
}

/**
 * A contrastive loss plus weight x the mean uniformity loss of both sides (Wang & Isola 2020):
 * the "InfoNCE + uniformity" arm of a loss ablation.
 */
export class WithUniformity extends Module implements ContrastiveLoss {
  readonly base: ContrastiveLoss;

  constructor(base: ContrastiveLoss, readonly weight: number, readonly t = 2) {
    super();
    if (!(weight >= 0) || !Number.isFinite(weight)) throw new Error(`WithUniformity: weight must be a finite number >= 0, got ${weight}`);
    this.base = this.child('base', base);
  }

  apply(a: tf.Tensor2D, b: tf.Tensor2D): { loss: tf.Scalar } {
    return tf.tidy(() => {
      const { loss } = this.base.apply(a, b);
      const uniform = tf.mul(0.5, tf.add(uniformityLoss(a, this.t), uniformityLoss(b, this.t)));
      return { loss: tf.add(loss, tf.mul(this.weight, uniform)) as tf.Scalar };
    });
  }

  afterStep(): void {
    this.base.afterStep();
  }

  scale(): tf.Scalar {
    return this.base.scale();
  }
}

export type ContrastiveLossKind = 'infonce' | 'siglip' | 'infonce+uniformity';

export interface ContrastiveLossConfig {
  kind: ContrastiveLossKind;
  /** InfoNCE temperature: init and clamp of the logit scale; learnable by default. */
  logitScale?: LogitScaleConfig;
  siglip?: SigLipLossConfig;
  /** Weight of the uniformity term for 'infonce+uniformity'. */
  uniformityWeight?: number;
}

const LOSSES = {
  infonce: (c) => new InfoNceLoss(c.logitScale),
  siglip: (c) => new SigLipLoss(c.siglip),
  'infonce+uniformity': (c) => new WithUniformity(new InfoNceLoss(c.logitScale), c.uniformityWeight ?? 0.1),
} satisfies Record<ContrastiveLossKind, (c: ContrastiveLossConfig) => ContrastiveLoss>;

/** Builds a contrastive loss by kind; a miss lists the registered kinds. */
export function createContrastiveLoss(config: ContrastiveLossConfig): ContrastiveLoss {
  const build = (LOSSES as Record<string, (c: ContrastiveLossConfig) => ContrastiveLoss>)[config.kind];
  if (!build) throw new Error(`Unknown contrastive loss '${String(config.kind)}'. Registered: ${Object.keys(LOSSES).join(', ')}`);
  return build(config);
}
