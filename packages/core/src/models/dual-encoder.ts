import * as tf from '@tensorflow/tfjs-core';
import type { Encoder, ModalityInputs, TextInput } from '../encoders/encoder.js';
import { Linear } from '../layers/linear.js';
import { Module } from '../layers/module.js';
import type { LogitScaleConfig } from '../losses/clip-loss.js';
import type { ContrastiveLoss } from '../losses/contrastive-loss.js';
import { InfoNceLoss } from '../losses/info-nce.js';
import type { Rng } from '../random/rng.js';

export interface DualEncoderOptions {
  encoders: { image: Encoder<tf.Tensor4D>; text: Encoder<TextInput> };
  /** Width of the shared space. */
  embedDim: number;
  /** The training objective; default symmetric InfoNCE with a learnable temperature (CLIP). */
  loss?: ContrastiveLoss;
  /** Temperature settings of the default InfoNCE loss (ignored when `loss` is given). */
  logitScale?: LogitScaleConfig;
}

/** L2-normalise rows; eps keeps a zero vector finite. */
export function l2Normalize(x: tf.Tensor2D, eps = 1e-12): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), -1, true), eps))) as tf.Tensor2D);
}

/**
 * CLIP-style dual encoder (Radford et al. 2021): two built towers, bias-free projections into a
 * shared space, L2 normalisation, and a contrastive loss module that owns its temperature
 * (InfoNCE by default; SigLIP or a regularised variant by composition).
 */
export class DualEncoder extends Module {
  readonly image: Encoder<tf.Tensor4D>;
  readonly text: Encoder<TextInput>;
  readonly imageProjection: Linear;
  readonly textProjection: Linear;
  readonly contrastive: ContrastiveLoss;

  constructor(options: DualEncoderOptions, rng: Rng) {
    super();
    const { encoders, embedDim } = options;
    this.image = this.child('image', encoders.image);
    this.text = this.child('text', encoders.text);
    this.imageProjection = this.child('imageProjection', new Linear({ inFeatures: encoders.image.outputDim, outFeatures: embedDim, bias: false }, rng));
    this.textProjection = this.child('textProjection', new Linear({ inFeatures: encoders.text.outputDim, outFeatures: embedDim, bias: false }, rng));
    this.contrastive = this.child('loss', options.loss ?? new InfoNceLoss(options.logitScale));
  }

  /** L2-normalised embeddings [B, embedDim] of one modality. */
  encode<M extends keyof ModalityInputs>(modality: M, input: ModalityInputs[M]): tf.Tensor2D {
    return tf.tidy(() => {
      if (modality === 'image') return l2Normalize(this.imageProjection.apply(this.image.apply(input as tf.Tensor4D)) as tf.Tensor2D);
      if (modality === 'text') return l2Normalize(this.textProjection.apply(this.text.apply(input as TextInput)) as tf.Tensor2D);
      throw new Error(`DualEncoder.encode: unknown modality '${String(modality)}'. Known: image, text`);
    });
  }

  /** The contrastive loss of a batch of matching (image, text) pairs. */
  loss(batch: Pick<ModalityInputs, 'image' | 'text'>): { loss: tf.Scalar } {
    return tf.tidy(() => this.contrastive.apply(this.encode('image', batch.image), this.encode('text', batch.text)) as unknown as tf.TensorContainer) as unknown as { loss: tf.Scalar };
  }

  /** The multiplier of cosine similarities (1 / temperature). */
  scale(): tf.Scalar {
    return this.contrastive.scale();
  }

  /** Called after each optimizer step. */
  afterStep(): void {
    this.contrastive.afterStep();
  }
}
