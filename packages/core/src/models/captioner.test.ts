import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectLeakFree } from '../encoders/test-utils.js';
import { AdamW } from '../train/adamw.js';
import { VisionTransformer, VitTokens } from '../encoders/vit.js';
import { CaptionDecoder } from './caption-decoder.js';
import { Captioner, type ImageTower } from './captioner.js';
import { PatchTokens, randomImages, readLoss, Rng, tinyVit } from './test-support.js';

const BOS = 1, EOT = 2, VOCAB = 12, CONTEXT = 7;

function tinyCaptioner(seed = 0, tower: 'patches' | 'vit' = 'patches', depth = 1) {
  const rng = new Rng(seed);
  const image: ImageTower = tower === 'patches' ? new PatchTokens(8, 4, 8, rng.fork()) : tinyVit(rng.fork());
  const decoder = new CaptionDecoder({ kind: 'caption-decoder', vocabSize: VOCAB, contextLength: CONTEXT, width: 8, depth, heads: 2, contextDim: 8, mlpRatio: 2 }, rng.fork());
  return new Captioner({ image, decoder, bos: BOS, eot: EOT });
}

/** [BOS, words..., EOT, 0...] padded to T, with its mask. */
function captions(words: number[][], t = CONTEXT) {
  const rows = words.map((w) => [BOS, ...w, EOT]);
  const ids = tf.tensor2d(rows.flatMap((r) => Array.from({ length: t }, (_, i) => r[i] ?? 0)), [rows.length, t], 'int32');
  const mask = tf.tensor2d(rows.flatMap((r) => Array.from({ length: t }, (_, i) => (i < r.length ? 1 : 0))), [rows.length, t]);
  return { ids, mask };
}

