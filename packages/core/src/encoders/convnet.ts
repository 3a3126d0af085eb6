import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { LayerNorm } from '../layers/layer-norm.js';
import { Module, normalInit, zeros } from '../layers/module.js';
import type { Rng } from '../random/rng.js';
import type { Encoder } from './encoder.js';

export const ConvNetConfigSchema = z
  .object({
    kind: z.literal('convnet'),
    channels: z.number().int().positive().default(3),
    stemWidth: z.number().int().positive().describe('channels after the stem; 16 is enough for 32 px emoji'),
    stemPatch: z.number().int().positive().default(4).describe('stem kernel = stride (patchify, the seed used 16 at 224 px); 4 at 32 px leaves an 8x8 map'),
    stageWidths: z.array(z.number().int().positive()).default([32, 64]).describe('one 3x3 stride-2 conv per stage, as the seed; the last width is outputDim'),
  })
  .strict();
export type ConvNetConfig = z.infer<typeof ConvNetConfigSchema>;

/** A conv + channel LayerNorm + ReLU, NHWC. */
class ConvNormAct extends Module {
  private readonly filter: tf.Variable;
  private readonly bias: tf.Variable;
  private readonly norm: LayerNorm;

  constructor(readonly inC: number, readonly outC: number, readonly kernel: number, readonly stride: number, rng: Rng) {
    super();
    // He init for ReLU: std sqrt(2 / fan_in).
    this.filter = this.param('filter', [kernel, kernel, inC, outC], normalInit(rng, Math.sqrt(2 / (kernel * kernel * inC))));
    this.bias = this.param('bias', [outC], zeros);
    this.norm = this.child('norm', new LayerNorm(outC));
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      // 'valid' for the patchify stem (kernel = stride), 'same' (ceil(H / stride)) for 3x3 stages.
      const pad = this.kernel === this.stride ? 'valid' : 'same';
      const y = tf.add(tf.conv2d(x, this.filter as tf.Tensor4D, this.stride, pad), this.bias); // [B, H', W', outC]
      return tf.relu(this.norm.apply(y)) as tf.Tensor4D;
    });
  }
}

/**
 * The seed's small ConvNet: a patchify conv stem, stride-2 3x3 conv stages and global average
 * pooling, returning the pooled features [B, C] unnormalised (the model projects and normalises).
 * A LayerNorm over channels follows each conv, as in ConvNeXt (Liu et al. 2022): unlike BatchNorm
 * it does not mix items of a contrastive batch and behaves the same at batch 1 and in eval.
 */
export class ConvNet extends Module implements Encoder<tf.Tensor4D> {
  readonly outputDim: number;
  private readonly layers: ConvNormAct[];

  constructor(readonly config: ConvNetConfig, rng: Rng) {
    super();
    const { channels, stemWidth, stemPatch, stageWidths } = config;
    this.layers = [this.child('stem', new ConvNormAct(channels, stemWidth, stemPatch, stemPatch, rng))];
    let inC = stemWidth;
    stageWidths.forEach((w, i) => {
      this.layers.push(this.child(`stages.${i}`, new ConvNormAct(inC, w, 3, 2, rng)));
      inC = w;
    });
    this.outputDim = inC;
  }

  apply(images: tf.Tensor4D): tf.Tensor2D {
    const { channels, stemPatch } = this.config;
    const [, h, w, c] = images.shape;
    if (images.rank !== 4 || c !== channels || h < stemPatch || w < stemPatch) {
      throw new Error(`ConvNet: expected images [B, H, W, ${channels}] with H, W >= stemPatch ${stemPatch}, got [${images.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      let x = images;
      for (const layer of this.layers) x = layer.apply(x); // [B, H/(p*2^s), W/(p*2^s), C]
      return tf.mean(x, [1, 2]) as tf.Tensor2D; // [B, C]
    });
  }
}
