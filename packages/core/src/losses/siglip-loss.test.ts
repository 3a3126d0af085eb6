import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { assertAllClose } from '../testing/all-close.js';
import { sigLipLoss, SigLipLoss } from './siglip-loss.js';
import {
  expectGradientClose,
  expectNoLeak,
  FIXTURE_TOL,
  loadFixture,
  matrixOf,
  numericDerivative,
  numericGradient,
  scalarOf,
  sigLipRef,
  unitRows,
  type Matrix,
} from './test-reference.js';

/** The loss as a function of (image, text, t, bias), so tf.grads reaches all four. */
const lossOf = (positives?: tf.Tensor2D) => (x: tf.Tensor, y: tf.Tensor, t: tf.Tensor, bias: tf.Tensor) =>
  sigLipLoss(x as tf.Tensor2D, y as tf.Tensor2D, tf.exp(t) as tf.Scalar, bias as tf.Scalar, positives === undefined ? {} : { positives }).loss;

describe('sigLipLoss', () => {
  it('matches float64 PyTorch (fixtures/siglip.json): loss and d/d(image, text, t, bias)', () => {
    const doc = loadFixture('siglip.json');
    for (const c of doc.cases) {
      const pos = tf.tensor2d(matrixOf(c.params, 'positives'));
      const inputs = [tf.tensor2d(matrixOf(c.inputs, 'image')), tf.tensor2d(matrixOf(c.inputs, 'text')), tf.scalar(scalarOf(c.inputs, 't')), tf.scalar(scalarOf(c.inputs, 'bias'))];
      const loss = lossOf(pos)(inputs[0]!, inputs[1]!, inputs[2]!, inputs[3]!);
      assertAllClose(loss.dataSync(), [scalarOf(c.outputs, 'loss')], FIXTURE_TOL, `${c.name}: loss`);
      const grads = tf.grads(lossOf(pos))(inputs);
      assertAllClose(grads[0]!.dataSync(), matrixOf(c.grads, 'image').flat(), FIXTURE_TOL, `${c.name}: d/dimage`);
      assertAllClose(grads[1]!.dataSync(), matrixOf(c.grads, 'text').flat(), FIXTURE_TOL, `${c.name}: d/dtext`);
      assertAllClose(grads[2]!.dataSync(), [scalarOf(c.grads, 't')], FIXTURE_TOL, `${c.name}: d/dt`);
      assertAllClose(grads[3]!.dataSync(), [scalarOf(c.grads, 'bias')], FIXTURE_TOL, `${c.name}: d/dbias`);
      tf.dispose([pos, loss, ...inputs, ...grads]);
    }
  });

  it('has gradients matching central differences of the float64 reference (batch 1 and 3)', () => {
    const rng = new Rng(2);
    const cases: Array<{ b: number; mask?: Matrix }> = [{ b: 1 }, { b: 3 }, { b: 3, mask: [[1, 0, 1], [0, 1, 0], [0, 1, 1]] }];
    for (const { b, mask } of cases) {
      const img = unitRows(rng, b, 4), txt = unitRows(rng, b, 4);
      const t = Math.log(4), bias = -1.5;
      const ref = (x: Matrix, y: Matrix, tt: number, bb: number) => sigLipRef(x, y, tt, bb, mask);
      const pos = mask === undefined ? undefined : tf.tensor2d(mask);
      const grads = tf.grads(lossOf(pos))([tf.tensor2d(img), tf.tensor2d(txt), tf.scalar(t), tf.scalar(bias)]);
      const what = `B=${b}${mask === undefined ? '' : ' multi-positive'}`;
      expectGradientClose(grads[0]!, numericGradient((x) => ref(x, txt, t, bias), img), `${what} d/dimage`);
      expectGradientClose(grads[1]!, numericGradient((y) => ref(img, y, t, bias), txt), `${what} d/dtext`);
      expectGradientClose(grads[2]!, [numericDerivative((tt) => ref(img, txt, tt, bias), t)], `${what} d/dt`);
      expectGradientClose(grads[3]!, [numericDerivative((bb) => ref(img, txt, t, bb), bias)], `${what} d/dbias`);
      tf.dispose([...grads, ...(pos === undefined ? [] : [pos])]);
    }
  });

  it('stays finite for logits of +-1e4, and so do its gradients', () => {
    const a = tf.tensor2d([[1, 0], [0, 1]]);
    const b = tf.tensor2d([[0, 1], [1, 0]]); // positives orthogonal (logit 0 + bias), negatives aligned (logit 1e4)
    for (const scale of [1e4, -1e4]) {
      const { loss, logits } = sigLipLoss(a, b, scale, 0);
      const v = loss.dataSync()[0]!;
      expect(Number.isFinite(v)).toBe(true);
      // +1e4: each negative costs softplus(1e4) = 1e4; -1e4: negatives are right, the positives cost ln 2 each.
      assertAllClose([v], [scale > 0 ? 1e4 + Math.log(2) : Math.log(2)], { atol: 1e-5, rtol: 1e-6 }, `loss at scale ${scale}`);
      const g = tf.grad((x: tf.Tensor) => sigLipLoss(x as tf.Tensor2D, b, scale, 0).loss)(a);
      expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
      tf.dispose([loss, logits, g]);
    }
    tf.dispose([a, b]);
  });

  it('rejects mismatched inputs and a mask of the wrong shape', () => {
    const a = tf.zeros([2, 3]) as tf.Tensor2D, b = tf.zeros([2, 4]) as tf.Tensor2D, m = tf.ones([3, 3]) as tf.Tensor2D;
    expect(() => sigLipLoss(a, b, 10, -10)).toThrow(/sigLipLoss: .*\[2, 3\] and \[2, 4\]/);
    expect(() => sigLipLoss(a, a, 10, -10, { positives: m })).toThrow(/sigLipLoss: positives must be \[B, B\] = \[2, 2\], got \[3, 3\]/);
    tf.dispose([a, b, m]);
  });

  it('leaks no tensors (function and class)', () => {
    const a = tf.randomNormal([4, 8]) as tf.Tensor2D;
    const module = new SigLipLoss();
    expectNoLeak(() => sigLipLoss(a, a, 10, -10) as unknown as tf.TensorContainer);
    expectNoLeak(() => module.apply(a, a) as unknown as tf.TensorContainer);
    module.dispose();
    a.dispose();
  });
});

