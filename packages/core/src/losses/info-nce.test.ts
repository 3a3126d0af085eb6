import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { assertAllClose } from '../testing/all-close.js';
import { clipLoss } from './clip-loss.js';
import { infoNce, InfoNceLoss } from './info-nce.js';
import {
  expectGradientClose,
  expectNoLeak,
  FIXTURE_TOL,
  infoNceRef,
  loadFixture,
  matrixOf,
  numericDerivative,
  numericGradient,
  scalarOf,
  unitRows,
  type Matrix,
} from './test-reference.js';

const MULTI: Matrix = [
  [1, 1, 0, 0],
  [0, 1, 0, 0],
  [0, 0, 1, 1],
  [0, 0, 0, 1],
];

describe('infoNce', () => {
  it('equals ln(B) when all embeddings are identical, with one or several positives', () => {
    for (const b of [1, 2, 4]) {
      const x = tf.div(tf.ones([b, 4]), 2) as tf.Tensor2D;
      const mask = tf.ones([b, b]) as tf.Tensor2D;
      for (const out of [infoNce(x, x, 10), infoNce(x, x, 10, { positives: mask })]) {
        assertAllClose(out.loss.dataSync(), [Math.log(b)], { atol: 1e-5, rtol: 1e-5 }, `loss at B=${b}`);
        tf.dispose(out as unknown as tf.Tensor[]);
      }
      tf.dispose([x, mask]);
    }
  });

  it('is clipLoss with the default identity mask', () => {
    const rng = new Rng(3);
    const a = tf.tensor2d(unitRows(rng, 3, 5)), b = tf.tensor2d(unitRows(rng, 3, 5));
    const ours = infoNce(a, b, 12), theirs = clipLoss(a, b, 12);
    assertAllClose(ours.loss.dataSync(), theirs.loss.dataSync(), { atol: 1e-6, rtol: 1e-6 }, 'loss');
    assertAllClose(ours.aToB.dataSync(), theirs.imageToText.dataSync(), { atol: 1e-6, rtol: 1e-6 }, 'aToB');
    tf.dispose([a, b, ...Object.values(ours), ...Object.values(theirs)]);
  });

  it('matches float64 PyTorch (fixtures/info-nce.json): loss, both directions and d/d(a, b, scale)', () => {
    const doc = loadFixture('info-nce.json');
    for (const c of doc.cases) {
      const mask = tf.tensor2d(matrixOf(c.params, 'positives'));
      const a = tf.tensor2d(matrixOf(c.inputs, 'a')), b = tf.tensor2d(matrixOf(c.inputs, 'b'));
      const scale = tf.scalar(scalarOf(c.inputs, 'scale'));
      const out = infoNce(a, b, scale, { positives: mask });
      for (const k of ['loss', 'aToB', 'bToA'] as const) assertAllClose(out[k].dataSync(), [scalarOf(c.outputs, k)], FIXTURE_TOL, `${c.name}: ${k}`);
      const grads = tf.grads((x: tf.Tensor, y: tf.Tensor, s: tf.Tensor) => infoNce(x as tf.Tensor2D, y as tf.Tensor2D, s as tf.Scalar, { positives: mask }).loss)([a, b, scale]);
      assertAllClose(grads[0]!.dataSync(), matrixOf(c.grads, 'a').flat(), FIXTURE_TOL, `${c.name}: d/da`);
      assertAllClose(grads[1]!.dataSync(), matrixOf(c.grads, 'b').flat(), FIXTURE_TOL, `${c.name}: d/db`);
      assertAllClose(grads[2]!.dataSync(), [scalarOf(c.grads, 'scale')], FIXTURE_TOL, `${c.name}: d/dscale`);
      tf.dispose([mask, a, b, scale, ...grads, ...Object.values(out)]);
    }
  });

  it('has gradients matching central differences of the float64 reference (batch 1 and 3, one and several positives)', () => {
    const rng = new Rng(1);
    const cases: Array<{ b: number; mask?: Matrix }> = [{ b: 1 }, { b: 3 }, { b: 3, mask: [[1, 1, 0], [0, 1, 0], [1, 0, 1]] }];
    for (const { b, mask } of cases) {
      const a = unitRows(rng, b, 4), t = unitRows(rng, b, 4);
      const s = 5;
      const ref = (x: Matrix, y: Matrix, sc: number) => infoNceRef(x, y, sc, mask).loss;
      const pos = mask === undefined ? undefined : tf.tensor2d(mask);
      const opts = pos === undefined ? {} : { positives: pos };
      const [ga, gb, gs] = tf.grads((x: tf.Tensor, y: tf.Tensor, sc: tf.Tensor) => infoNce(x as tf.Tensor2D, y as tf.Tensor2D, sc as tf.Scalar, opts).loss)([
        tf.tensor2d(a),
        tf.tensor2d(t),
        tf.scalar(s),
      ]);
      const what = `B=${b}${mask === undefined ? '' : ' multi-positive'}`;
      expectGradientClose(ga!, numericGradient((x) => ref(x, t, s), a), `${what} d/da`);
      expectGradientClose(gb!, numericGradient((y) => ref(a, y, s), t), `${what} d/db`);
      expectGradientClose(gs!, [numericDerivative((sc) => ref(a, t, sc), s)], `${what} d/dscale`);
      tf.dispose([ga!, gb!, gs!, ...(pos === undefined ? [] : [pos])]);
    }
  });

  it('skips a row or column without positives instead of producing NaN', () => {
    const rng = new Rng(4);
    const a = unitRows(rng, 3, 4), b = unitRows(rng, 3, 4);
    const mask: Matrix = [[1, 1, 0], [0, 0, 0], [0, 0, 1]]; // row 1 and column 0 have no positive
    const pos = tf.tensor2d(mask), ta = tf.tensor2d(a), tb = tf.tensor2d(b);
    const out = infoNce(ta, tb, 8, { positives: pos });
    const ref = infoNceRef(a, b, 8, mask);
    assertAllClose([out.aToB.dataSync()[0]!, out.bToA.dataSync()[0]!], [ref.aToB, ref.bToA], { atol: 1e-5, rtol: 1e-5 }, 'directions');
    tf.dispose([pos, ta, tb, ...Object.values(out)]);
  });

  it('stays finite for logits of +-1e4, with one or several positives', () => {
    const a = tf.tensor2d([[1, 0], [0, 1]]);
    const b = tf.tensor2d([[0, 1], [1, 0]]); // every positive pair orthogonal, every negative aligned
    const all = tf.ones([2, 2]) as tf.Tensor2D;
    const single = infoNce(a, b, 1e4), multi = infoNce(a, b, 1e4, { positives: all });
    expect(single.loss.dataSync()[0]).toBeCloseTo(1e4, 0);
    expect(multi.loss.dataSync()[0]).toBeCloseTo(5e3, 0); // half of each row's target sits on the aligned negative
    const g = tf.grad((x: tf.Tensor) => infoNce(x as tf.Tensor2D, b, 1e4).loss)(a);
    assertAllClose(g.dataSync(), [5e3, -5e3, -5e3, 5e3], { atol: 1, rtol: 1e-4 }, 'gradient at 1e4');
    const flipped = infoNce(a, b, -1e4); // negatives now win by 1e4: the loss vanishes, still finite
    assertAllClose(flipped.loss.dataSync(), [0], { atol: 1e-6 }, 'loss at -1e4');
    tf.dispose([a, b, all, g, ...Object.values(single), ...Object.values(multi), ...Object.values(flipped)]);
  });

  it('rejects mismatched inputs and a mask of the wrong shape, naming the shapes', () => {
    const a = tf.zeros([2, 3]) as tf.Tensor2D, b = tf.zeros([3, 3]) as tf.Tensor2D, m = tf.ones([2, 3]) as tf.Tensor2D;
    expect(() => infoNce(a, b, 1)).toThrow(/infoNce: .*\[2, 3\] and \[3, 3\]/);
    expect(() => infoNce(a, a, 1, { positives: m })).toThrow(/positives must be \[B, B\] = \[2, 2\], got \[2, 3\]/);
    tf.dispose([a, b, m]);
  });

  it('leaks no tensors (function and class)', () => {
    const a = tf.randomNormal([4, 8]) as tf.Tensor2D, m = tf.ones([4, 4]) as tf.Tensor2D;
    const module = new InfoNceLoss();
    expectNoLeak(() => infoNce(a, a, 10, { positives: m }) as unknown as tf.TensorContainer);
    expectNoLeak(() => module.apply(a, a, m) as unknown as tf.TensorContainer);
    module.dispose();
    tf.dispose([a, m]);
  });
});

describe('InfoNceLoss', () => {
  it('owns a learnable temperature that receives a gradient, and clamps it at 100', () => {
    const rng = new Rng(5);
    const a = tf.tensor2d(unitRows(rng, 3, 4)), b = tf.tensor2d(unitRows(rng, 3, 4));
    const module = new InfoNceLoss();
    expect([...module.namedVariables().keys()]).toEqual(['logitScale.logScale']);
    const { value, grads } = tf.variableGrads(() => module.apply(a, b).loss, module.trainableVariables());
    const g = grads[module.logitScale.logScale.name]!;
    expect(Number.isFinite(g.dataSync()[0]!) && g.dataSync()[0] !== 0).toBe(true);
    module.logitScale.logScale.assign(tf.scalar(9));
    module.afterStep();
    expect(module.logitScale.value().dataSync()[0]).toBeCloseTo(100, 2);
    tf.dispose([a, b, value, ...Object.values(grads)]);
    module.dispose();
  });
});
