import { assertAllClose, Rng } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { augmentImages, ImageAugmentSchema } from './image-augment.js';

const images = () => tf.tidy(() => tf.randomUniform([3, 8, 8, 3], 0, 1, 'float32', 7) as tf.Tensor4D);

describe('augmentImages', () => {
  it('is the identity with every range collapsed', () => {
    const x = images();
    const cfg = ImageAugmentSchema.parse({ scale: [1, 1], ratio: [1, 1], translate: 0, brightness: 0, contrast: 0, saturation: 0 });
    const y = augmentImages(x, cfg, new Rng(0));
    assertAllClose(y.dataSync(), x.dataSync(), { atol: 1e-5 });
    tf.dispose([x, y]);
  });

  it('is deterministic per seed, differs across seeds, and stays in [0, 1]', () => {
    const x = images();
    const cfg = ImageAugmentSchema.parse({});
    const a = augmentImages(x, cfg, new Rng(1)), b = augmentImages(x, cfg, new Rng(1)), c = augmentImages(x, cfg, new Rng(2));
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
    expect(a.shape).toEqual([3, 8, 8, 3]);
    expect(tf.min(a).dataSync()[0]).toBeGreaterThanOrEqual(0);
    expect(tf.max(a).dataSync()[0]).toBeLessThanOrEqual(1);
    tf.dispose([x, a, b, c]);
  });

  it('fills what lies outside the image with the fill value', () => {
    const black = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    // A crop forced to start well outside the image: its top-left corner samples the fill.
    const cfg = ImageAugmentSchema.parse({ scale: [0.5, 0.5], ratio: [1, 1], translate: 1, brightness: 0, contrast: 0, saturation: 0, fill: 1 });
    let sawFill = false;
    const rng = new Rng(3);
    for (let i = 0; i < 20 && !sawFill; i++) {
      const y = augmentImages(black, cfg, rng);
      sawFill = tf.max(y).dataSync()[0] === 1;
      y.dispose();
    }
    expect(sawFill).toBe(true);
    black.dispose();
  });

  it('leaks no tensors and rejects unknown options', () => {
    const x = images();
    const cfg = ImageAugmentSchema.parse({});
    const rng = new Rng(0);
    augmentImages(x, cfg, rng).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) augmentImages(x, cfg, rng).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    expect(() => ImageAugmentSchema.parse({ flip: true })).toThrow(/flip/);
  });

  it('flips horizontally with the given probability, and only when enabled', () => {
    const x = images();
    const still = { scale: [1, 1] as [number, number], ratio: [1, 1] as [number, number], translate: 0, brightness: 0, contrast: 0, saturation: 0 };
    const flipped = augmentImages(x, ImageAugmentSchema.parse({ ...still, flip: 1 }), new Rng(0));
    const mirror = tf.reverse(x, 2);
    assertAllClose(flipped.dataSync(), mirror.dataSync(), { atol: 1e-5 });
    const never = augmentImages(x, ImageAugmentSchema.parse(still), new Rng(0));
    assertAllClose(never.dataSync(), x.dataSync(), { atol: 1e-5 });
    tf.dispose([x, flipped, mirror, never]);
  });
});