describe('SigLipLoss', () => {
  it('starts at t = log 10, b = -10, and both receive the fixture gradients', () => {
    const doc = loadFixture('siglip.json');
    const c = doc.cases[0]!;
    const module = new SigLipLoss();
    expect([...module.namedVariables().keys()]).toEqual(['logScale', 'bias']);
    expect(module.logScale.dataSync()[0]).toBeCloseTo(Math.log(10), 6);
    expect(module.bias.dataSync()[0]).toBe(-10);
    const img = tf.tensor2d(matrixOf(c.inputs, 'image')), txt = tf.tensor2d(matrixOf(c.inputs, 'text'));
    const { value, grads } = tf.variableGrads(() => module.apply(img, txt).loss, module.trainableVariables());
    assertAllClose(value.dataSync(), [scalarOf(c.outputs, 'loss')], FIXTURE_TOL, 'loss');
    assertAllClose(grads[module.logScale.name]!.dataSync(), [scalarOf(c.grads, 't')], FIXTURE_TOL, 'd/dt');
    assertAllClose(grads[module.bias.name]!.dataSync(), [scalarOf(c.grads, 'bias')], FIXTURE_TOL, 'd/dbias');
    tf.dispose([img, txt, value, ...Object.values(grads)]);
    module.dispose();
  });

  it('clamps exp(t) into [1, maxScale] after a step, and rejects a bad init', () => {
    const module = new SigLipLoss({ maxScale: 50 });
    module.logScale.assign(tf.scalar(10));
    module.afterStep();
    const scale = module.scale();
    expect(scale.dataSync()[0]).toBeCloseTo(50, 2);
    tf.dispose([scale]);
    module.dispose();
    expect(() => new SigLipLoss({ scaleInit: 200 })).toThrow(/0 < scaleInit <= maxScale.*scaleInit=200/);
    expect(() => new SigLipLoss({ biasInit: Number.NaN })).toThrow(/biasInit must be finite/);
  });
});
