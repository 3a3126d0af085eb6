import * as tf from '@tensorflow/tfjs-core';
import type { TextInput } from '../encoders/encoder.js';
import { Module } from '../layers/module.js';
import type { CaptionDecoder } from './caption-decoder.js';

/** An image tower giving tokens [B, N, D] (or one pooled vector [B, D], used as a single token). */
export interface ImageTower extends Module {
  readonly outputDim: number;
  apply(images: tf.Tensor4D): tf.Tensor;
}

export interface CaptionerOptions {
  image: ImageTower;
  decoder: CaptionDecoder;
  /** Token id that starts every caption (fed, never predicted). */
  bos: number;
  /** Token id that ends a caption: decoding stops when it is produced. */
  eot: number;
}

export interface CaptionerLossOutput {
  /** Mean cross-entropy over the real target tokens. */
  loss: tf.Scalar;
  logits: tf.Tensor3D; // [B, T-1, V]
}

export interface DecodeOptions {
  /** Most tokens to generate, EOT included; default and maximum: the decoder's contextLength. */
  maxLength?: number;
}

export interface BeamOptions extends DecodeOptions {
  beamSize: number;
  /** Score = log p / length^alpha (Wu et al. 2016); 0 (the default) ranks by log p alone. */
  lengthPenalty?: number;
}

export interface Caption {
  /** Generated ids, without BOS and EOT. */
  tokens: number[];
  /** Sum of log-probabilities of the generated ids (EOT included). */
  logProb: number;
}

/**
 * An image-conditioned transformer decoder (Show, Attend and Tell, Xu et al. 2015, in the
 * transformer form of CoCa's captioning head, Yu et al. 2022): trained with teacher forcing,
 * decoded greedily or by beam search up to a length limit or EOT.
 */
export class Captioner extends Module {
  readonly image: ImageTower;
  readonly decoder: CaptionDecoder;
  readonly bos: number;
  readonly eot: number;

