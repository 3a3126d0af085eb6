import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { ConvNet, ConvNetConfigSchema } from './convnet.js';
import { expectLeakFree, mseTo, sgdSteps, sinInput } from './test-utils.js';

const tiny = ConvNetConfigSchema.parse({ kind: 'convnet', stemWidth: 8, stemPatch: 4, stageWidths: [8, 16] });

describe('ConvNet', () => {
  it('maps [B, H, W, C] to [B, last stage width] at batch 1 and 2, any size above the stem', () => {
    const net = new ConvNet(tiny, new Rng(0));
    expect(net.outputDim).toBe(16);
    for (const [b, s] of [[1, 32], [2, 32], [2, 4], [1, 20]] as const) {
      const y = net.apply(sinInput([b, s, s, 3]) as tf.Tensor4D);
      expect(y.shape).toEqual([b, 16]);
      expect(Number.isFinite(tf.sum(y).dataSync()[0])).toBe(true);
      y.dispose();
    }
    net.dispose();
  });

  it('keeps the items of a batch independent (no batch statistics)', () => {
    const net = new ConvNet(tiny, new Rng(1));
    const x = sinInput([2, 16, 16, 3]) as tf.Tensor4D;
    const both = net.apply(x).arraySync();
    const first = net.apply(tf.slice(x, [0, 0, 0, 0], [1, 16, 16, 3])).arraySync();
    first[0]!.forEach((v, i) => expect(v).toBeCloseTo(both[0]![i]!, 5));
    net.dispose();
  });

  it('names the expected shape and rejects unknown config keys', () => {
    const net = new ConvNet(tiny, new Rng(0));
    expect(() => net.apply(tf.zeros([2, 32, 32, 1]) as tf.Tensor4D)).toThrow(/expected images \[B, H, W, 3\] with H, W >= stemPatch 4, got \[2, 32, 32, 1\]/);
    expect(() => net.apply(tf.zeros([2, 32, 32]) as unknown as tf.Tensor4D)).toThrow(/got \[2, 32, 32\]/);
    expect(() => net.apply(tf.zeros([1, 2, 2, 3]) as tf.Tensor4D)).toThrow(/H, W >= stemPatch 4/);
    expect(() => ConvNetConfigSchema.parse({ ...tiny, depth: 2 })).toThrow(/depth/);
    net.dispose();
  });

  it('trains on this backend: SGD lowers a loss and every parameter gets a gradient', () => {
    const net = new ConvNet(tiny, new Rng(2));
    const x = sinInput([4, 32, 32, 3]) as tf.Tensor4D;
    const target = sinInput([4, 16], 0.9);
    const report = sgdSteps(net, () => tf.tidy(() => mseTo(net.apply(x), target)), 8, 0.05);
    console.log(`ConvNet (stem 8, stages [8, 16], 32 px, batch 4, ${net.parameterCount()} params): ${report.msPerStep.toFixed(1)} ms/step on ${tf.getBackend()}`);
    expect(report.deadParams).toEqual([]);
    expect(report.losses.at(-1)!).toBeLessThan(report.losses[0]! * 0.9);
    net.dispose();
  });

  it('does not leak', () => {
    const net = new ConvNet(tiny, new Rng(0));
    const x = sinInput([2, 16, 16, 3]) as tf.Tensor4D;
    expectLeakFree(() => tf.dispose(net.apply(x)));
    x.dispose();
    net.dispose();
  });
});
