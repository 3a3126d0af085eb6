import * as tf from '@tensorflow/tfjs-core';
import { Linear } from '../layers/linear.js';
import { Module } from '../layers/module.js';
import type { Rng } from '../random/rng.js';
import { applyModalityDropout, type ModalityKeep } from '../train/modality-dropout.js';
import { applyEncoder, modalityNames, type BatchOf, type EncoderRecord } from './encoder-record.js';

/** What the classifier needs of a fusion module (every module in fusion/ fits). */
export interface FusionLike extends Module {
  readonly outputDim: number;
  apply(inputs: Readonly<Record<string, tf.Tensor>>): tf.Tensor;
}

/** A head from the fused vector [B, D] to class logits [B, C]. */
export interface HeadLike extends Module {
  apply(x: tf.Tensor): tf.Tensor;
}

export interface FusionClassifierOptions<E extends EncoderRecord> {
  /** Built towers by modality name, each [B, D_m]; the fusion must expect exactly these modalities. */
  encoders: E;
  fusion: FusionLike;
  numClasses: number;
  /** Default: one linear layer from fusion.outputDim to numClasses. */
  head?: HeadLike;
}

export interface FusionClassifierRunOptions {
  /** Per-sample presence (see sampleModalityDropout): a dropped modality's features are zeroed before fusion. */
  keep?: ModalityKeep;
}

export interface FusionClassifierOutput {
  /** Mean softmax cross-entropy. */
  loss: tf.Scalar;
  logits: tf.Tensor2D; // [B, C]
  /** Fraction of rows whose arg-max is the label. */
  accuracy: tf.Scalar;
}

/**
 * Encoders, a fusion module and a classification head: the late/mid-fusion recipe of VQA-style
 * answer classification (Antol et al. 2015) and audio-visual event classification.
 */
export class FusionClassifier<E extends EncoderRecord = EncoderRecord> extends Module {
  readonly modalities: string[];
  readonly encoders: E;
  readonly fusion: FusionLike;
  readonly head: HeadLike;
  readonly numClasses: number;

  constructor(options: FusionClassifierOptions<E>, rng: Rng) {
    super();
    const { numClasses } = options;
    if (!Number.isInteger(numClasses) || numClasses < 2) throw new Error(`FusionClassifier: numClasses must be an integer >= 2, got ${numClasses}`);
    this.modalities = modalityNames('FusionClassifier', options.encoders, 1);
    this.encoders = options.encoders;
    for (const m of this.modalities) this.child(`encoders.${m}`, options.encoders[m]!);
    this.fusion = this.child('fusion', options.fusion);
    this.head = this.child('head', options.head ?? new Linear({ inFeatures: options.fusion.outputDim, outFeatures: numClasses }, rng));
    this.numClasses = numClasses;
  }

  /** Tower features [B, D_m] of one modality. */
  encode<M extends keyof E & string>(modality: M, input: NonNullable<BatchOf<E>[M]>): tf.Tensor2D {
    return applyEncoder('FusionClassifier', this.encoders, modality, input);
  }

  /** Tower features of every modality, [B, D_m] each; every modality of the model must be in the batch. */
  features(batch: BatchOf<E>): Record<string, tf.Tensor2D> {
    for (const m of this.modalities) {
      if (batch[m] === undefined) throw new Error(`FusionClassifier: missing modality '${m}' (expected: ${this.modalities.join(', ')}); to train without it, drop it with keep`);
    }
    for (const m of Object.keys(batch)) {
      if (!this.modalities.includes(m)) throw new Error(`FusionClassifier: batch has modality '${m}' without an encoder. Known: ${this.modalities.join(', ')}`);
    }
    return tf.tidy(() => Object.fromEntries(this.modalities.map((m) => [m, this.encode(m, batch[m] as never)])));
  }

  /** Fusion and head on tower features: logits [B, C]. */
  classify(features: Readonly<Record<string, tf.Tensor2D>>, options: FusionClassifierRunOptions = {}): tf.Tensor2D {
    return tf.tidy(() => {
      const kept = options.keep === undefined ? features : applyModalityDropout(features, options.keep);
      return this.head.apply(this.fusion.apply(kept)) as tf.Tensor2D; // [B, C]
    });
  }

  /** Class logits [B, C]. */
  apply(batch: BatchOf<E>, options: FusionClassifierRunOptions = {}): tf.Tensor2D {
    return tf.tidy(() => this.classify(this.features(batch), options));
  }

  /** Cross-entropy against integer labels [B] in [0, numClasses). */
  loss(batch: BatchOf<E>, labels: tf.Tensor1D, options: FusionClassifierRunOptions = {}): FusionClassifierOutput {
    if (labels.rank !== 1 || labels.dtype !== 'int32') throw new Error(`FusionClassifier.loss: labels must be int32 [B], got ${labels.dtype} [${labels.shape.join(', ')}]`);
    return tf.tidy(() => {
      const logits = this.apply(batch, options);
      if (logits.shape[0] !== labels.shape[0]) throw new Error(`FusionClassifier.loss: ${labels.shape[0]} labels for a batch of ${logits.shape[0]}`);
      const target = tf.oneHot(labels, this.numClasses); // [B, C]
      const loss = tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits, 1)), 1))) as tf.Scalar;
      const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar;
      return { loss, logits, accuracy };
    });
  }
}
