import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { ActivationKind } from '../../layers/activations.js';
import { LearnedPositions } from '../../layers/embeddings.js';
import { LayerNorm } from '../../layers/layer-norm.js';
import { Linear } from '../../layers/linear.js';
import { Module, normalInit } from '../../layers/module.js';
import { TransformerBlock } from '../../layers/transformer-block.js';
import type { Rng } from '../../random/rng.js';
import type { AudioInput, Encoder } from '../encoder.js';
import { ActivationSchema } from '../vit.js';
import { LogMel, LogMelConfigSchema } from './log-mel.js';

export const AstConfigSchema = z
  .object({
    kind: z.literal('ast'),
    frontEnd: LogMelConfigSchema.default({}).describe('applied to waveform input; a log-mel input must have frontEnd.nMels bins'),
    maxFrames: z.number().int().positive().describe('longest log-mel input; sizes the position table (1 s at a 10 ms hop = 101)'),
    patchTime: z.number().int().positive().default(16).describe('16 x 16 patches as AST (non-overlapping here: a reshape + matmul)'),
    patchMel: z.number().int().positive().default(16),
    width: z.number().int().positive(),
    depth: z.number().int().positive(),
    heads: z.number().int().positive(),
    mlpRatio: z.number().positive().default(4).describe('4 as in ViT/AST'),
    activation: ActivationSchema.default('quick-gelu').describe('quick-gelu is ~6x cheaper than tanh-GELU on wasm'),
    pool: z.enum(['cls', 'mean']).default('cls').describe('cls as AST (which also averages a distillation token we do not have)'),
  })
  .strict()
  .refine((c) => c.frontEnd.nMels % c.patchMel === 0, { message: 'frontEnd.nMels must be a multiple of patchMel', path: ['patchMel'] })
  .refine((c) => c.maxFrames >= c.patchTime, { message: 'maxFrames must be at least patchTime', path: ['maxFrames'] })
  .refine((c) => c.width % c.heads === 0, { message: 'width must be divisible by heads', path: ['heads'] });
export type AstConfig = z.infer<typeof AstConfigSchema>;

/**
 * Audio Spectrogram Transformer (Gong et al. 2021): a ViT over time x mel patches of a log-mel
 * spectrogram. Takes a waveform [B, samples] (through the LogMel front end) or a log-mel
 * [B, frames, nMels]; frames beyond the last whole patch are dropped, as a strided conv would.
 */
export class AudioSpectrogramTransformer extends Module implements Encoder<AudioInput> {
  readonly outputDim: number;
  readonly frontEnd: LogMel;
  private readonly patch: Linear;
  private readonly cls: tf.Variable;
  private readonly pos: LearnedPositions;
  private readonly lnPre: LayerNorm;
  private readonly blocks: TransformerBlock[];
  private readonly lnPost: LayerNorm;

  constructor(readonly config: AstConfig, rng: Rng) {
    super();
    const { frontEnd, maxFrames, patchTime, patchMel, width, depth, heads, mlpRatio, activation } = config;
    this.outputDim = width;
    this.frontEnd = new LogMel(frontEnd);
    const tokens = Math.floor(maxFrames / patchTime) * (frontEnd.nMels / patchMel) + 1;
    this.patch = this.child('patch', new Linear({ inFeatures: patchTime * patchMel, outFeatures: width }, rng));
    this.cls = this.param('cls', [1, 1, width], normalInit(rng, 0.02));
    this.pos = this.child('pos', new LearnedPositions(tokens, width, rng));
    this.lnPre = this.child('lnPre', new LayerNorm(width));
    this.blocks = Array.from({ length: depth }, (_, i) =>
      this.child(`blocks.${i}`, new TransformerBlock({ dim: width, heads, mlpRatio, activation: activation as ActivationKind, depth }, rng)),
    );
    this.lnPost = this.child('lnPost', new LayerNorm(width));
  }

  /** log-mel [B, F, M] -> patch tokens [B, (F/pt)(M/pm), pt*pm], time-major so shorter clips use a prefix of the positions. */
  private patchify(logMel: tf.Tensor3D): tf.Tensor3D {
    const { patchTime: pt, patchMel: pm } = this.config;
    const [b, frames, mels] = logMel.shape;
    const gt = Math.floor(frames / pt), gm = mels / pm;
    const kept = tf.slice(logMel, [0, 0, 0], [b, gt * pt, mels]); // [B, gt*pt, M]
    const rows = tf.reshape(kept, [b * gt, pt, gm, pm]);
    return tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [b, gt * gm, pt * pm]) as tf.Tensor3D;
  }

  apply(input: AudioInput): tf.Tensor2D {
    const { maxFrames, patchTime, frontEnd } = this.config;
    if (input.rank !== 2 && input.rank !== 3) {
      throw new Error(`AudioSpectrogramTransformer: expected a waveform [B, samples] or log-mel [B, frames, ${frontEnd.nMels}], got [${input.shape.join(', ')}]`);
    }
    const frames = input.rank === 2 ? this.frontEnd.frames(input.shape[1]!) : input.shape[1]!;
    if (input.rank === 3 && input.shape[2] !== frontEnd.nMels) {
      throw new Error(`AudioSpectrogramTransformer: log-mel must have ${frontEnd.nMels} mel bins, got [${input.shape.join(', ')}]`);
    }
    if (frames < patchTime || frames > maxFrames) {
      throw new Error(`AudioSpectrogramTransformer: input gives ${frames} frames; expected ${patchTime} (patchTime) to ${maxFrames} (maxFrames)`);
    }
    return tf.tidy(() => {
      const logMel = input.rank === 2 ? this.frontEnd.apply(input as tf.Tensor2D) : (input as tf.Tensor3D); // [B, F, M]
      const b = logMel.shape[0];
      const tokens = this.patch.apply(this.patchify(logMel)) as tf.Tensor3D; // [B, N, D]
      const cls = tf.tile(this.cls, [b, 1, 1]); // [B, 1, D]
      let x = this.pos.apply(tf.concat([cls, tokens], 1) as tf.Tensor3D); // [B, N+1, D]
      x = this.lnPre.apply(x) as tf.Tensor3D;
      for (const block of this.blocks) x = block.apply(x);
      x = this.lnPost.apply(x) as tf.Tensor3D;
      const pooled = this.config.pool === 'cls' ? tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, this.outputDim]), [b, this.outputDim]) : tf.mean(x, 1);
      return pooled as tf.Tensor2D; // [B, D]
    });
  }

  override dispose(): void {
    this.frontEnd.dispose();
    super.dispose();
  }
}
