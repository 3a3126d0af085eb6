import { readFileSync } from 'node:fs';
import { Rng } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { toMatrix } from '../linalg/matrix.js';
import { knnProbe, topK } from './knn-probe.js';
import { linearProbe, splitRows } from './linear-probe.js';
import { fitLogisticRegression, logisticLoss, predictLogistic } from './logistic-regression.js';

/** |a-b| <= abs + rel*|b|; NaN and Infinity never pass. */
function expectClose(actual: number, expected: number, abs = 1e-6, rel = 1e-6): void {
  expect(Number.isFinite(actual), `actual ${actual} is not finite`).toBe(true);
  expect(Math.abs(actual - expected), `actual ${actual}, expected ${expected}`).toBeLessThanOrEqual(abs + rel * Math.abs(expected));
}

/** `perClass` points around each of `classes` centres (scaled one-hot axes), Gaussian noise `noise`. */
function clusters(classes: number, perClass: number, d: number, noise: number, seed: number): { embeddings: number[][]; labels: number[] } {
  const rng = new Rng(seed);
  const embeddings: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < perClass; i++) {
    for (let c = 0; c < classes; c++) {
      embeddings.push(Array.from({ length: d }, (_, j) => (j === c ? 4 : 0) + 1 + noise * rng.normal()));
      labels.push(c);
    }
  }
  return { embeddings, labels };
}

interface Split {
  x: number[][];
  y: number[];
}
interface LogisticFixture {
  train: Split;
  validation: Split;
  test: Split;
  sweep: { weightDecay: number; loss: number; trainAccuracy: number; validationAccuracy: number; testAccuracy: number; weights: number[][]; bias: number[] }[];
  chosenWeightDecay: number;
  testAccuracy: number;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/logistic.json', import.meta.url), 'utf8')) as LogisticFixture;

describe('topK', () => {
  it('orders by value, lower index first on ties', () => {
    expect(topK([0.1, 0.5, 0.3, 0.5, 0.9], 3)).toEqual([4, 1, 3]);
    expect(topK([1, 1, 1], 2)).toEqual([0, 1]);
    expect(topK([2], 5)).toEqual([0]);
  });
});

describe('knnProbe', () => {
  // Train points on the unit circle at 10, 20, 30, 40 degrees with labels 0, 1, 1, 0; the
  // query at 0 degrees, so the neighbour order is A(10), B(20), C(30), D(40).
  const deg = (a: number): number[] => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)];
  const train = { embeddings: [deg(10), deg(20), deg(30), deg(40)], labels: [0, 1, 1, 0] };
  const test = { embeddings: [deg(0)], labels: [0] };

  it('majority vote by hand, and the stated tie rule', () => {
    expect(Array.from(knnProbe(train, test, { k: 1 }).predictions)).toEqual([0]); // A
    expect(Array.from(knnProbe(train, test, { k: 3 }).predictions)).toEqual([1]); // A, B, C: 1 wins 2-1
    // k = 4: 2-2 tie; class 0's nearest member (A, position 0) precedes class 1's (B): 0.
    expect(Array.from(knnProbe(train, test, { k: 4 }).predictions)).toEqual([0]);
    // k above the training size is clamped.
    expect(knnProbe(train, test, { k: 10 }).k).toBe(4);
    // Equal similarities: the lower training index is the nearer neighbour.
    const dup = { embeddings: [[1, 0], [2, 0]], labels: [2, 1] }; // same direction, cosine equal
    expect(Array.from(knnProbe(dup, { embeddings: [[1, 0]], labels: [1] }, { k: 1 }).predictions)).toEqual([2]);
  });

  it('uses cosine, not Euclidean distance', () => {
    // [10, 0] is far in Euclidean distance from [1, 0.1] but nearly parallel to it.
    const t = { embeddings: [[10, 0], [0.5, 0.6]], labels: [0, 1] };
    expect(Array.from(knnProbe(t, { embeddings: [[1, 0.1]], labels: [0] }, { k: 1 }).predictions)).toEqual([0]);
  });

  it('separable clusters reach 100%; shuffled labels fall to chance', () => {
    const tr = clusters(4, 50, 8, 0.3, 1);
    const te = clusters(4, 100, 8, 0.3, 2);
    const r = knnProbe(tr, te, { k: 5 });
    expect(r.accuracy).toBe(1);
    expect(r.chance).toBeCloseTo(0.25, 10); // balanced: most frequent train class is class 0, 1/4 of test
    const shuffled = new Rng(3).shuffle([...tr.labels]);
    const s = knnProbe({ embeddings: tr.embeddings, labels: shuffled }, te, { k: 5 });
    // 400 test rows, chance 0.25, sd of a binomial share ~ 0.022: 0.25 +- 0.1 is > 4 sd.
    expect(Math.abs(s.accuracy - 0.25)).toBeLessThan(0.1);
  });

