import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clipLoss } from './clip-loss.js';
import { createContrastiveLoss, WithUniformity } from './contrastive-loss.js';
import { InfoNceLoss } from './info-nce.js';
import { uniformityLoss } from './align-uniform-loss.js';

const unit = (x: tf.Tensor2D) => tf.div(x, tf.norm(x, 'euclidean', 1, true)) as tf.Tensor2D;

describe('createContrastiveLoss', () => {
  it('builds each kind; infonce equals clipLoss at the same scale; the uniformity arm adds weight x uniformity', () => {
    const a = unit(tf.randomNormal([4, 6], 0, 1, 'float32', 1) as tf.Tensor2D);
    const b = unit(tf.randomNormal([4, 6], 0, 1, 'float32', 2) as tf.Tensor2D);
    const info = createContrastiveLoss({ kind: 'infonce' });
    const ref = clipLoss(a, b, 1 / 0.07).loss.dataSync()[0]!;
    expect(info.apply(a, b).loss.dataSync()[0]).toBeCloseTo(ref, 5);
    const reg = createContrastiveLoss({ kind: 'infonce+uniformity', uniformityWeight: 0.5 });
    const u = (uniformityLoss(a).dataSync()[0]! + uniformityLoss(b).dataSync()[0]!) / 2;
    expect(reg.apply(a, b).loss.dataSync()[0]).toBeCloseTo(ref + 0.5 * u, 5);
    const sig = createContrastiveLoss({ kind: 'siglip' });
    expect(sig.scale().dataSync()[0]).toBeCloseTo(10, 4);
    expect(Number.isFinite(sig.apply(a, b).loss.dataSync()[0])).toBe(true);
    expect(() => createContrastiveLoss({ kind: 'nce' as 'infonce' })).toThrow(/Unknown contrastive loss 'nce'. Registered: infonce, siglip, infonce\+uniformity/);
    expect(() => new WithUniformity(new InfoNceLoss(), -1)).toThrow(/weight must be/);
  });

  it('a fixed temperature gets no gradient and is not a trainable variable', () => {
    const fixed = new InfoNceLoss({ init: 20, learnable: false });
    expect(fixed.variables().every((v) => !v.trainable)).toBe(true);
    expect(fixed.scale().dataSync()[0]).toBeCloseTo(20, 4);
  });

  it('leaks no tensors', () => {
    const a = unit(tf.randomNormal([3, 5], 0, 1, 'float32', 3) as tf.Tensor2D);
    const loss = createContrastiveLoss({ kind: 'infonce+uniformity' });
    tf.dispose(loss.apply(a, a).loss);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(loss.apply(a, a).loss);
    expect(tf.memory().numTensors).toBe(before);
  });
});
