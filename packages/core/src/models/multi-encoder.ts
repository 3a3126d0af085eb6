import * as tf from '@tensorflow/tfjs-core';
import { Linear } from '../layers/linear.js';
import { Module } from '../layers/module.js';
import { BindingLoss, bindingPairs, type BindingEmbeddings, type BindingLossOutput } from '../losses/binding-loss.js';
import { infoNce } from '../losses/info-nce.js';
import type { Rng } from '../random/rng.js';
import type { ModalityKeep } from '../train/modality-dropout.js';
import { l2Normalize } from './dual-encoder.js';
import { applyEncoder, modalityNames, type BatchOf, type EncoderRecord } from './encoder-record.js';

export interface MultiEncoderOptions<E extends EncoderRecord> {
  /** Built towers by modality name; each maps its batch to [B, outputDim]. */
  encoders: E;
  /** Width of the shared space. */
  embedDim: number;
  /** The binding loss: with an anchor (ImageBind) or over all pairs (pairwise InfoNCE); all pairs by default. */
  loss?: BindingLoss;
}

export interface MultiEncoderLossOptions {
  /** Per-sample presence (see sampleModalityDropout); a pair scores only the rows where both are kept. */
  keep?: ModalityKeep;
}

/**
 * N towers bound into one space (Girdhar et al. 2023, ImageBind): bias-free projections, L2
 * normalisation, and the binding loss over the modalities present in a batch (any subset of
 * two or more).
 */
export class MultiEncoder<E extends EncoderRecord = EncoderRecord> extends Module {
  readonly modalities: string[];
  readonly encoders: E;
  readonly projections: Readonly<Record<string, Linear>>;
  readonly bindingLoss: BindingLoss;

  constructor(options: MultiEncoderOptions<E>, rng: Rng) {
    super();
    this.modalities = modalityNames('MultiEncoder', options.encoders, 2);
    this.encoders = options.encoders;
    const projections: Record<string, Linear> = {};
    for (const m of this.modalities) {
      const enc = this.child(`encoders.${m}`, options.encoders[m]!);
      projections[m] = this.child(`projections.${m}`, new Linear({ inFeatures: enc.outputDim, outFeatures: options.embedDim, bias: false }, rng));
    }
    this.projections = projections;
    this.bindingLoss = this.child('loss', options.loss ?? new BindingLoss());
  }

  /** L2-normalised embeddings [B, embedDim] of one modality. */
  encode<M extends keyof E & string>(modality: M, input: NonNullable<BatchOf<E>[M]>): tf.Tensor2D {
    return tf.tidy(() => {
      const features = applyEncoder('MultiEncoder', this.encoders, modality, input); // [B, D_m]
      return l2Normalize(this.projections[modality]!.apply(features) as tf.Tensor2D); // [B, E]
    });
  }

  /** Embeddings of every modality present in the batch; throws naming a modality without a tower. */
  encodeBatch(batch: BatchOf<E>): Record<string, tf.Tensor2D> {
    for (const m of Object.keys(batch)) {
      if (!this.modalities.includes(m)) throw new Error(`MultiEncoder: batch has modality '${m}' without an encoder. Known: ${this.modalities.join(', ')}`);
    }
    return tf.tidy(() => {
      const out: Record<string, tf.Tensor2D> = {};
      for (const m of this.modalities) {
        const input = batch[m];
        if (input !== undefined) out[m] = this.encode(m, input as never);
      }
      return out;
    });
  }

  /** The binding loss of precomputed embeddings (GradCache computes them in chunks). */
  lossFromEmbeddings(embeddings: BindingEmbeddings, options: MultiEncoderLossOptions = {}): BindingLossOutput {
    const keep = options.keep;
    if (keep === undefined) return this.bindingLoss.apply(embeddings);
    const { anchor, reduction } = this.bindingLoss.options;
    const pairs = bindingPairs(embeddings, anchor);
    return tf.tidy(() => {
      const scale = this.bindingLoss.logitScale.value();
      const losses: Record<string, tf.Scalar> = {};
      for (const [m, n] of pairs) {
        const a = embeddings[m]!, b = embeddings[n]!;
        const rows = Array.from({ length: a.shape[0] }, (_, i) => i).filter((i) => keep[m]?.[i] !== false && keep[n]?.[i] !== false);
        if (rows.length === a.shape[0]) {
          losses[`${m}:${n}`] = infoNce(a, b, scale).loss;
        } else if (rows.length >= 2) {
          // Dropped rows are neither positives nor negatives of this pair.
          const idx = tf.tensor1d(rows, 'int32');
          losses[`${m}:${n}`] = infoNce(tf.gather(a, idx), tf.gather(b, idx), scale).loss;
        }
      }
      const scored = Object.values(losses);
      if (scored.length === 0) {
        // Nothing left to contrast: a zero still connected to every tower, so every gradient exists (and is 0).
        const zero = tf.mul(tf.addN(pairs.flatMap(([m, n]) => [tf.sum(embeddings[m]!), tf.sum(embeddings[n]!)])), 0);
        return { loss: tf.add(zero, tf.mul(scale, 0)) as tf.Scalar, pairs: losses };
      }
      const total = tf.addN(scored);
      return { loss: (reduction === 'sum' ? total : tf.div(total, scored.length)) as tf.Scalar, pairs: losses };
    });
  }

  /** The binding loss of a batch of aligned items (row i of every modality is one item). */
  loss(batch: BatchOf<E>, options: MultiEncoderLossOptions = {}): BindingLossOutput {
    return tf.tidy(() => {
      const embeddings = this.encodeBatch(batch);
      return this.lossFromEmbeddings(embeddings, options) as unknown as tf.TensorContainer;
    }) as unknown as BindingLossOutput;
  }

  afterStep(): void {
    this.bindingLoss.afterStep();
  }
}
