import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { assertAllClose } from '../testing/all-close.js';
import { tripletLoss, type TripletMetric } from './triplet-loss.js';
import {
  expectGradientClose,
  expectNoLeak,
  expectPairFixture,
  numericGradient,
  randomRows,
  scalarOf,
  tripletRef,
} from './test-reference.js';

const METRICS: TripletMetric[] = ['cosine', 'euclidean'];

describe('tripletLoss', () => {
  it('matches float64 PyTorch (fixtures/triplet.json): loss, both directions and d/d(a, b)', () => {
    expectPairFixture(
      'triplet.json',
      (a, b, p) => tripletLoss(a, b, { margin: scalarOf(p, 'margin'), metric: p['metric'] as TripletMetric }),
      ['loss', 'aToB', 'bToA'],
    );
  });

  it('has gradients matching central differences of the float64 reference (batch 1 and 3, both metrics)', () => {
    const rng = new Rng(7);
    for (const metric of METRICS) {
      for (const b of [1, 3]) {
        const x = randomRows(rng, b, 4), y = randomRows(rng, b, 4);
        const margin = metric === 'cosine' ? 0.5 : 1.5; // large enough that the hinges are active
        const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tripletLoss(p as tf.Tensor2D, q as tf.Tensor2D, { metric, margin }).loss)([tf.tensor2d(x), tf.tensor2d(y)]);
        if (b === 3) expect(tripletRef(x, y, margin, metric).loss).toBeGreaterThan(0);
        expectGradientClose(ga!, numericGradient((p) => tripletRef(p, y, margin, metric).loss, x), `${metric} B=${b} d/da`);
        expectGradientClose(gb!, numericGradient((q) => tripletRef(x, q, margin, metric).loss, y), `${metric} B=${b} d/db`);
        tf.dispose([ga!, gb!]);
      }
    }
  });

  it('is 0 for a batch of one (no negative) and when every positive wins by the margin', () => {
    const one = tf.tensor2d([[1, 2, 3]]);
    const sep = tf.tensor2d([[1, 0], [0, 1]]);
    for (const metric of METRICS) {
      const single = tripletLoss(one, one, { metric }), easy = tripletLoss(sep, sep, { metric, margin: 0.5 });
      expect(single.loss.dataSync()[0]).toBe(0);
      expect(easy.loss.dataSync()[0]).toBe(0);
      tf.dispose([...Object.values(single), ...Object.values(easy)]);
    }
    tf.dispose([one, sep]);
  });

  it('stays finite with distances and scores of +-1e4', () => {
    const a = tf.tensor2d([[1e4, 0], [0, 1e4]]);
    const b = tf.tensor2d([[0, 1e4], [1e4, 0]]); // each positive far, each negative identical
    for (const metric of METRICS) {
      const out = tripletLoss(a, b, { metric, margin: 0.2 });
      // cosine: 0.2 - 0 + 1; euclidean: 0.2 + 1e4 * sqrt(2) - 0
      const expected = metric === 'cosine' ? 1.2 : 0.2 + 1e4 * Math.SQRT2;
      assertAllClose(out.loss.dataSync(), [expected], { atol: 1e-4, rtol: 1e-5 }, `${metric} loss`);
      const g = tf.grad((x: tf.Tensor) => tripletLoss(x as tf.Tensor2D, b, { metric }).loss)(a);
      expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
      tf.dispose([g, ...Object.values(out)]);
    }
    tf.dispose([a, b]);
  });

  it('rejects mismatched inputs, an unknown metric and a negative margin', () => {
    const a = tf.zeros([2, 3]) as tf.Tensor2D, b = tf.zeros([3, 3]) as tf.Tensor2D;
    expect(() => tripletLoss(a, b)).toThrow(/tripletLoss: .*\[2, 3\] and \[3, 3\]/);
    expect(() => tripletLoss(a, a, { metric: 'dot' as TripletMetric })).toThrow(/metric must be 'cosine' or 'euclidean', got 'dot'/);
    expect(() => tripletLoss(a, a, { margin: -1 })).toThrow(/margin must be a finite number >= 0, got -1/);
    tf.dispose([a, b]);
  });

  it('leaks no tensors', () => {
    const a = tf.randomNormal([4, 8]) as tf.Tensor2D, b = tf.randomNormal([4, 8]) as tf.Tensor2D;
    for (const metric of METRICS) expectNoLeak(() => tripletLoss(a, b, { metric }) as unknown as tf.TensorContainer);
    tf.dispose([a, b]);
  });
});
