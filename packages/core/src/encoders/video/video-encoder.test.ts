import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../random/rng.js';
import { createEncoder } from '../registry.js';
import { expectLeakFree, mseTo, sgdSteps, sinInput } from '../test-utils.js';
import { createTemporal, MeanTemporal, TemporalTransformer, type TemporalConfig } from './temporal.js';
import { movingDots, Probe } from './test-video.js';
import { VideoEncoder, VideoEncoderConfigSchema, type VideoEncoderConfig } from './video-encoder.js';

const convFrames = { kind: 'convnet', channels: 1, stemWidth: 8, stemPatch: 2, stageWidths: [8] } as const;
// ViT frames: positions make a frame's feature depend on where the dot is, which GAP mostly drops.
const vitFrames = { kind: 'vit', imageSize: 8, patchSize: 4, channels: 1, width: 8, depth: 1, heads: 2, pool: 'mean' } as const;
const transformer: TemporalConfig = { kind: 'transformer', depth: 1, heads: 2, mlpRatio: 4, activation: 'quick-gelu', pool: 'cls' };

function video(config: Omit<VideoEncoderConfig, 'kind'> | Record<string, unknown>, seed = 0): VideoEncoder {
  return createEncoder(VideoEncoderConfigSchema.parse({ kind: 'video', ...config }), new Rng(seed)) as unknown as VideoEncoder;
}

describe('VideoEncoder', () => {
  it('maps [B, T, H, W, C] to [B, D] at batch 1 and 2 with conv or ViT frames and either temporal module', () => {
    for (const frame of [convFrames, vitFrames]) {
      for (const temporal of [{ kind: 'mean' }, transformer]) {
        const enc = video({ frames: 4, frame, temporal });
        for (const [b, t] of [[1, 4], [2, 4], [2, 1]] as const) {
          const y = enc.apply(sinInput([b, t, 8, 8, 1]) as tf.Tensor5D);
          expect(y.shape).toEqual([b, 8]);
          y.dispose();
        }
        enc.dispose();
      }
    }
  });

  it('rejects wrong ranks, too many frames, unknown temporal kinds and mismatched widths, by message', () => {
    const enc = video({ frames: 4, frame: convFrames, temporal: transformer });
    expect(() => enc.apply(tf.zeros([2, 8, 8, 1]) as unknown as tf.Tensor5D)).toThrow(/expected video \[B, T, H, W, C\], got \[2, 8, 8, 1\]/);
    expect(() => enc.apply(tf.zeros([1, 5, 8, 8, 1]) as tf.Tensor5D)).toThrow(/clip has 5 frames, at most 4; pick frames with sampleFrames/);
    expect(() => enc.apply(tf.zeros([1, 2, 8, 8, 3]) as tf.Tensor5D)).toThrow(/ConvNet: expected images \[B, H, W, 1\]/);
    expect(() => createTemporal({ kind: 'lstm' } as never, 8, 4, new Rng(0))).toThrow(/Unknown temporal module 'lstm'. Registered: mean, transformer, perceiver/);
    expect(() => createTemporal({ ...transformer, heads: 3 }, 8, 4, new Rng(0))).toThrow(/width 8 must be divisible by heads \(3\)/);
    expect(() => VideoEncoderConfigSchema.parse({ kind: 'video', frame: { kind: 'text-transformer' } })).toThrow(/frame/);
    expect(() => new MeanTemporal(8).apply(tf.zeros([2, 3, 4]) as tf.Tensor3D)).toThrow(/expected frames \[B, T, 8\], got \[2, 3, 4\]/);
    enc.dispose();
  });

  it('mean pooling is blind to frame order; the temporal transformer is not', () => {
    const { right, left } = movingDots([1, 5]);
    const mean = video({ frames: 4, frame: vitFrames, temporal: { kind: 'mean' } }, 1);
    const [a, b] = [mean.apply(right).dataSync(), mean.apply(left).dataSync()];
    a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(1e-5));
    const temporal = video({ frames: 4, frame: vitFrames, temporal: transformer }, 1);
    const [c, d] = [temporal.apply(right).dataSync(), temporal.apply(left).dataSync()];
    expect(Math.max(...c.map((v, i) => Math.abs(v - d[i]!)))).toBeGreaterThan(1e-3); // time embeddings start small (std 0.01)
    tf.dispose([right, left]);
    mean.dispose();
    temporal.dispose();
  });

  it('the temporal transformer learns "moves right" vs "moves left" (overfit, Adam)', () => {
    const { right, left } = movingDots([0, 2, 4, 6]);
    const clips = tf.concat([right, left], 0) as tf.Tensor5D; // [8, 4, 8, 8, 1]
    const labels = tf.tensor2d([1, 1, 1, 1, -1, -1, -1, -1], [8, 1]);
    const probe = new Probe(video({ frames: 4, frame: vitFrames, temporal: transformer }, 2), new Rng(3));
    const logits = () => probe.head.apply(probe.encoder.apply(clips));
    const loss = () => tf.tidy(() => tf.mean(tf.softplus(tf.neg(tf.mul(labels, logits())))) as tf.Scalar); // logistic loss
    const opt = tf.train.adam(1e-2);
    const losses: number[] = [];
    for (let step = 0; step < 150; step++) {
      const cost = opt.minimize(loss, true, probe.trainableVariables())!;
      if (step === 0 || step === 149) losses.push(cost.dataSync()[0]!);
      cost.dispose();
    }
    opt.dispose();
    console.log(`video overfit: loss ${losses[0]!.toFixed(3)} -> ${losses[1]!.toFixed(4)} in 150 steps`);
    expect(losses[1]!).toBeLessThan(0.1 * losses[0]!);
    const margins = tf.tidy(() => tf.mul(labels, logits()).dataSync());
    expect(Math.min(...margins)).toBeGreaterThan(0); // every clip on the right side
    tf.dispose([right, left, clips, labels]);
    probe.dispose();
  });

  it('trains on this backend with conv frames: SGD lowers a loss, every parameter gets a gradient', () => {
    const enc = video({ frames: 4, frame: convFrames, temporal: transformer }, 4);
    const x = sinInput([2, 4, 8, 8, 1]) as tf.Tensor5D;
    const target = sinInput([2, 8], 0.9);
    const report = sgdSteps(enc, () => tf.tidy(() => mseTo(enc.apply(x), target)), 8, 0.1);
    console.log(`Video (convnet frames 8x8, temporal transformer width 8 depth 1, batch 2 x 4 frames, ${enc.parameterCount()} params): ${report.msPerStep.toFixed(1)} ms/step on ${tf.getBackend()}`);
    expect(report.deadParams).toEqual([]);
    expect(report.losses.at(-1)!).toBeLessThan(report.losses[0]! * 0.9);
    enc.dispose();
  });

  it('does not leak (both temporal modules)', () => {
    const x = sinInput([2, 3, 8, 8, 1]) as tf.Tensor5D;
    for (const temporal of [{ kind: 'mean' }, transformer]) {
      const enc = video({ frames: 4, frame: convFrames, temporal });
      expectLeakFree(() => tf.dispose(enc.apply(x)));
      enc.dispose();
    }
    expect(new TemporalTransformer(transformer as never, 8, 4, new Rng(0)).outputDim).toBe(8);
    x.dispose();
  });
});