  it('accepts tensors and leaks none', () => {
    const tr = clusters(3, 5, 4, 0.3, 4);
    const x = tf.tensor2d(tr.embeddings);
    knnProbe({ embeddings: x, labels: tr.labels }, { embeddings: x, labels: tr.labels }, { k: 1 });
    const before = tf.memory().numTensors;
    const r = knnProbe({ embeddings: x, labels: tr.labels }, { embeddings: x, labels: tr.labels }, { k: 1 });
    expect(r.accuracy).toBe(1); // each row is its own nearest neighbour
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('rejects bad arguments with their names', () => {
    expect(() => knnProbe(train, test, { k: 0 })).toThrow(/k must be an integer >= 1, received 0/);
    expect(() => knnProbe({ embeddings: [[1, 0]], labels: [0, 1] }, test)).toThrow(/train\.labels has 2 entries but train\.embeddings has 1 rows/);
    expect(() => knnProbe({ embeddings: [[1, 0]], labels: [0.5] }, test)).toThrow(/train\.labels\[0\] is 0\.5/);
    expect(() => knnProbe(train, { embeddings: [[1, 0, 0]], labels: [0] })).toThrow(/share the embedding width, received d = 2 and 3/);
    expect(() => knnProbe(train, { embeddings: [[Number.NaN, 0]], labels: [0] })).toThrow(/test\.embeddings\[0\]\[0\] is NaN/);
  });
});

describe('fitLogisticRegression', () => {
  it('gradient matches central finite differences', () => {
    const x = toMatrix([[0.5, -1, 2], [1.5, 0.2, -0.3], [-1, 1, 0], [0.3, 0.3, 0.3]], 'x');
    const y = Int32Array.from([0, 2, 1, 2]);
    const rng = new Rng(5);
    const theta = Float64Array.from({ length: 12 }, () => rng.normal() * 0.5);
    const grad = new Float64Array(12);
    logisticLoss(x, y, 3, 0.1, theta, grad);
    const scratch = new Float64Array(12);
    const h = 1e-5;
    for (let k = 0; k < 12; k++) {
      const plus = Float64Array.from(theta);
      const minus = Float64Array.from(theta);
      plus[k]! += h;
      minus[k]! -= h;
      const numeric = (logisticLoss(x, y, 3, 0.1, plus, scratch) - logisticLoss(x, y, 3, 0.1, minus, scratch)) / (2 * h);
      expectClose(grad[k]!, numeric, 1e-8, 1e-6);
    }
  });

  it('matches sklearn LogisticRegression(multinomial, lbfgs) at every weight decay (fixture)', () => {
    // tools/reference/eval_reference.py probes_fixture(): 3 classes, d = 5, 150/60/90 rows,
    // features standardised with the training mean and population std; sklearn C = 1/(lambda*n).
    const tr = toMatrix(fixture.train.x, 'x');
    const mean = Array.from({ length: tr.cols }, (_, j) => fixture.train.x.reduce((s, row) => s + row[j]!, 0) / tr.rows);
    const std = mean.map((m, j) => Math.sqrt(fixture.train.x.reduce((s, row) => s + (row[j]! - m) ** 2, 0) / tr.rows));
    const z = (rows: number[][]) => toMatrix(rows.map((row) => row.map((v, j) => (v - mean[j]!) / std[j]!)), 'z');
    const y = Int32Array.from(fixture.train.y);
    for (const point of fixture.sweep) {
      const model = fitLogisticRegression(z(fixture.train.x), y, 3, point.weightDecay);
      // The objective is strictly convex in W (L2 penalty), so W is unique and is compared
      // directly. The bias is not (softmax ignores a shift shared by all classes), so it is not.
      expectClose(model.loss, point.loss, 1e-9, 1e-7);
      point.weights.forEach((row, j) => row.forEach((w, c) => expectClose(model.weights[j * 3 + c]!, w, 1e-4, 1e-4)));
      const predicted = predictLogistic(model, z(fixture.test.x));
      const acc = predicted.reduce((s, p, i) => s + (p === fixture.test.y[i] ? 1 : 0), 0) / predicted.length;
      expect(Math.abs(acc - point.testAccuracy)).toBeLessThanOrEqual(1 / 90 + 1e-12); // at most one test row flips
    }
  });

  it('rejects bad arguments', () => {
    const x = toMatrix([[1, 2]], 'x');
    expect(() => fitLogisticRegression(x, Int32Array.from([0]), 2, -1)).toThrow(/weightDecay must be a finite number >= 0, received -1/);
    expect(() => fitLogisticRegression(x, Int32Array.from([0]), 1, 0.1)).toThrow(/classCount must be an integer >= 2, received 1/);
    expect(() => fitLogisticRegression(x, Int32Array.from([0, 1]), 2, 0.1)).toThrow(/2 labels for 1 rows/);
  });
});

describe('linearProbe', () => {
  const train = { embeddings: fixture.train.x, labels: fixture.train.y };
  const validation = { embeddings: fixture.validation.x, labels: fixture.validation.y };
  const test = { embeddings: fixture.test.x, labels: fixture.test.y };

  it('agrees with the sklearn sweep: same chosen weight decay, test accuracy within 0.03', () => {
    const weightDecays = fixture.sweep.map((p) => p.weightDecay);
    const r = linearProbe(train, test, { seed: 0, validation, weightDecays });
    expect(r.weightDecay).toBe(fixture.chosenWeightDecay);
    expect(Math.abs(r.accuracy - fixture.testAccuracy)).toBeLessThanOrEqual(0.03);
    r.sweep.forEach((p, i) => expect(Math.abs(p.validationAccuracy - fixture.sweep[i]!.validationAccuracy)).toBeLessThanOrEqual(1 / 60 + 1e-12));
    expect(r.trainCount).toBe(150);
    expect(r.validationCount).toBe(60);
    expect(r.classCount).toBe(3);
  });

  it('separable clusters reach 100%; shuffled labels fall to chance', () => {
    const tr = clusters(4, 60, 8, 0.3, 11);
    const te = clusters(4, 100, 8, 0.3, 12);
    const r = linearProbe(tr, te, { seed: 1, weightDecays: [1e-4, 1e-2] });
    expect(r.accuracy).toBe(1);
    expect(r.chance).toBeCloseTo(0.25, 1); // the split makes train only roughly balanced
    const shuffled = { embeddings: tr.embeddings, labels: new Rng(13).shuffle([...tr.labels]) };
    const s = linearProbe(shuffled, te, { seed: 1, weightDecays: [1e-4, 1e-2, 1] });
    expect(Math.abs(s.accuracy - 0.25)).toBeLessThan(0.1); // 400 test rows, sd ~0.022
  });

  it('is deterministic per seed, and the seed only moves the train/validation split', () => {
    const tr = clusters(3, 30, 6, 1.5, 21);
    const te = clusters(3, 20, 6, 1.5, 22);
    const a = linearProbe(tr, te, { seed: 7, weightDecays: [1e-3, 1e-1] });
    const b = linearProbe(tr, te, { seed: 7, weightDecays: [1e-3, 1e-1] });
    expect(a).toEqual(b);
    const all = { x: toMatrix(tr.embeddings, 'x'), y: Int32Array.from(tr.labels) };
    const [t7, v7] = splitRows(all, 0.2, 7);
    const [, v8] = splitRows(all, 0.2, 8);
    expect(t7.x.rows + v7.x.rows).toBe(90);
    expect(v7.x.rows).toBe(18);
    expect(Array.from(v7.x.data)).not.toEqual(Array.from(v8.x.data));
  });

  it('never looks at the test split before the final score (no data leak)', () => {
    const weightDecays = [1e-3, 1e-1, 1];
    const r = linearProbe(train, test, { seed: 0, validation, weightDecays });
    // Scramble test: different rows, scale and labels. Selection and training are unchanged.
    const rng = new Rng(9);
    const noise = { embeddings: fixture.test.x.map((row) => row.map(() => 100 * rng.normal())), labels: fixture.test.y.map(() => rng.int(3)) };
    const s = linearProbe(train, noise, { seed: 0, validation, weightDecays });
    expect(s.sweep).toEqual(r.sweep);
    expect(s.weightDecay).toBe(r.weightDecay);
  });

  it('accepts tensors and leaks none', () => {
    const x = tf.tensor2d(fixture.train.x);
    const opts = { seed: 0, weightDecays: [1e-2] };
    linearProbe({ embeddings: x, labels: fixture.train.y }, test, opts);
    const before = tf.memory().numTensors;
    linearProbe({ embeddings: x, labels: fixture.train.y }, test, opts);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('rejects bad arguments', () => {
    expect(() => linearProbe(train, test, { seed: 0, weightDecays: [] })).toThrow(/weightDecays is empty/);
    expect(() => linearProbe(train, test, { seed: 0, validationFraction: 1.5 })).toThrow(/validationFraction must be in \(0, 1\), received 1\.5/);
    expect(() => linearProbe({ embeddings: [[1], [2]], labels: [0, 1] }, test, { seed: 0, validationFraction: 0.1 })).toThrow(/leaves an empty split/);
    expect(() => linearProbe(train, { embeddings: [[1, 2]], labels: [0] }, { seed: 0 })).toThrow(/share the embedding width/);
  });
});
