import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectLeakFree } from '../encoders/test-utils.js';
import { ConcatMlpFusion } from '../fusion/concat-mlp.js';
import { AdamW } from '../train/adamw.js';
import { FusionClassifier } from './fusion-classifier.js';
import { FeatureEncoder, randomFeatures, randomImages, randomText, readLoss, Rng, tinyText, tinyVit } from './test-support.js';

/** VQA-style: an image and a question, an answer out of 5. */
function vqaModel(seed = 0) {
  const rng = new Rng(seed);
  const fusion = new ConcatMlpFusion({ kind: 'concat-mlp', dims: { image: 8, text: 8 }, hidden: 16, outputDim: 8, activation: 'gelu' }, rng.fork());
  return new FusionClassifier({ encoders: { image: tinyVit(rng.fork()), text: tinyText(rng.fork()) }, fusion, numClasses: 5 }, rng.fork());
}

/** Audio-visual: cheap feature towers, 3 classes. */
function avModel(seed = 0) {
  const rng = new Rng(seed);
  const fusion = new ConcatMlpFusion({ kind: 'concat-mlp', dims: { audio: 8, video: 8 }, hidden: 16, outputDim: 8, activation: 'gelu' }, rng.fork());
  return new FusionClassifier({ encoders: { audio: new FeatureEncoder(6, 8, rng.fork()), video: new FeatureEncoder(7, 8, rng.fork()) }, fusion, numClasses: 3 }, rng.fork());
}

describe('FusionClassifier', () => {
  it('gives logits [B, C] at batch 1 and 2 without leaks, and tower features from encode', () => {
    const model = vqaModel();
    for (const b of [1, 2]) {
      const rng = new Rng(b);
      const x = { image: randomImages(b, rng), text: randomText(b, rng) };
      const logits = model.apply(x);
      expect(logits.shape).toEqual([b, 5]);
      expect(model.encode('text', x.text).shape).toEqual([b, 8]);
      const labels = tf.tensor1d(Array.from({ length: b }, (_, i) => i % 5), 'int32');
      const out = model.loss(x, labels);
      expect(out.loss.shape).toEqual([]);
      expectLeakFree(() => tf.dispose(Object.values(model.loss(x, labels, { keep: { image: Array.from({ length: b }, () => false) } }))));
    }
  });

  it('zeroes dropped modalities before fusion: a fully dropped tower gets no gradient', () => {
    const model = avModel(1);
    const rng = new Rng(2);
    const x = { audio: randomFeatures(4, 6, rng), video: randomFeatures(4, 7, rng) };
    const labels = tf.tensor1d([0, 1, 2, 0], 'int32');
    const vars = [...model.namedVariables()];
    const { grads } = tf.variableGrads(() => model.loss(x, labels, { keep: { audio: [false, false, false, false] } }).loss, vars.map(([, v]) => v));
    const norm = (name: string) => tf.tidy(() => tf.norm(grads[vars.find(([n]) => n === name)![1].name]!).dataSync()[0]!);
    expect(norm('encoders.audio.fc1.weight')).toBe(0);
    expect(norm('encoders.video.fc1.weight')).toBeGreaterThan(0);
  });

  it('names missing and unknown modalities, bad labels and bad options', () => {
    const model = avModel();
    const rng = new Rng(3);
    const x = { audio: randomFeatures(2, 6, rng), video: randomFeatures(2, 7, rng) };
    expect(() => model.apply({ audio: x.audio })).toThrow(/missing modality 'video' \(expected: audio, video\)/);
    expect(() => model.apply({ ...x, text: x.audio } as never)).toThrow(/batch has modality 'text' without an encoder/);
    expect(() => model.encode('image' as 'audio', x.audio)).toThrow(/unknown modality 'image'. Known: audio, video/);
    expect(() => model.loss(x, tf.tensor1d([0, 1]))).toThrow(/labels must be int32 \[B\], got float32 \[2\]/);
    expect(() => model.loss(x, tf.tensor1d([0, 1, 2], 'int32'))).toThrow(/3 labels for a batch of 2/);
    expect(() => new FusionClassifier({ encoders: {}, fusion: model.fusion, numClasses: 3 }, new Rng(0))).toThrow(/needs at least 1 encoder, got none/);
    expect(() => new FusionClassifier({ encoders: { audio: new FeatureEncoder(2, 8, new Rng(0)) }, fusion: model.fusion, numClasses: 1 }, new Rng(0))).toThrow(/numClasses must be an integer >= 2, got 1/);
  });

  for (const [name, build, makeBatch] of [
    ['VQA-style (ViT + text)', vqaModel, (rng: Rng) => ({ image: randomImages(8, rng), text: randomText(8, rng) })],
    ['audio-visual', avModel, (rng: Rng) => ({ audio: randomFeatures(8, 6, rng), video: randomFeatures(8, 7, rng) })],
  ] as const) {
    it(`overfits one batch below 10% of its initial loss (${name})`, async () => {
      const model = (build as (seed: number) => FusionClassifier)(4);
      const x = (makeBatch as (rng: Rng) => Record<string, unknown>)(new Rng(5));
      const numClasses = model.numClasses;
      const labels = tf.tensor1d(Array.from({ length: 8 }, (_, i) => i % numClasses), 'int32');
      const opt = new AdamW(model.namedVariables(), { weightDecay: 0 });
      const step = () => {
        const { loss, gradNorm } = opt.step(() => model.loss(x as never, labels).loss, 1e-2);
        gradNorm.dispose();
        return readLoss(loss);
      };
      const first = await step();
      let last = first;
      for (let i = 0; i < 300 && last > 0.1 * first; i++) last = await step();
      expect(last).toBeLessThan(0.1 * first);
    });
  }
});
