import { Rng } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { retrievalAllPairs } from './all-pairs.js';
import { rankRetrieval } from './rank-retrieval.js';

/** n x d rows of N(0, 1) from `seed`, L2-normalised. */
function randomUnit(n: number, d: number, seed: number): tf.Tensor2D {
  const rng = new Rng(seed);
  const x = tf.tensor2d(rng.normalArray(n * d, 1, false), [n, d]);
  const out = tf.tidy(() => tf.div(x, tf.norm(x, 2, 1, true)) as tf.Tensor2D);
  x.dispose();
  return out;
}

describe('retrievalAllPairs', () => {
  const image = randomUnit(6, 8, 1);
  const text = randomUnit(6, 8, 2);
  const audio = randomUnit(6, 8, 3);
  afterAll(() => tf.dispose([image, text, audio]));

  it('scores both directions of every pair of 3 modalities, keys sorted, each equal to rankRetrieval', () => {
    // Built out of order on purpose: the output must not depend on insertion order.
    const out = retrievalAllPairs({ text, image, audio }, { ks: [1, 3] });
    expect(Object.keys(out)).toEqual(['audio->image', 'audio->text', 'image->audio', 'image->text', 'text->audio', 'text->image']);
    const identity = Array.from({ length: 6 }, (_, i) => [i]);
    const byName = { image, text, audio };
    for (const [key, result] of Object.entries(out)) {
      const [q, g] = key.split('->') as [keyof typeof byName, keyof typeof byName];
      expect(result).toEqual(rankRetrieval(byName[q], byName[g], identity, { ks: [1, 3] }));
      expect(Object.keys(result.recall)).toEqual(['1', '3']);
      expect(result.n).toBe(6);
    }
  });

  it('a modality that is a copy of another retrieves perfectly (R@1 = 1, MRR = mAP = 1)', () => {
    const copy = image.clone();
    const out = retrievalAllPairs({ image, text: copy });
    expect(Object.keys(out)).toEqual(['image->text', 'text->image']);
    for (const r of Object.values(out)) {
      expect(r.recall[1]).toBe(1);
      expect(r.recall[10]).toBe(1);
      expect(r.mrr).toBe(1);
      expect(r.map).toBe(1);
      expect(r.medianRank).toBe(1);
      expect(r.chance.recall[1]).toBeCloseTo(1 / 6, 12);
    }
    copy.dispose();
  });

  it('scores only the requested pairs, both directions, deduplicated', () => {
    const out = retrievalAllPairs({ image, text, audio }, { pairs: [['text', 'image'], ['image', 'text'], ['audio', 'image']], ks: [1] });
    expect(Object.keys(out)).toEqual(['audio->image', 'image->audio', 'image->text', 'text->image']);
  });

  it('names mis-sized modalities', () => {
    const short = randomUnit(5, 8, 4);
    const long = randomUnit(7, 8, 5);
    expect(() => retrievalAllPairs({ image, text, audio: short })).toThrow(
      /paired row for row \(row i is the same item\), but audio has 5 rows where image, text have 6/,
    );
    expect(() => retrievalAllPairs({ image, text, audio: short, video: long })).toThrow(/audio has 5 rows, video has 7 rows where image, text have 6/);
    // Only the modalities a requested pair uses must agree.
    expect(Object.keys(retrievalAllPairs({ image, text, audio: short }, { pairs: [['image', 'text']] }))).toEqual(['image->text', 'text->image']);
    tf.dispose([short, long]);
  });

  it('rejects bad modalities and pairs with a clear message', () => {
    expect(() => retrievalAllPairs({ image })).toThrow(/need at least 2 modalities, received 1 \(image\)/);
    expect(() => retrievalAllPairs({ image, text }, { pairs: [['image', 'vidoe']] })).toThrow(/unknown modality 'vidoe' in pairs\[0\]\. Present: image, text/);
    expect(() => retrievalAllPairs({ image, text }, { pairs: [['image', 'image']] })).toThrow(/pairs\[0\] pairs 'image' with itself/);
    expect(() => retrievalAllPairs({ image, text }, { pairs: [] })).toThrow(/pairs must be 'all' or a non-empty array/);
    const wide = randomUnit(6, 4, 6);
    expect(() => retrievalAllPairs({ image, text: wide })).toThrow(/retrievalAllPairs 'image->text': rankRetrieval: queries \[6,8\] and gallery \[6,4\] differ in embedding size/);
    wide.dispose();
  });

  it('leaks no tensors', () => {
    retrievalAllPairs({ image, text, audio }, { chunkSize: 4 });
    const before = tf.memory().numTensors;
    retrievalAllPairs({ image, text, audio }, { chunkSize: 4 });
    expect(tf.memory().numTensors).toBe(before);
  });
});
