import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ConcatMlpFusion } from '../fusion/concat-mlp.js';
import { FusionClassifier } from '../models/fusion-classifier.js';
import { FeatureEncoder, randomFeatures, Rng } from '../models/test-support.js';
import { assertAllClose } from '../testing/all-close.js';
import { ogmCoefficients, ogmGeStep } from './ogm-ge.js';
import { Sgd } from './sgd.js';
import { lossStep } from './step-functions.js';
import { Trainer } from './trainer.js';

function avModel() {
  const rng = new Rng(0);
  const fusion = new ConcatMlpFusion({ kind: 'concat-mlp', dims: { audio: 8, video: 8 }, hidden: 16, outputDim: 8, activation: 'gelu' }, rng.fork());
  return new FusionClassifier({ encoders: { audio: new FeatureEncoder(6, 8, rng.fork()), video: new FeatureEncoder(7, 8, rng.fork()) }, fusion, numClasses: 3 }, rng.fork());
}

type Inputs = { audio: tf.Tensor2D; video: tf.Tensor2D };
const batchAt = (step: number) => {
  const rng = new Rng(100 + step);
  return { inputs: { audio: randomFeatures(6, 6, rng), video: randomFeatures(6, 7, rng) }, labels: tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32') };
};

const flat = (m: FusionClassifier) => Array.from(tf.tidy(() => tf.concat(m.trainableVariables().map((v) => tf.reshape(v, [-1]))).dataSync()));

describe('ogmCoefficients', () => {
  it('slows only the dominant modality: k = 1 - tanh(alpha (rho - 1))', () => {
    const k = ogmCoefficients({ audio: tf.scalar(3), video: tf.scalar(1) }, 0.5);
    assertAllClose([k.audio!.dataSync()[0]!, k.video!.dataSync()[0]!], [1 - Math.tanh(1), 1]);
    const three = ogmCoefficients({ a: tf.scalar(2), b: tf.scalar(1), c: tf.scalar(3) }, 1);
    // rho_c = 3 / mean(2, 1) = 2; rho_a = 2 / 2 = 1 (not > 1); rho_b < 1.
    assertAllClose(['a', 'b', 'c'].map((m) => three[m]!.dataSync()[0]!), [1, 1, 1 - Math.tanh(1)]);
    expect(() => ogmCoefficients({ a: tf.scalar(1) }, 1)).toThrow(/needs at least two modalities, got a/);
    expect(() => ogmCoefficients({ a: tf.scalar(1), b: tf.scalar(1) }, -1)).toThrow(/alpha must be >= 0, got -1/);
  });
});

describe('ogmGeStep', () => {
  it('without modulation or noise makes the plain step', async () => {
    const run = async (ogm: boolean) => {
      const m = avModel();
      const step = ogm ? ogmGeStep<Inputs>(m, { alpha: 0, noise: false }) : lossStep<{ inputs: Inputs; labels: tf.Tensor1D }>((b) => m.loss(b.inputs, b.labels).loss);
      const t = new Trainer({ model: m, optimizer: new Sgd(m.namedVariables()), schedule: () => 0.1, step, logEvery: 1 });
      await t.fit(batchAt, { steps: 2 });
      return flat(m);
    };
    assertAllClose(await run(true), await run(false), { atol: 1e-6, rtol: 1e-5 });
  });

  it('is reproducible per seed, leak-free, and logs coefficients and scores', async () => {
    const run = async (seed: number) => {
      const m = avModel();
      const t = new Trainer({ model: m, optimizer: new Sgd(m.namedVariables()), schedule: () => 0.05, step: ogmGeStep<Inputs>(m, { alpha: 0.5 }), logEvery: 1, seed });
      const batch = batchAt(0);
      const r = (await t.trainStep(batch))!;
      const count = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) await t.trainStep(batch);
      expect(tf.memory().numTensors).toBe(count);
      expect(Object.keys(r.metrics).sort()).toEqual(['ogm/audio', 'ogm/video', 'score/audio', 'score/video']);
      expect(Math.min(r.metrics['ogm/audio']!, r.metrics['ogm/video']!)).toBeLessThanOrEqual(1);
      return flat(m);
    };
    const a = await run(1), b = await run(1), c = await run(2);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});
