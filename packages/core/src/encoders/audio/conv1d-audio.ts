import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { LayerNorm } from '../../layers/layer-norm.js';
import { Module, normalInit, zeros } from '../../layers/module.js';
import type { Rng } from '../../random/rng.js';
import type { AudioInput, Encoder } from '../encoder.js';

export const Conv1dAudioConfigSchema = z
  .object({
    kind: z.literal('conv1d-audio'),
    stemWidth: z.number().int().positive().default(32).describe('as the seed'),
    stemKernel: z.number().int().positive().default(400).describe('a learned filterbank over 25 ms at 16 kHz (the seed used 512 = 32 ms)'),
    stemStride: z.number().int().positive().default(160).describe('10 ms hop at 16 kHz, as the seed and the log-mel front end'),
    stageWidths: z.array(z.number().int().positive()).default([64, 128, 256]).describe('kernel-3 stride-2 stages as the seed; the last width is outputDim'),
  })
  .strict()
  .refine((c) => c.stemStride <= c.stemKernel, { message: 'stemStride above stemKernel skips samples', path: ['stemStride'] });
export type Conv1dAudioConfig = z.infer<typeof Conv1dAudioConfigSchema>;

/** conv1d ('same' padding) + LayerNorm over channels + ReLU on [B, T, C]. */
class Conv1dNormAct extends Module {
  private readonly filter: tf.Variable;
  private readonly bias: tf.Variable;
  private readonly norm: LayerNorm;

  constructor(inC: number, outC: number, readonly kernel: number, readonly stride: number, rng: Rng) {
    super();
    this.filter = this.param('filter', [kernel, inC, outC], normalInit(rng, Math.sqrt(2 / (kernel * inC)))); // He init for ReLU
    this.bias = this.param('bias', [outC], zeros);
    this.norm = this.child('norm', new LayerNorm(outC));
  }

  apply(x: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      // 'same': ceil(T / stride) outputs, window centred on t * stride (the seed's padding=160 for
      // kernel 512 centred frame t at t*160 + 96 and crashed below 192 samples).
      const y = tf.add(tf.conv1d(x, this.filter as tf.Tensor3D, this.stride, 'same'), this.bias); // [B, T', outC]
      return tf.relu(this.norm.apply(y)) as tf.Tensor3D;
    });
  }
}

/**
 * The seed's 1-D conv AudioEncoder on raw waveforms (as in wav2vec's feature encoder, Schneider
 * et al. 2019), with its bugs fixed: the waveform gets its channel axis, padding centres windows,
 * and BatchNorm becomes a LayerNorm over channels: BatchNorm mixes the items of a contrastive
 * batch (a shortcut the loss can exploit), differs between training and eval, needs running
 * statistics outside the optimizer, and fails at batch 1. Mean over time gives [B, C].
 */
export class Conv1dAudioEncoder extends Module implements Encoder<AudioInput> {
  readonly outputDim: number;
  private readonly layers: Conv1dNormAct[];

  constructor(readonly config: Conv1dAudioConfig, rng: Rng) {
    super();
    const { stemWidth, stemKernel, stemStride, stageWidths } = config;
    this.layers = [this.child('stem', new Conv1dNormAct(1, stemWidth, stemKernel, stemStride, rng))];
    let inC = stemWidth;
    stageWidths.forEach((w, i) => {
      this.layers.push(this.child(`stages.${i}`, new Conv1dNormAct(inC, w, 3, 2, rng)));
      inC = w;
    });
    this.outputDim = inC;
  }

  apply(waveform: AudioInput): tf.Tensor2D {
    const { stemKernel } = this.config;
    if (waveform.rank !== 2) {
      throw new Error(`Conv1dAudioEncoder: expected a waveform [B, samples], got [${waveform.shape.join(', ')}]; for log-mel input use kind 'ast'`);
    }
    const [b, samples] = waveform.shape as [number, number];
    if (samples < stemKernel) {
      throw new Error(`Conv1dAudioEncoder: waveform has ${samples} samples; needs at least stemKernel (${stemKernel})`);
    }
    return tf.tidy(() => {
      let x = tf.reshape(waveform, [b, samples, 1]) as tf.Tensor3D; // [B, T, 1]: the channel axis the seed forgot
      for (const layer of this.layers) x = layer.apply(x); // [B, T', C]
      return tf.mean(x, 1) as tf.Tensor2D; // [B, C]
    });
  }
}