  constructor(options: CaptionerOptions) {
    super();
    const { image, decoder, bos, eot } = options;
    const { vocabSize, contextDim } = decoder.config;
    if (image.outputDim !== contextDim) throw new Error(`Captioner: image tower outputDim ${image.outputDim} must equal the decoder's contextDim ${contextDim}`);
    for (const [name, id] of [['bos', bos], ['eot', eot]] as const) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new Error(`Captioner: ${name} must be a token id in [0, ${vocabSize}), got ${id}`);
    }
    this.image = this.child('image', image);
    this.decoder = this.child('decoder', decoder);
    this.bos = bos;
    this.eot = eot;
  }

  /** Image tokens [B, N, D] that the decoder attends to. */
  encode(modality: 'image', images: tf.Tensor4D): tf.Tensor3D {
    if (modality !== 'image') throw new Error(`Captioner.encode: unknown modality '${String(modality)}'. Known: image`);
    return tf.tidy(() => {
      const out = this.image.apply(images);
      if (out.rank === 2) return tf.expandDims(out, 1) as tf.Tensor3D; // [B, 1, D]
      if (out.rank === 3) return out as tf.Tensor3D;
      throw new Error(`Captioner: the image tower must return [B, D] or [B, N, D], got [${out.shape.join(', ')}]`);
    });
  }

  /**
   * Teacher forcing: text.ids are [B, T] captions starting with BOS and ending with EOT (then
   * padding), mask 1 on real tokens; position t predicts token t + 1.
   */
  loss(batch: { image: tf.Tensor4D; text: TextInput }): CaptionerLossOutput {
    const { ids, mask } = batch.text;
    const [b, t] = ids.shape;
    if (ids.rank !== 2 || t < 2) throw new Error(`Captioner.loss: text ids must be [B, T>=2] (BOS, ..., EOT), got [${ids.shape.join(', ')}]`);
    if (mask.shape[0] !== b || mask.shape[1] !== t) throw new Error(`Captioner.loss: mask [${mask.shape.join(', ')}] does not match ids [${ids.shape.join(', ')}]`);
    if (batch.image.shape[0] !== b) throw new Error(`Captioner.loss: ${batch.image.shape[0]} images for ${b} captions`);
    return tf.tidy(() => {
      const context = this.encode('image', batch.image); // [B, N, D]
      const inputs = tf.slice(ids, [0, 0], [b, t - 1]) as tf.Tensor2D; // [B, T-1]
      const targets = tf.slice(ids, [0, 1], [b, t - 1]) as tf.Tensor2D; // [B, T-1]
      const weights = tf.cast(tf.slice(mask, [0, 1], [b, t - 1]), 'float32'); // [B, T-1]
      const logits = this.decoder.apply(inputs, context); // [B, T-1, V]
      const logp = tf.logSoftmax(logits, -1);
      const picked = tf.sum(tf.mul(logp, tf.oneHot(targets, this.decoder.config.vocabSize)), -1); // [B, T-1]
      const loss = tf.div(tf.neg(tf.sum(tf.mul(picked, weights))), tf.maximum(tf.sum(weights), 1)) as tf.Scalar;
      return { loss, logits };
    });
  }

  private maxLength(options: DecodeOptions): number {
    const limit = this.decoder.config.contextLength;
    const n = options.maxLength ?? limit;
    if (!Number.isInteger(n) || n < 1 || n > limit) throw new Error(`Captioner: maxLength must be an integer in [1, ${limit}] (the decoder's contextLength), got ${n}`);
    return n;
  }

  /** Log-probabilities of the next token [rows, V] after each prefix (BOS prepended), for one shared context row set. */
  private nextLogProbs(prefixes: number[][], context: tf.Tensor3D): number[][] {
    return tf.tidy(() => {
      const t = prefixes[0]!.length + 1;
      const ids = tf.tensor2d(prefixes.map((p) => [this.bos, ...p]), [prefixes.length, t], 'int32');
      const logits = this.decoder.apply(ids, context); // [R, t, V]
      const last = tf.squeeze(tf.slice(logits, [0, t - 1, 0], [prefixes.length, 1, -1]), [1]); // [R, V]
      return tf.logSoftmax(last, -1).arraySync() as number[][];
    });
  }

  /** Arg-max decoding of each image until EOT or maxLength tokens. */
  greedy(images: tf.Tensor4D, options: DecodeOptions = {}): Caption[] {
    const maxLength = this.maxLength(options);
    const context = this.encode('image', images); // [B, N, D]
    try {
      const b = images.shape[0];
      const out: Caption[] = Array.from({ length: b }, () => ({ tokens: [], logProb: 0 }));
      const prefixes: number[][] = Array.from({ length: b }, () => []);
      const done = new Array<boolean>(b).fill(false);
      for (let step = 0; step < maxLength && done.includes(false); step++) {
        const logp = this.nextLogProbs(prefixes, context);
        logp.forEach((row, i) => {
          if (done[i]) {
            prefixes[i]!.push(this.eot); // keeps the batch rectangular; never read
            return;
          }
          const tok = argMax(row);
          out[i]!.logProb += row[tok]!;
          prefixes[i]!.push(tok);
          if (tok === this.eot) done[i] = true;
          else out[i]!.tokens.push(tok);
        });
      }
      return out;
    } finally {
      context.dispose();
    }
  }

  /** Beam search per image; the best finished (or, at the limit, unfinished) hypothesis. Beam 1 is greedy decoding. */
  beamSearch(images: tf.Tensor4D, options: BeamOptions): Caption[] {
    const { beamSize } = options;
    const alpha = options.lengthPenalty ?? 0;
    if (!Number.isInteger(beamSize) || beamSize < 1) throw new Error(`Captioner.beamSearch: beamSize must be a positive integer, got ${beamSize}`);
    const maxLength = this.maxLength(options);
    const context = this.encode('image', images);
    const score = (h: Hypothesis) => (alpha === 0 ? h.logProb : h.logProb / Math.pow(h.ids.length, alpha));
    try {
      return Array.from({ length: images.shape[0] }, (_, i) => {
        const own = tf.slice(context, [i, 0, 0], [1, -1, -1]);
        try {
          let beams: Hypothesis[] = [{ ids: [], logProb: 0, done: false }];
          for (let step = 0; step < maxLength && beams.some((h) => !h.done); step++) {
            const alive = beams.filter((h) => !h.done);
            const ctx = tf.tile(own, [alive.length, 1, 1]) as tf.Tensor3D; // [A, N, D]
            const logp = this.nextLogProbs(alive.map((h) => h.ids), ctx);
            ctx.dispose();
            const candidates = beams.filter((h) => h.done);
            alive.forEach((h, a) => {
              for (const tok of topK(logp[a]!, beamSize)) {
                candidates.push({ ids: [...h.ids, tok], logProb: h.logProb + logp[a]![tok]!, done: tok === this.eot });
              }
            });
            // Stable sort: among equal scores the earlier (lower token id, older beam) wins, as arg-max does.
            beams = candidates.map((h, k) => ({ h, k })).sort((x, y) => score(y.h) - score(x.h) || x.k - y.k).slice(0, beamSize).map(({ h }) => h);
          }
          const best = beams[0]!;
          return { tokens: best.done ? best.ids.slice(0, -1) : best.ids, logProb: best.logProb };
        } finally {
          own.dispose();
        }
      });
    } finally {
      context.dispose();
    }
  }
}

interface Hypothesis {
  ids: number[];
  logProb: number;
  done: boolean;
}

function argMax(row: number[]): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j]! > row[best]!) best = j;
  return best;
}

/** Indices of the k largest values, largest first; ties go to the lower index. */
function topK(row: number[], k: number): number[] {
  return row
    .map((v, j) => [v, j] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, j]) => j);
}