describe('Captioner', () => {
  it('gives image tokens and logits at batch 1 and 2, without leaks, for token and pooled towers', () => {
    for (const tower of ['patches', 'vit'] as const) {
      const model = tinyCaptioner(0, tower);
      for (const b of [1, 2]) {
        const images = randomImages(b, new Rng(b));
        expect(model.encode('image', images).shape).toEqual([b, tower === 'patches' ? 4 : 1, 8]);
        const text = captions(Array.from({ length: b }, (_, i) => [3 + i, 4]));
        const out = model.loss({ image: images, text });
        expect(out.logits.shape).toEqual([b, CONTEXT - 1, VOCAB]);
        expect(out.loss.shape).toEqual([]);
        expectLeakFree(() => tf.dispose(Object.values(model.loss({ image: images, text }))));
        expectLeakFree(() => void model.greedy(images, { maxLength: 3 }));
        expectLeakFree(() => void model.beamSearch(images, { beamSize: 2, maxLength: 3 }));
        expect(model.greedy(images, { maxLength: 3 }).every((c) => c.tokens.length <= 3)).toBe(true);
      }
    }
  });

  it('ignores padding: the loss does not change with the ids after EOT', () => {
    const model = tinyCaptioner(1);
    const images = randomImages(1, new Rng(0));
    const a = captions([[3, 4]]);
    const b = { ids: tf.tensor2d([[BOS, 3, 4, EOT, 9, 9, 9]], [1, 7], 'int32'), mask: a.mask };
    expect(model.loss({ image: images, text: b }).loss.dataSync()[0]).toBeCloseTo(model.loss({ image: images, text: a }).loss.dataSync()[0]!, 6);
  });

  it('names bad options and inputs', () => {
    const rng = new Rng(0);
    const decoder = new CaptionDecoder({ kind: 'caption-decoder', vocabSize: VOCAB, contextLength: CONTEXT, width: 8, depth: 1, heads: 2, contextDim: 16 }, rng);
    expect(() => new Captioner({ image: new PatchTokens(8, 4, 8, rng), decoder, bos: BOS, eot: EOT })).toThrow(/outputDim 8 must equal the decoder's contextDim 16/);
    const model = tinyCaptioner();
    expect(() => new Captioner({ image: model.image, decoder: model.decoder, bos: BOS, eot: VOCAB })).toThrow(/eot must be a token id in \[0, 12\), got 12/);
    expect(() => new CaptionDecoder({ kind: 'caption-decoder', vocabSize: VOCAB, contextLength: CONTEXT, width: 8, depth: 1, heads: 3, contextDim: 8 }, rng)).toThrow(/width must be divisible by heads/);
    const images = randomImages(2, rng);
    expect(() => model.greedy(images, { maxLength: CONTEXT + 1 })).toThrow(/maxLength must be an integer in \[1, 7\] \(the decoder's contextLength\), got 8/);
    expect(() => model.beamSearch(images, { beamSize: 0 })).toThrow(/beamSize must be a positive integer, got 0/);
    expect(() => model.loss({ image: images, text: captions([[3]]) })).toThrow(/1 images? for 2 captions|2 images for 1 captions/);
    expect(() => model.loss({ image: images, text: captions([[3], [4]], 9) })).toThrow(/ids must be \[B, T<=7\], got \[2, 8\]/);
    expect(() => model.encode('text' as 'image', images)).toThrow(/unknown modality 'text'. Known: image/);
  });

  it('overfits one batch below 10% of its initial loss; greedy decoding then reproduces the captions, and beam 1 equals greedy', async () => {
    const model = tinyCaptioner(3, 'patches', 2);
    const words = [[3, 4, 5], [6, 7], [8, 3, 9, 10], [11]];
    const images = randomImages(4, new Rng(7));
    const text = captions(words);
    const opt = new AdamW(model.namedVariables(), { weightDecay: 0 });
    const step = () => {
      const { loss, gradNorm } = opt.step(() => model.loss({ image: images, text }).loss, 1e-2);
      gradNorm.dispose();
      return readLoss(loss);
    };
    const first = await step();
    let last = first;
    for (let i = 0; i < 400 && last > 0.05 * first; i++) last = await step();
    expect(last).toBeLessThan(0.1 * first);
    const greedy = model.greedy(images);
    expect(greedy.map((c) => c.tokens)).toEqual(words);
    const beam1 = model.beamSearch(images, { beamSize: 1 });
    expect(beam1.map((c) => c.tokens)).toEqual(greedy.map((c) => c.tokens));
    beam1.forEach((c, i) => expect(c.logProb).toBeCloseTo(greedy[i]!.logProb, 4));
    const beam3 = model.beamSearch(images, { beamSize: 3, lengthPenalty: 0.6 });
    expect(beam3.map((c) => c.tokens)).toEqual(words);
    // The length limit cuts an unfinished caption.
    expect(model.greedy(images, { maxLength: 2 })[2]!.tokens).toEqual([8, 3]);
  });
});

describe('Captioner on ViT patch tokens', () => {
  it('attends to every token of a ViT through VitTokens, and gradients reach the patch embedding', () => {
    const rng = new Rng(4);
    const vit = new VisionTransformer({ kind: 'vit', imageSize: 8, patchSize: 4, channels: 3, width: 8, depth: 1, heads: 2, mlpRatio: 2, activation: 'quick-gelu', pool: 'cls' }, rng.fork());
    const tokens = new VitTokens(vit);
    const images = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const seen = tokens.apply(images);
    expect(seen.shape).toEqual([2, 5, 8]); // 4 patches + the class token
    seen.dispose();
    const decoder = new CaptionDecoder({ kind: 'caption-decoder', vocabSize: VOCAB, contextLength: CONTEXT, width: 8, depth: 1, heads: 2, contextDim: 8, mlpRatio: 2 }, rng.fork());
    const model = new Captioner({ image: tokens, decoder, bos: BOS, eot: EOT });
    const text = captions([[3, 4], [5]]);
    const patchWeight = vit.namedVariables().get('patch.proj.weight')!;
    const { value, grads } = tf.variableGrads(() => model.loss({ image: images, text }).loss, model.trainableVariables());
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(tf.sum(tf.abs(grads[patchWeight.name]!)).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads), images, text.ids, text.mask]);
    model.dispose();
  });
});
