import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { assertAllClose } from '../testing/all-close.js';
import { Sgd } from './sgd.js';

/** Float64 SGD as torch.optim.SGD documents it (dampening 0): b = mu b + (g + wd p); p -= lr (nesterov ? g' + mu b : b). */
function referenceSgd(p0: number[], gradOf: (p: number[]) => number[], steps: number, lr: number, mu: number, wd: number, nesterov: boolean): number[] {
  let p = [...p0], b = p.map(() => 0);
  for (let s = 0; s < steps; s++) {
    const g = gradOf(p).map((gi, j) => gi + wd * p[j]!);
    b = b.map((bi, j) => mu * bi + g[j]!);
    p = p.map((pi, j) => pi - lr * (nesterov ? g[j]! + mu * b[j]! : b[j]!));
  }
  return p;
}

const target = [0.3, 0.1, -0.2];
// d/dw sum((w - t)^2 * (1 + j)): a different curvature per coordinate.
const gradOf = (p: number[]) => p.map((pi, j) => 2 * (1 + j) * (pi - target[j]!));
const lossOf = (w: tf.Variable) => () => tf.sum(tf.mul(tf.square(tf.sub(w, tf.tensor1d(target))), tf.tensor1d([1, 2, 3]))) as tf.Scalar;

describe('Sgd', () => {
  for (const [name, mu, wd, nesterov] of [['momentum', 0.9, 0, false], ['momentum + decay', 0.8, 0.1, false], ['nesterov', 0.9, 0.05, true]] as const) {
    it(`matches a float64 reference over 3 steps (${name})`, () => {
      const w = tf.variable(tf.tensor1d([1, -2, 0.5]), true);
      const opt = new Sgd(new Map([['w', w]]), { momentum: mu, weightDecay: wd, nesterov });
      for (let s = 0; s < 3; s++) tf.dispose(Object.values(opt.step(lossOf(w), 0.05)));
      assertAllClose(w.dataSync(), referenceSgd([1, -2, 0.5], gradOf, 3, 0.05, mu, wd, nesterov), { atol: 1e-6, rtol: 1e-5 });
      expect(opt.stepCount).toBe(3);
      opt.dispose();
      w.dispose();
    });
  }

  it('clips by global norm, reporting the norm before clipping', () => {
    const w = tf.variable(tf.tensor1d([0, 0]), true);
    const opt = new Sgd(new Map([['w', w]]), { momentum: 0, clipNorm: 1 });
    const { loss, gradNorm } = opt.step(() => tf.sum(tf.mul(w, tf.tensor1d([300, 400]))) as tf.Scalar, 0.1);
    expect(gradNorm.dataSync()[0]).toBeCloseTo(500, 2);
    assertAllClose(w.dataSync(), [-0.06, -0.08], { atol: 1e-6 });
    tf.dispose([loss, gradNorm, w]);
    opt.dispose();
  });

  it('saves and restores its momentum; continues identically; refuses bad state', () => {
    const run = (restore: boolean) => {
      const w = tf.variable(tf.tensor1d([1, -2, 0.5]), true);
      const opt = new Sgd(new Map([['w', w]]), { momentum: 0.9 });
      for (let s = 0; s < 2; s++) tf.dispose(Object.values(opt.step(lossOf(w), 0.05)));
      if (restore) {
        const saved = Object.fromEntries(Object.entries(opt.stateTensors()).map(([k, t]) => [k, tf.clone(t)]));
        const other = new Sgd(new Map([['w', w]]), { momentum: 0.9 });
        other.loadState(saved, opt.stepCount);
        tf.dispose(Object.values(saved));
        tf.dispose(Object.values(other.step(lossOf(w), 0.05)));
        expect(() => other.loadState({}, 1)).toThrow(/missing 'm.w'/);
        expect(() => other.loadState({ 'm.w': tf.zeros([2]) }, 1)).toThrow(/'m.w' has shape \[2\] but the parameter is \[3\]/);
        other.dispose();
      } else {
        tf.dispose(Object.values(opt.step(lossOf(w), 0.05)));
      }
      opt.dispose();
      const out = Array.from(w.dataSync());
      w.dispose();
      return out;
    };
    assertAllClose(run(true), run(false), { atol: 1e-7 });
  });

  it('rejects bad hyper-parameters and a missing gradient', () => {
    const w = tf.variable(tf.tensor1d([1]), true);
    const u = tf.variable(tf.tensor1d([1]), true);
    expect(() => new Sgd(new Map([['w', w]]), { momentum: 1 })).toThrow(/momentum must be in \[0, 1\), got 1/);
    expect(() => new Sgd(new Map([['w', w]]), { momentum: 0, nesterov: true })).toThrow(/nesterov needs momentum/);
    const opt = new Sgd(new Map([['w', w], ['u', u]]));
    expect(() => opt.applyGradients({ [w.name]: tf.ones([1]) }, 0.1)).toThrow(/no gradient for parameter 'u'/);
    const before = tf.memory().numTensors;
    tf.dispose(Object.values(opt.step(() => tf.sum(tf.add(w, u)) as tf.Scalar, 0.1)));
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    tf.dispose([w, u]);
  });
});
