import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { assertAllClose } from '../testing/all-close.js';
import { clipLoss, LogitScale } from './clip-loss.js';
import { infoNceRef, unitRows } from './test-reference.js';

const referenceLoss = (img: number[][], txt: number[][], scale: number): number => infoNceRef(img, txt, scale).loss;

describe('clipLoss', () => {
  it('equals ln(B) when all embeddings are identical', () => {
    for (const b of [1, 2, 7]) {
      const x = tf.div(tf.ones([b, 4]), 2) as tf.Tensor2D;
      const { loss } = clipLoss(x, x, 10);
      expect(loss.dataSync()[0]).toBeCloseTo(Math.log(b), 5);
      tf.dispose([x, loss]);
    }
  });

  it('matches a float64 reference on random unit vectors (batch 1 and 3)', () => {
    const rng = new Rng(0);
    for (const b of [1, 3]) {
      const img = unitRows(rng, b, 5), txt = unitRows(rng, b, 5);
      const out = clipLoss(tf.tensor2d(img), tf.tensor2d(txt), 14.3);
      assertAllClose(out.loss.dataSync(), [referenceLoss(img, txt, 14.3)], { atol: 1e-5, rtol: 1e-5 }, 'loss');
      expect(out.logits.shape).toEqual([b, b]);
      tf.dispose(out as unknown as tf.Tensor[]);
    }
  });

  it('has gradients that match central finite differences of the reference (rel. error < 1e-3)', () => {
    const rng = new Rng(1);
    for (const b of [1, 3]) {
      const img = unitRows(rng, b, 4), txt = unitRows(rng, b, 4);
      const scale = 5;
      const [gImg, gTxt] = tf.grads((a: tf.Tensor, t: tf.Tensor) => clipLoss(a as tf.Tensor2D, t as tf.Tensor2D, scale).loss)([
        tf.tensor2d(img),
        tf.tensor2d(txt),
      ]);
      const h = 1e-6;
      for (const [which, g] of [['img', gImg!], ['txt', gTxt!]] as const) {
        const numeric: number[] = [];
        for (let i = 0; i < b; i++) {
          for (let k = 0; k < 4; k++) {
            const plus = (which === 'img' ? img : txt).map((r) => [...r]);
            const minus = (which === 'img' ? img : txt).map((r) => [...r]);
            plus[i]![k]! += h;
            minus[i]![k]! -= h;
            const f = (m: number[][]) => (which === 'img' ? referenceLoss(m, txt, scale) : referenceLoss(img, m, scale));
            numeric.push((f(plus) - f(minus)) / (2 * h));
          }
        }
        assertAllClose(g.dataSync(), numeric, { atol: 1e-4, rtol: 1e-3 }, `d loss / d ${which}`);
      }
      tf.dispose([gImg!, gTxt!]);
    }
  });

  it('stays finite for logits of +-1e4', () => {
    const a = tf.tensor2d([[1, 0], [0, 1]]);
    const b = tf.tensor2d([[0, 1], [1, 0]]); // every positive pair is orthogonal, every negative aligned
    const { loss } = clipLoss(a, b, 1e4);
    const v = loss.dataSync()[0]!;
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeCloseTo(1e4, 0);
    tf.dispose([a, b, loss]);
  });

  it('rejects mismatched shapes, naming both', () => {
    const a = tf.zeros([2, 3]) as tf.Tensor2D, b = tf.zeros([3, 3]) as tf.Tensor2D;
    expect(() => clipLoss(a, b, 1)).toThrow(/\[2, 3\] and \[3, 3\]/);
    tf.dispose([a, b]);
  });

  it('leaks no tensors', () => {
    const a = tf.randomNormal([4, 8]) as tf.Tensor2D;
    tf.dispose(clipLoss(a, a, 10) as unknown as tf.Tensor[]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(clipLoss(a, a, 10) as unknown as tf.Tensor[]);
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
  });
});

describe('LogitScale', () => {
  it('starts at 1/0.07 and the clamp holds at 100', () => {
    const s = new LogitScale();
    expect(s.value().dataSync()[0]).toBeCloseTo(1 / 0.07, 3);
    s.logScale.assign(tf.scalar(10));
    s.clamp();
    expect(s.value().dataSync()[0]).toBeCloseTo(100, 2);
    s.logScale.assign(tf.scalar(-3));
    s.clamp();
    expect(s.value().dataSync()[0]).toBeCloseTo(1, 5);
    s.dispose();
  });
  it('rejects an init above the clamp', () => {
    expect(() => new LogitScale({ init: 200, max: 100 })).toThrow(/0 < init <= max/);
  });
});
