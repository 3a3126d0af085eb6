import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../random/rng.js';
import { expectLeakFree, mseTo, sgdSteps, sinInput } from '../test-utils.js';
import { Conv1dAudioConfigSchema, Conv1dAudioEncoder } from './conv1d-audio.js';

const tiny = Conv1dAudioConfigSchema.parse({ kind: 'conv1d-audio', stemWidth: 8, stemKernel: 64, stemStride: 32, stageWidths: [8, 16] });

describe('Conv1dAudioEncoder', () => {
  it('maps a waveform [B, samples] to [B, last width] at batch 1 and 2, down to one stem window', () => {
    const enc = new Conv1dAudioEncoder(tiny, new Rng(0));
    for (const [b, n] of [[1, 1600], [2, 1600], [2, 64], [1, 1000]] as const) {
      const y = enc.apply(sinInput([b, n]) as tf.Tensor2D);
      expect(y.shape).toEqual([b, 16]);
      expect(Number.isFinite(tf.sum(y).dataSync()[0])).toBe(true);
      y.dispose();
    }
    enc.dispose();
  });

  it('gives an item the same output alone as in a batch (LayerNorm, not BatchNorm)', () => {
    const enc = new Conv1dAudioEncoder(tiny, new Rng(1));
    const x = sinInput([2, 800]) as tf.Tensor2D;
    const both = enc.apply(x).arraySync();
    const second = enc.apply(tf.slice(x, [1, 0], [1, 800])).arraySync();
    second[0]!.forEach((v, i) => expect(v).toBeCloseTo(both[1]![i]!, 5));
    enc.dispose();
  });

  it('rejects a log-mel, too-short audio and bad configs, by message', () => {
    const enc = new Conv1dAudioEncoder(tiny, new Rng(0));
    expect(() => enc.apply(tf.zeros([2, 10, 16]) as tf.Tensor3D)).toThrow(/expected a waveform \[B, samples\], got \[2, 10, 16\]; for log-mel input use kind 'ast'/);
    expect(() => enc.apply(tf.zeros([2, 63]) as tf.Tensor2D)).toThrow(/has 63 samples; needs at least stemKernel \(64\)/);
    expect(() => Conv1dAudioConfigSchema.parse({ ...tiny, stemStride: 100 })).toThrow(/stemStride above stemKernel/);
    expect(() => Conv1dAudioConfigSchema.parse({ ...tiny, batchNorm: true })).toThrow(/batchNorm/);
    enc.dispose();
  });

  it('trains on this backend: SGD lowers a loss and every parameter gets a gradient', () => {
    const enc = new Conv1dAudioEncoder(tiny, new Rng(2));
    const wave = tf.mul(sinInput([4, 1600], 0.21), 0.5) as tf.Tensor2D;
    const target = sinInput([4, 16], 0.9);
    const report = sgdSteps(enc, () => tf.tidy(() => mseTo(enc.apply(wave), target)), 8, 0.05);
    console.log(`Conv1dAudio (stem 8 k64 s32, stages [8, 16], 1600 samples, batch 4, ${enc.parameterCount()} params): ${report.msPerStep.toFixed(1)} ms/step on ${tf.getBackend()}`);
    expect(report.deadParams).toEqual([]);
    expect(report.losses.at(-1)!).toBeLessThan(report.losses[0]! * 0.9);
    enc.dispose();
  });

  it('does not leak', () => {
    const enc = new Conv1dAudioEncoder(tiny, new Rng(0));
    const x = sinInput([2, 800]) as tf.Tensor2D;
    expectLeakFree(() => tf.dispose(enc.apply(x)));
    x.dispose();
    enc.dispose();
  });
});
