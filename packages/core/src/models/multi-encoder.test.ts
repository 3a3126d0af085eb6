import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectLeakFree } from '../encoders/test-utils.js';
import { BindingLoss } from '../losses/binding-loss.js';
import { infoNce } from '../losses/info-nce.js';
import { assertAllClose } from '../testing/all-close.js';
import { AdamW } from '../train/adamw.js';
import { MultiEncoder } from './multi-encoder.js';
import { FeatureEncoder, randomFeatures, randomImages, randomText, readLoss, Rng, tinyText, tinyVit } from './test-support.js';

function tinyModel(seed = 0, loss?: BindingLoss) {
  const rng = new Rng(seed);
  const encoders = { image: tinyVit(rng.fork()), text: tinyText(rng.fork()), audio: new FeatureEncoder(6, 8, rng.fork()) };
  return new MultiEncoder({ encoders, embedDim: 8, ...(loss === undefined ? {} : { loss }) }, rng.fork());
}

function batch(b: number, seed: number) {
  const rng = new Rng(seed);
  return { image: randomImages(b, rng), text: randomText(b, rng), audio: randomFeatures(b, 6, rng) };
}

describe('MultiEncoder', () => {
  it('encodes each modality to unit vectors at batch 1 and 2, without leaks', () => {
    const model = tinyModel();
    for (const b of [1, 2]) {
      const x = batch(b, b);
      for (const emb of [model.encode('image', x.image), model.encode('text', x.text), model.encode('audio', x.audio)]) {
        expect(emb.shape).toEqual([b, 8]);
        for (const n of tf.tidy(() => tf.norm(emb, 2, 1).dataSync())) expect(n).toBeCloseTo(1, 5);
        emb.dispose();
      }
      expectLeakFree(() => tf.dispose(Object.values(model.loss(x))));
    }
    expect(model.modalities).toEqual(['audio', 'image', 'text']);
    expect([...model.namedVariables().keys()]).toContain('projections.audio.weight');
  });

  it('scores any subset of two or more modalities present, with the anchor or all pairs', () => {
    const all = tinyModel(1);
    const x = batch(4, 3);
    const out = all.loss({ image: x.image, audio: x.audio });
    expect(Object.keys(out.pairs)).toEqual(['audio:image']);
    expect(Object.keys(all.loss(x).pairs)).toEqual(['audio:image', 'audio:text', 'image:text']);
    const anchored = tinyModel(1, new BindingLoss({ anchor: 'image' }));
    expect(Object.keys(anchored.loss(x).pairs)).toEqual(['image:audio', 'image:text']);
    expect(() => anchored.loss({ text: x.text, audio: x.audio })).toThrow(/anchor modality 'image' is missing; present: audio, text/);
    expect(() => all.loss({ image: x.image })).toThrow(/needs at least two modalities present, got image/);
  });

  it('names unknown modalities and needs two towers', () => {
    const model = tinyModel();
    const x = batch(1, 0);
    expect(() => model.encode('video' as 'image', x.image)).toThrow(/unknown modality 'video'. Known: audio, image, text/);
    expect(() => model.loss({ ...x, video: x.image } as never)).toThrow(/batch has modality 'video' without an encoder. Known: audio, image, text/);
    expect(() => new MultiEncoder({ encoders: { image: tinyVit(new Rng(0)) }, embedDim: 8 }, new Rng(0))).toThrow(/needs at least 2 encoders, got image/);
  });

  it('with per-sample keep flags, scores each pair on the rows where both are kept', () => {
    const model = tinyModel(2);
    const x = batch(4, 5);
    const keep = { image: [true, false, true, true], text: [true, true, false, true], audio: [true, true, true, true] };
    const embs = model.encodeBatch(x);
    const out = model.lossFromEmbeddings(embs, { keep });
    const scale = model.bindingLoss.logitScale.value();
    const sub = (m: string, rows: number[]) => tf.gather(embs[m]!, tf.tensor1d(rows, 'int32')) as tf.Tensor2D;
    const expected = [
      infoNce(sub('audio', [0, 2, 3]), sub('image', [0, 2, 3]), scale).loss,
      infoNce(sub('audio', [0, 1, 3]), sub('text', [0, 1, 3]), scale).loss,
      infoNce(sub('image', [0, 3]), sub('text', [0, 3]), scale).loss,
    ].map((s) => s.dataSync()[0]!);
    assertAllClose(['audio:image', 'audio:text', 'image:text'].map((k) => out.pairs[k]!.dataSync()[0]!), expected, { atol: 1e-6, rtol: 1e-5 });
    assertAllClose(out.loss.dataSync(), [(expected[0]! + expected[1]! + expected[2]!) / 3], { atol: 1e-6, rtol: 1e-5 });
    // A pair with fewer than two common rows is skipped; with none left the loss is a connected zero.
    const lonely = model.lossFromEmbeddings({ image: embs.image, text: embs.text }, { keep: { image: [true, false, false, false], text: [true, true, true, true] } });
    expect(lonely.loss.dataSync()[0]).toBe(0);
    expect(Object.keys(lonely.pairs)).toEqual([]);
  });

  it('overfits one batch of three modalities below 10% of its initial loss', async () => {
    const model = tinyModel(3);
    const opt = new AdamW(model.namedVariables(), { weightDecay: 0 });
    const x = batch(8, 11);
    const step = () => {
      const { loss, gradNorm } = opt.step(() => model.loss(x).loss, 1e-2);
      model.afterStep();
      gradNorm.dispose();
      return readLoss(loss);
    };
    const first = await step();
    let last = first;
    for (let i = 0; i < 300 && last > 0.1 * first; i++) last = await step();
    expect(last).toBeLessThan(0.1 * first);
  });
});
