import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { TextTransformer } from '../encoders/text-transformer.js';
import { VisionTransformer } from '../encoders/vit.js';
import { Rng } from '../random/rng.js';
import { AdamW } from '../train/adamw.js';
import { DualEncoder } from './dual-encoder.js';

function tinyModel(seed = 0): DualEncoder {
  const rng = new Rng(seed);
  const image = new VisionTransformer({ kind: 'vit', imageSize: 8, patchSize: 4, channels: 3, width: 8, depth: 2, heads: 2, mlpRatio: 2, activation: 'quick-gelu', pool: 'cls' }, rng.fork());
  const text = new TextTransformer({ kind: 'text-transformer', vocabSize: 20, contextLength: 5, width: 8, depth: 2, heads: 2, mlpRatio: 2, activation: 'quick-gelu', causal: true, pool: 'eot' }, rng.fork());
  return new DualEncoder({ encoders: { image, text }, embedDim: 8 }, rng.fork());
}

function batch(b: number, seed: number) {
  const rng = new Rng(seed);
  const image = tf.tensor4d(Float32Array.from({ length: b * 8 * 8 * 3 }, () => rng.next()), [b, 8, 8, 3]);
  const lengths = Array.from({ length: b }, () => 2 + rng.int(4)); // 2..5 real tokens
  const ids = tf.tensor2d(lengths.flatMap((n) => Array.from({ length: 5 }, (_, t) => (t < n ? 1 + rng.int(19) : 0))), [b, 5], 'int32');
  const mask = tf.tensor2d(lengths.flatMap((n) => Array.from({ length: 5 }, (_, t) => (t < n ? 1 : 0))), [b, 5]);
  return { image, text: { ids, mask } };
}

describe('DualEncoder', () => {
  it('encodes each modality to unit vectors at batch 1 and 2, and names unknown modalities', () => {
    const model = tinyModel();
    for (const b of [1, 2]) {
      const x = batch(b, b);
      for (const emb of [model.encode('image', x.image), model.encode('text', x.text)]) {
        expect(emb.shape).toEqual([b, 8]);
        const norms = tf.norm(emb, 2, 1).dataSync();
        for (const n of norms) expect(n).toBeCloseTo(1, 5);
      }
    }
    expect(() => model.encode('audio' as 'image', batch(1, 0).image)).toThrow(/unknown modality 'audio'. Known: image, text/);
  });

  it('is deterministic given the seed', () => {
    const a = tinyModel(5), b = tinyModel(5), c = tinyModel(6);
    const x = batch(2, 0);
    const ea = a.encode('image', x.image).dataSync(), eb = b.encode('image', x.image).dataSync(), ec = c.encode('image', x.image).dataSync();
    expect(Array.from(ea)).toEqual(Array.from(eb));
    expect(Array.from(ea)).not.toEqual(Array.from(ec));
  });

  it('trains 20 AdamW steps with a constant tensor count, and overfits one batch below 10% of its initial loss', async () => {
    const model = tinyModel();
    const opt = new AdamW(model.namedVariables(), { weightDecay: 0.01, clipNorm: 1 });
    expect(opt.decayedParameters()).toContain('image.blocks.0.attn.qkv.weight');
    expect(opt.decayedParameters()).not.toContain('loss.logitScale.logScale');
    expect(opt.decayedParameters().some((n) => /bias$|ln\w*\.|pos\./.test(n))).toBe(false);
    const x = batch(6, 42);
    const step = async () => {
      const { loss, gradNorm } = opt.step(() => model.loss(x).loss, 3e-3);
      model.afterStep();
      const v = (await loss.data())[0]!;
      tf.dispose([loss, gradNorm]);
      return v;
    };
    const first = await step();
    const count = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) await step();
    expect(tf.memory().numTensors).toBe(count);
    let last = first;
    for (let i = 0; i < 280 && last > 0.1 * first; i++) last = await step();
    expect(last).toBeLessThan(0.1 * first);
  });
});
