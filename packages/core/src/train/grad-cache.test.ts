import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clipLoss } from '../losses/clip-loss.js';
import { DualEncoder } from '../models/dual-encoder.js';
import { MultiEncoder } from '../models/multi-encoder.js';
import { FeatureEncoder, randomFeatures, randomImages, randomText, Rng, tinyText, tinyVit } from '../models/test-support.js';
import { gradCacheGradients } from './grad-cache.js';
import { chunkSizes, splitBatch } from './split-batch.js';

/** Per parameter, ||a - b|| / ||b||: the relative error of a whole gradient. */
function worstRelativeError(a: tf.NamedTensorMap, b: tf.NamedTensorMap): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  return tf.tidy(() => Math.max(...Object.keys(b).map((k) => tf.div(tf.norm(tf.sub(a[k]!, b[k]!)), tf.maximum(tf.norm(b[k]!), 1e-12)).dataSync()[0]!)));
}

function multiModel() {
  const rng = new Rng(4);
  const encoders = { image: tinyVit(rng.fork()), text: tinyText(rng.fork()), audio: new FeatureEncoder(6, 8, rng.fork()) };
  return new MultiEncoder({ encoders, embedDim: 8 }, rng.fork());
}

describe('gradCacheGradients', () => {
  it('gives the full-batch gradients of the binding loss for k = 2, 3 and 4 chunks (rel. error < 1e-4)', () => {
    const model = multiModel();
    const rng = new Rng(9);
    const batch = { image: randomImages(8, rng), text: randomText(8, rng), audio: randomFeatures(8, 6, rng) };
    const vars = model.trainableVariables();
    const full = tf.variableGrads(() => model.loss(batch).loss, vars);
    for (const k of [2, 3, 4]) {
      const cached = gradCacheGradients(batch, vars, { chunks: k, embed: (c) => model.encodeBatch(c), loss: (e) => model.lossFromEmbeddings(e).loss });
      expect(Object.keys(cached.grads)).toHaveLength(vars.length); // towers, projections and the temperature
      expect(Math.abs(cached.loss.dataSync()[0]! - full.value.dataSync()[0]!)).toBeLessThan(1e-5);
      expect(worstRelativeError(cached.grads, full.grads)).toBeLessThan(1e-4);
      tf.dispose([cached.loss, ...Object.values(cached.grads)]);
    }
    // Leak check: everything but the returned loss and gradients is released.
    const run = () => {
      const out = gradCacheGradients(batch, vars, { chunks: 2, embed: (c) => model.encodeBatch(c), loss: (e) => model.lossFromEmbeddings(e).loss });
      tf.dispose([out.loss, ...Object.values(out.grads)]);
    };
    run();
    const before = tf.memory().numTensors;
    run();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('works for the DualEncoder (CLIP loss with its temperature)', () => {
    const rng = new Rng(2);
    const model = new DualEncoder({ encoders: { image: tinyVit(rng.fork()), text: tinyText(rng.fork()) }, embedDim: 8 }, rng.fork());
    const batch = { image: randomImages(6, rng), text: randomText(6, rng) };
    const vars = model.trainableVariables();
    const full = tf.variableGrads(() => model.loss(batch).loss, vars);
    const cached = gradCacheGradients(batch, vars, {
      chunks: 3,
      embed: (c) => ({ image: model.encode('image', c.image), text: model.encode('text', c.text) }),
      loss: (e) => clipLoss(e.image!, e.text!, model.scale()).loss,
    });
    expect(worstRelativeError(cached.grads, full.grads)).toBeLessThan(1e-4);
  });
});

describe('splitBatch', () => {
  it('cuts nested tensors into near-equal chunks and names mismatched batches', () => {
    expect(chunkSizes(8, 3)).toEqual([3, 3, 2]);
    expect(() => chunkSizes(2, 3)).toThrow(/cannot split a batch of 2 into 3 chunks/);
    expect(() => chunkSizes(2, 0)).toThrow(/chunks must be a positive integer, got 0/);
    const batch = { image: tf.range(0, 5), text: { ids: tf.zeros([5, 2], 'int32'), mask: tf.ones([5, 2]) }, name: 'x' };
    const parts = splitBatch(batch, 2);
    expect(parts.map((p) => Array.from(p.image.dataSync()))).toEqual([[0, 1, 2], [3, 4]]);
    expect(parts[1]!.text.mask.shape).toEqual([2, 2]);
    expect(parts[0]!.name).toBe('x');
    expect(() => splitBatch({ a: tf.zeros([2]), b: { c: tf.zeros([3]) } }, 2)).toThrow(/'b.c' has batch 3 but 'a' has 2/);
    expect(() => splitBatch({ a: 1 }, 2)).toThrow(/holds no tensor/);
  });
});
