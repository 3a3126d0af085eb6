import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../random/rng.js';
import { createEncoder } from '../registry.js';
import { expectLeakFree, mseTo, sgdSteps, sinInput } from '../test-utils.js';
import { createTemporal, PerceiverTemporal, PerceiverTemporalConfigSchema, TemporalConfigSchema } from './temporal.js';
import { movingDots, Probe } from './test-video.js';
import { VideoEncoder, VideoEncoderConfigSchema } from './video-encoder.js';

const perceiver = PerceiverTemporalConfigSchema.parse({ kind: 'perceiver', latents: 2, depth: 1, heads: 2, mlpRatio: 2 });
const vitFrames = { kind: 'vit', imageSize: 8, patchSize: 4, channels: 1, width: 8, depth: 1, heads: 2, pool: 'mean' } as const;
const convFrames = { kind: 'convnet', channels: 1, stemWidth: 8, stemPatch: 2, stageWidths: [8] } as const;

function video(frame: object, seed = 0): VideoEncoder {
  return createEncoder(VideoEncoderConfigSchema.parse({ kind: 'video', frames: 4, frame, temporal: perceiver }), new Rng(seed)) as unknown as VideoEncoder;
}

describe('PerceiverTemporal', () => {
  it('maps frames [B, T, D] to [B, D] at batch 1 and 2 (and T = 1), alone and inside a VideoEncoder', () => {
    const temporal = createTemporal(perceiver, 8, 4, new Rng(0));
    expect(temporal).toBeInstanceOf(PerceiverTemporal);
    for (const [b, t] of [[1, 4], [2, 4], [2, 1]] as const) {
      const y = temporal.apply(sinInput([b, t, 8]) as tf.Tensor3D);
      expect(y.shape).toEqual([b, 8]);
      y.dispose();
    }
    temporal.dispose();
    const enc = video(convFrames);
    for (const b of [1, 2]) {
      const y = enc.apply(sinInput([b, 3, 8, 8, 1]) as tf.Tensor5D);
      expect(y.shape).toEqual([b, 8]);
      y.dispose();
    }
    expect([...enc.namedVariables().keys()]).toContain('temporal.resampler.latents');
    enc.dispose();
  });

  it('parses with defaults, rejects unknown keys, bad widths and too many frames by message', () => {
    expect(TemporalConfigSchema.parse({ kind: 'perceiver' })).toEqual({ kind: 'perceiver', latents: 4, depth: 1, heads: 4, selfLayers: 0, mlpRatio: 4, activation: 'quick-gelu' });
    expect(() => TemporalConfigSchema.parse({ kind: 'perceiver', latent: 3 })).toThrow(/latent/);
    expect(() => createTemporal({ ...perceiver, heads: 3 }, 8, 4, new Rng(0))).toThrow(/PerceiverTemporal: frame feature width 8 must be divisible by heads \(3\)/);
    const temporal = new PerceiverTemporal(perceiver, 8, 4, new Rng(0));
    expect(() => temporal.apply(tf.zeros([1, 5, 8]) as tf.Tensor3D)).toThrow(/expected frames \[B, T<=4, 8\], got \[1, 5, 8\]/);
    expect(() => temporal.apply(tf.zeros([1, 3, 6]) as tf.Tensor3D)).toThrow(/expected frames \[B, T<=4, 8\], got \[1, 3, 6\]/);
    temporal.dispose();
  });

  it('tells a clip from its reverse (time embeddings before the resampler)', () => {
    const temporal = new PerceiverTemporal(perceiver, 8, 4, new Rng(1));
    const frames = sinInput([2, 4, 8]) as tf.Tensor3D;
    const reversed = tf.reverse(frames, 1) as tf.Tensor3D;
    const [a, b] = [temporal.apply(frames).dataSync(), temporal.apply(reversed).dataSync()];
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeGreaterThan(1e-3); // time embeddings start small (std 0.01)
    tf.dispose([frames, reversed]);
    temporal.dispose();
  });

  it('learns "moves right" vs "moves left" (overfit, Adam)', () => {
    const { right, left } = movingDots([0, 2, 4, 6]);
    const clips = tf.concat([right, left], 0) as tf.Tensor5D; // [8, 4, 8, 8, 1]
    const labels = tf.tensor2d([1, 1, 1, 1, -1, -1, -1, -1], [8, 1]);
    const probe = new Probe(video(vitFrames, 2), new Rng(3));
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
    console.log(`video perceiver overfit: loss ${losses[0]!.toFixed(3)} -> ${losses[1]!.toFixed(4)} in 150 steps`);
    expect(losses[1]!).toBeLessThan(0.1 * losses[0]!);
    const margins = tf.tidy(() => tf.mul(labels, logits()).dataSync());
    expect(Math.min(...margins)).toBeGreaterThan(0);
    tf.dispose([right, left, clips, labels]);
    probe.dispose();
  });

  it('trains on this backend: SGD lowers a loss, every parameter gets a gradient', () => {
    const enc = video(convFrames, 4);
    const x = sinInput([2, 4, 8, 8, 1]) as tf.Tensor5D;
    const target = sinInput([2, 8], 0.9);
    const report = sgdSteps(enc, () => tf.tidy(() => mseTo(enc.apply(x), target)), 8, 0.1);
    console.log(`Video (convnet frames, perceiver temporal width 8, batch 2 x 4 frames, ${enc.parameterCount()} params): ${report.msPerStep.toFixed(1)} ms/step on ${tf.getBackend()}`);
    expect(report.deadParams).toEqual([]);
    expect(report.losses.at(-1)!).toBeLessThan(report.losses[0]! * 0.9);
    tf.dispose([x, target]);
    enc.dispose();
  });

  it('does not leak', () => {
    const temporal = new PerceiverTemporal(perceiver, 8, 4, new Rng(5));
    const frames = sinInput([2, 3, 8]) as tf.Tensor3D;
    expectLeakFree(() => tf.dispose(temporal.apply(frames)));
    expectLeakFree(() => tf.dispose(tf.grad((f: tf.Tensor) => tf.sum(temporal.apply(f as tf.Tensor3D)))(frames)));
    frames.dispose();
    const [before, owned] = [tf.memory().numTensors, temporal.variables().length];
    temporal.dispose(); // frees exactly its own variables
    expect(tf.memory().numTensors).toBe(before - owned);
  });
});
