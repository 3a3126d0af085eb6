import { assertAllClose } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { zeroShotClassifier, zeroShotEvaluate } from './zero-shot.js';

const F32 = { atol: 1e-6, rtol: 1e-5 };
const CLASSES = ['cat', 'dog', 'owl'];

/**
 * A fake text tower: the class name picks an axis, the template adds a fixed offset on the
 * last axis and scales the whole vector, so normalising before averaging matters.
 */
const VECTORS: Record<string, number[]> = {
  'a {}': [1, 0, 0, 0.5],
  'a photo of a {}': [10, 0, 0, -5],
};
function fakeEmbed(texts: string[]): tf.Tensor2D {
  return tf.tensor2d(
    texts.map((t) => {
      const cls = CLASSES.findIndex((c) => t.endsWith(c));
      const template = t.replace(CLASSES[cls]!, '{}');
      const [scale, , , offset] = VECTORS[template]!;
      const row = [0, 0, 0, offset!];
      row[cls] = scale!;
      return row;
    }),
  );
}

describe('zeroShotClassifier', () => {
  it('averages L2-normalised template embeddings and renormalises', async () => {
    const w = await zeroShotClassifier(CLASSES, Object.keys(VECTORS), fakeEmbed);
    expect(w.shape).toEqual([3, 4]);
    // Template 1: (1, 0, 0, .5)/√1.25; template 2: (10, 0, 0, -5)/√125 = (2, 0, 0, -1)/√5.
    const a = [1 / Math.sqrt(1.25), 0.5 / Math.sqrt(1.25)];
    const b = [2 / Math.sqrt(5), -1 / Math.sqrt(5)];
    const mean = [(a[0]! + b[0]!) / 2, (a[1]! + b[1]!) / 2];
    const len = Math.hypot(mean[0]!, mean[1]!);
    assertAllClose(w.arraySync()[1]!, [0, mean[0]! / len, 0, mean[1]! / len], F32, 'dog');
    w.dispose();
  });

  it('one template, class of one: the normalised embedding; no leaks', async () => {
    const run = () => zeroShotClassifier(['owl'], ['a {}'], fakeEmbed);
    (await run()).dispose();
    const before = tf.memory().numTensors;
    const w = await run();
    assertAllClose(w.dataSync(), [0, 0, 1 / Math.sqrt(1.25), 0.5 / Math.sqrt(1.25)], F32, 'owl');
    w.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the problem in errors', async () => {
    await expect(zeroShotClassifier([], ['{}'], fakeEmbed)).rejects.toThrow(/classNames is empty/);
    await expect(zeroShotClassifier(['cat'], [], fakeEmbed)).rejects.toThrow(/templates is empty/);
    await expect(zeroShotClassifier(['cat'], ['a photo'], fakeEmbed)).rejects.toThrow(/templates\[0\] 'a photo' has no '\{\}'/);
    const before = tf.memory().numTensors;
    await expect(zeroShotClassifier(['cat', 'dog'], ['a {}'], (texts) => tf.zeros([texts.length + 1, 4]) as tf.Tensor2D)).rejects.toThrow(
      /returned shape \[2,4\] for 1 prompts; expected \[1, D\]/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('zeroShotEvaluate', () => {
  // Class embeddings: the axes of R^3. Each input's scores are its own coordinates.
  const classes = () => tf.eye(3) as tf.Tensor2D;

  it('5 inputs by hand: top-K, mean per-class recall, confusion, chance', () => {
    const x = tf.tensor2d([
      [0.9, 0.1, 0.0], // true 0, predicted 0              rank 1
      [0.2, 0.7, 0.1], // true 0, predicted 1              rank 2
      [0.1, 0.8, 0.1], // true 1, predicted 1              rank 1
      [0.5, 0.5, 0.0], // true 1, tie with 0: pessimistic  rank 2, argmax 0
      [0.3, 0.4, 0.2], // true 2, predicted 1              rank 3
    ]);
    const w = classes();
    const r = zeroShotEvaluate(x, w, [0, 0, 1, 1, 2], { ks: [2, 1] });
    expect(r.ranks).toEqual([1, 2, 1, 2, 3]);
    expect(r.topK).toEqual({ 1: 2 / 5, 2: 4 / 5 });
    // per-class top-1 recall: class 0: 1/2, class 1: 1/2, class 2: 0 -> mean 1/3
    assertAllClose([r.meanPerClassRecall], [1 / 3], F32, 'meanPerClassRecall');
    expect(r.confusion).toEqual([
      [1, 1, 0],
      [1, 1, 0],
      [0, 1, 0],
    ]);
    expect(r.chance.topK).toEqual({ 1: 1 / 3, 2: 2 / 3 });
    expect([r.n, r.classCount]).toEqual([5, 3]);
    tf.dispose([x, w]);
  });

  it('a constant model scores no better than the last rank; default ks = [1, 5]; no leaks', () => {
    const x = tf.ones([2, 3]) as tf.Tensor2D;
    const w = classes();
    zeroShotEvaluate(x, w, [0, 2]);
    const before = tf.memory().numTensors;
    const r = zeroShotEvaluate(x, w, [0, 2]);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.ranks).toEqual([3, 3]);
    expect(r.topK).toEqual({ 1: 0, 5: 1 });
    expect(r.chance.topK[5]).toBe(1);
    tf.dispose([x, w]);
  });

  it('end to end with the classifier from templates', async () => {
    const w = await zeroShotClassifier(CLASSES, Object.keys(VECTORS), fakeEmbed);
    const x = tf.tensor2d([[0, 0, 1, 0], [1, 0, 0, 0]]);
    const r = zeroShotEvaluate(x, w, [2, 0]);
    expect(r.topK[1]).toBe(1);
    tf.dispose([x, w]);
  });

  it('names the problem in errors', () => {
    const x = tf.ones([2, 3]) as tf.Tensor2D;
    const w = classes();
    expect(() => zeroShotEvaluate(x, w, [0])).toThrow(/labels has 1 entries but inputs has 2 rows/);
    expect(() => zeroShotEvaluate(x, w, [0, 3])).toThrow(/labels\[1\] is 3; expected an integer class index in \[0, 3\)/);
    expect(() => zeroShotEvaluate(x, w, [0, 1], { ks: [0] })).toThrow(/ks must be integers >= 1, received 0/);
    tf.dispose([x, w]);
  });
});
