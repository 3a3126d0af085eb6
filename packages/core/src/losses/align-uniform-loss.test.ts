import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { assertAllClose } from '../testing/all-close.js';
import { alignmentLoss, alignUniformLoss, uniformityLoss } from './align-uniform-loss.js';
import {
  alignmentRef,
  expectGradientClose,
  expectNoLeak,
  expectPairFixture,
  numericGradient,
  scalarOf,
  uniformityRef,
  unitRows,
} from './test-reference.js';

describe('alignUniformLoss', () => {
  it('matches float64 PyTorch (fixtures/align-uniform.json): loss, both terms and d/d(a, b)', () => {
    expectPairFixture(
      'align-uniform.json',
      (a, b, p) => alignUniformLoss(a, b, { alpha: scalarOf(p, 'alpha'), t: scalarOf(p, 't'), uniformityWeight: scalarOf(p, 'weight') }),
      ['loss', 'alignment', 'uniformity'],
    );
  });
});

describe('alignmentLoss', () => {
  it('has gradients matching central differences of the float64 reference (batch 1 and 3, alpha 2 and 1)', () => {
    const rng = new Rng(8);
    for (const alpha of [2, 1]) {
      for (const b of [1, 3]) {
        const x = unitRows(rng, b, 4), y = unitRows(rng, b, 4);
        const [gx, gy] = tf.grads((p: tf.Tensor, q: tf.Tensor) => alignmentLoss(p as tf.Tensor2D, q as tf.Tensor2D, alpha))([tf.tensor2d(x), tf.tensor2d(y)]);
        expectGradientClose(gx!, numericGradient((p) => alignmentRef(p, y, alpha), x), `alpha ${alpha} B=${b} d/da`);
        expectGradientClose(gy!, numericGradient((q) => alignmentRef(x, q, alpha), y), `alpha ${alpha} B=${b} d/db`);
        tf.dispose([gx!, gy!]);
      }
    }
  });

  it('is 0 with a finite gradient when the pairs coincide, and finite at distances of 1e4', () => {
    const x = tf.tensor2d([[0.6, 0.8], [1, 0]]);
    const g = tf.grad((p: tf.Tensor) => alignmentLoss(p as tf.Tensor2D, x))(x);
    const zero = alignmentLoss(x, x);
    expect(zero.dataSync()[0]).toBe(0);
    assertAllClose(g.dataSync(), [0, 0, 0, 0], {}, 'gradient at zero distance');
    const far = tf.mul(x, 1e4) as tf.Tensor2D, near = tf.neg(far) as tf.Tensor2D;
    const v = alignmentLoss(far, near);
    assertAllClose(v.dataSync(), [4e8], { atol: 0, rtol: 1e-6 }, 'alignment at 1e4'); // |2e4|^2
    tf.dispose([x, g, zero, far, near, v]);
  });
});

describe('uniformityLoss', () => {
  it('has gradients matching central differences of the float64 reference (batch 2 and 3, t 2 and 5)', () => {
    const rng = new Rng(9);
    for (const t of [2, 5]) {
      for (const b of [2, 3]) {
        const x = unitRows(rng, b, 4);
        const g = tf.grad((p: tf.Tensor) => uniformityLoss(p as tf.Tensor2D, t))(tf.tensor2d(x));
        expectGradientClose(g, numericGradient((p) => uniformityRef(p, t), x), `t ${t} B=${b} d/dx`);
        g.dispose();
      }
    }
  });

  it('is 0 for identical points and stays finite when points are far apart (potentials of -1e4 and below)', () => {
    const same = tf.tensor2d([[1, 0], [1, 0], [1, 0]]);
    const zero = uniformityLoss(same);
    assertAllClose(zero.dataSync(), [0], { atol: 1e-6 }, 'identical points');
    // Distances^2 of 5000 and 20000: exp(-2 d^2) underflows, its log does not have to.
    const far = tf.tensor2d([[50, 0], [-50, 0], [0, 50]]);
    const ref = uniformityRef([[50, 0], [-50, 0], [0, 50]]);
    const spread = uniformityLoss(far);
    assertAllClose(spread.dataSync(), [ref], { atol: 1e-3, rtol: 1e-6 }, 'far points');
    const g = tf.grad((p: tf.Tensor) => uniformityLoss(p as tf.Tensor2D))(far);
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([same, zero, far, spread, g]);
  });

  it('rejects a batch of one, a bad rank and bad hyper-parameters', () => {
    const one = tf.zeros([1, 3]) as tf.Tensor2D, two = tf.zeros([2, 3]) as tf.Tensor2D, other = tf.zeros([2, 4]) as tf.Tensor2D;
    const flat = tf.zeros([2]) as unknown as tf.Tensor2D;
    expect(() => uniformityLoss(one)).toThrow(/uniformityLoss: needs at least 2 rows to form a pair, got B=1/);
    expect(() => uniformityLoss(flat)).toThrow(/uniformityLoss: x must be \[B, E\], got \[2\]/);
    expect(() => uniformityLoss(two, 0)).toThrow(/t must be a finite number > 0, got 0/);
    expect(() => alignmentLoss(two, two, -1)).toThrow(/alpha must be a finite number > 0, got -1/);
    expect(() => alignmentLoss(two, other)).toThrow(/alignmentLoss: .*\[2, 3\] and \[2, 4\]/);
    expect(() => alignUniformLoss(two, two, { uniformityWeight: Number.NaN })).toThrow(/uniformityWeight must be finite/);
    tf.dispose([one, two, other, flat]);
  });

  it('leaks no tensors', () => {
    const a = tf.randomNormal([4, 8]) as tf.Tensor2D, b = tf.randomNormal([4, 8]) as tf.Tensor2D;
    expectNoLeak(() => alignUniformLoss(a, b) as unknown as tf.TensorContainer);
    expectNoLeak(() => alignmentLoss(a, b, 1));
    tf.dispose([a, b]);
  });
});
