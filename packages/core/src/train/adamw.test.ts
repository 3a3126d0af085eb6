import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { assertAllClose } from '../testing/all-close.js';
import { AdamW, defaultNoDecay } from './adamw.js';

/** Float64 AdamW with decoupled decay, written from Loshchilov & Hutter (2019), Algorithm 2. */
function referenceAdamW(p: number[], grads: number[][], lr: number, wd: number, b1 = 0.9, b2 = 0.98, eps = 1e-6): number[] {
  let m = p.map(() => 0), v = p.map(() => 0), x = [...p];
  grads.forEach((g, i) => {
    const t = i + 1;
    m = m.map((mi, j) => b1 * mi + (1 - b1) * g[j]!);
    v = v.map((vi, j) => b2 * vi + (1 - b2) * g[j]! ** 2);
    x = x.map((xi, j) => xi * (1 - lr * wd) - (lr * (m[j]! / (1 - b1 ** t))) / (Math.sqrt(v[j]! / (1 - b2 ** t)) + eps));
  });
  return x;
}

describe('AdamW', () => {
  it('matches a float64 reference over 3 steps of a quadratic loss', () => {
    const w = tf.variable(tf.tensor1d([1, -2, 0.5]), true, 'w');
    const opt = new AdamW(new Map([['w', w]]), { weightDecay: 0.1 });
    const target = [0.3, 0.1, -0.2];
    const grads: number[][] = [];
    for (let s = 0; s < 3; s++) {
      const cur = Array.from(w.dataSync());
      grads.push(cur.map((c, j) => 2 * (c - target[j]!))); // d/dw sum((w - t)^2)
      const { loss, gradNorm } = opt.step(() => tf.sum(tf.square(tf.sub(w, tf.tensor1d(target)))) as tf.Scalar, 0.05);
      tf.dispose([loss, gradNorm]);
    }
    assertAllClose(w.dataSync(), referenceAdamW([1, -2, 0.5], grads, 0.05, 0.1), { atol: 1e-6, rtol: 1e-5 });
    expect(opt.stepCount).toBe(3);
    opt.dispose();
    w.dispose();
  });

  it('clips by global norm: a huge gradient moves parameters no more than a unit one', () => {
    const run = (scale: number) => {
      const w = tf.variable(tf.tensor1d([0, 0]), true);
      const opt = new AdamW(new Map([['w', w]]), { weightDecay: 0, clipNorm: 1 });
      const { loss, gradNorm } = opt.step(() => tf.sum(tf.mul(w, tf.tensor1d([3 * scale, 4 * scale]))) as tf.Scalar, 0.1);
      const norm = gradNorm.dataSync()[0]!;
      const out = Array.from(w.dataSync());
      tf.dispose([loss, gradNorm, w]);
      opt.dispose();
      return { norm, out };
    };
    const big = run(1000), small = run(1);
    expect(big.norm).toBeCloseTo(5000, 1); // reported before clipping
    assertAllClose(big.out, small.out, { atol: 1e-6 });
  });

  it('saves and restores its moments; refuses a state missing a parameter', () => {
    const w = tf.variable(tf.tensor1d([1, 2]), true);
    const opt = new AdamW(new Map([['w', w]]));
    tf.dispose(Object.values(opt.step(() => tf.sum(tf.square(w)) as tf.Scalar, 0.1)));
    const saved = Object.fromEntries(Object.entries(opt.stateTensors()).map(([k, t]) => [k, tf.clone(t)]));
    const other = new AdamW(new Map([['w', w]]));
    other.loadState(saved, opt.stepCount);
    assertAllClose(other.stateTensors()['m.w']!.dataSync(), opt.stateTensors()['m.w']!.dataSync());
    expect(() => other.loadState({}, 1)).toThrow(/missing 'm.w'/);
    tf.dispose(Object.values(saved));
  });

  it('excludes norms, biases, positions, class tokens and the temperature from weight decay', () => {
    for (const n of ['image.blocks.0.ln1.weight', 'text.lnFinal.bias', 'image.pos.weight', 'image.cls', 'logitScale.logScale', 'imageProjection.bias']) {
      expect(defaultNoDecay(n), n).toBe(true);
    }
    for (const n of ['image.blocks.0.attn.qkv.weight', 'text.embed.weight', 'imageProjection.weight']) expect(defaultNoDecay(n), n).toBe(false);
  });
});

describe('optimizer state', () => {
  it('AdamW and Sgd hold exactly their moment variables and free them on dispose', async () => {
    const { Sgd } = await import('./sgd.js');
    const w = tf.variable(tf.zeros([3, 2]), true);
    const b = tf.variable(tf.zeros([2]), true);
    const params = new Map([['w', w], ['b', b]]);
    const before = tf.memory().numTensors;
    const adam = new AdamW(params);
    expect(tf.memory().numTensors - before).toBe(4); // m and v per parameter, nothing else
    adam.dispose();
    const sgd = new Sgd(params, { momentum: 0.9 });
    expect(tf.memory().numTensors - before).toBe(2);
    sgd.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, b]);
  });
});
