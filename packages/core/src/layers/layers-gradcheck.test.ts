/**
 * Gradient checks of the layers: the tfjs gradient of sum(w * layer(inputs)) with respect to
 * every parameter and every float input, against central differences (step 1e-5) of a float64
 * plain-JS reference (fusion/test-float64-reference.ts), at batch 1 and 3. Weights are filled
 * with deterministicInit (sin patterns, biases and norms included) so no gradient is trivially 0.
 *
 * Tolerances: max relative error |tfjs - fd| / max(|fd|, 1e-2) < 1e-3 for gradients, i.e. an
 * absolute floor of 1e-5 where the float64 gradient is below 1e-2 (observed worst: 2e-5);
 * forward < 5e-5 on the same measure (observed up to 1e-5: float32 rounding through LayerNorm
 * and softmax).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ACT64, attention, linear, maskBias, mlp, sampleRows, transformerBlock, type Array64, type Mat, type Params64 } from '../fusion/test-float64-reference.js';
import { gradientCheck } from '../fusion/test-gradient-check.js';
import { Rng } from '../random/rng.js';
import { deterministicInit } from '../testing/deterministic-init.js';
import type { ActivationKind } from './activations.js';
import { causalBias, keyPaddingBias, MultiHeadAttention } from './attention.js';
import { LearnedPositions, PatchEmbedding, TokenEmbedding } from './embeddings.js';
import { Linear } from './linear.js';
import { Mlp } from './mlp.js';
import { Module } from './module.js';
import { TransformerBlock } from './transformer-block.js';

const GRAD_TOL = 1e-3;
const FORWARD_TOL = 5e-5;
const BATCHES = [1, 3] as const;

/** Puts a layer under the name 'm', so its parameters read 'm.weight', 'm.qkv.weight', ... as the float64 references expect. */
class Wrap<M extends Module> extends Module {
  constructor(readonly m: M) {
    super();
    this.child('m', m);
  }
}

function wrap<M extends Module>(m: M): Wrap<M> {
  const w = new Wrap(m);
  deterministicInit(w, 0.4);
  return w;
}

/** sin of a scaled range, in [-scale, scale]. */
function sinTensor(shape: number[], phase = 0, scale = 1): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, (_, i) => scale * Math.sin(0.9 * i + phase)), shape);
}

/** Runs the reference per sample of input `name` and concatenates the outputs. */
const perSample = (x: Array64, f: (rows: Mat, b: number) => Mat): number[] => {
  const out: number[] = [];
  for (let b = 0; b < x.shape[0]!; b++) out.push(...f(sampleRows(x, b), b).flat());
  return out;
};

function check(
  module: Module,
  inputs: Record<string, tf.Tensor>,
  apply: (inputs: Record<string, tf.Tensor>) => tf.Tensor,
  reference: (p: Params64, x: ReadonlyMap<string, Array64>) => ArrayLike<number>,
): void {
  const r = gradientCheck(module, inputs, apply, reference);
  expect(r.forward, 'forward').toBeLessThan(FORWARD_TOL);
  expect(r.gradient, r.worst).toBeLessThan(GRAD_TOL);
  expect(r.checked).toBeGreaterThan(0);
}

// Key-padding masks [B, T]: position 0 is always real, so no query row is fully masked (the
// float32 -1e9 bias would then give a uniform softmax that float64 resolves differently).
const MASK_ROWS = [[1, 1, 1, 0], [1, 1, 1, 1], [1, 0, 1, 0]];

describe('gradient checks (float64 finite differences)', () => {
  it('Linear, on [B, T, in] inputs', () => {
    for (const b of BATCHES) {
      const w = wrap(new Linear({ inFeatures: 4, outFeatures: 3 }, new Rng(0)));
      const x = sinTensor([b, 2, 4], 0.3);
      check(w, { x }, (i) => w.m.apply(i.x!), (p, i) => perSample(i.get('x')!, (rows) => linear(rows, p, 'm')));
      tf.dispose([x]);
      w.dispose();
    }
  });

  it('Mlp, for each activation', () => {
    for (const act of ['gelu', 'gelu-tanh', 'quick-gelu', 'relu'] as const satisfies readonly ActivationKind[]) {
      expect(ACT64[act]).toBeDefined();
      for (const b of BATCHES) {
        const w = wrap(new Mlp(4, 8, act, new Rng(1)));
        const x = sinTensor([b, 2, 4], 0.7, 1.5);
        check(w, { x }, (i) => w.m.apply(i.x!), (p, i) => perSample(i.get('x')!, (rows) => mlp(rows, p, 'm', act)));
        x.dispose();
        w.dispose();
      }
    }
  });

  it('MultiHeadAttention: self (no mask, causal, key padding, both) and cross (key padding)', () => {
    const t = 4;
    for (const b of BATCHES) {
      const masks = MASK_ROWS.slice(0, b);
      const maskT = tf.tensor2d(masks);
      const padding = keyPaddingBias(maskT); // [B, 1, 1, T]
      const causal = causalBias(t); // [1, 1, T, T]
      const both = tf.add(padding, causal);
      const cases: [string, tf.Tensor | undefined, (s: number, i: number, j: number) => number][] = [
        ['none', undefined, () => 0],
        ['causal', causal, (_, i, j) => (j > i ? -1e9 : 0)],
        ['padding', padding, (s, _, j) => maskBias(masks[s]![j]!)],
        ['causal+padding', both, (s, i, j) => (j > i ? -1e9 : 0) + maskBias(masks[s]![j]!)],
      ];
      for (const [, bias, refBias] of cases) {
        const w = wrap(new MultiHeadAttention({ dim: 8, heads: 2 }, new Rng(2)));
        const x = sinTensor([b, t, 8], 0.1);
        check(
          w,
          { x },
          (i) => w.m.apply(i.x as tf.Tensor3D, bias ? { bias } : {}),
          (p, i) => perSample(i.get('x')!, (rows, s) => attention(rows, p, 'm', 2, undefined, (qi, kj) => refBias(s, qi, kj))),
        );
        x.dispose();
        w.dispose();
      }
      // Cross-attention: 3 queries of width 8 attend to 4 context tokens of width 6, padding masked.
      const w = wrap(new MultiHeadAttention({ dim: 8, heads: 2, contextDim: 6 }, new Rng(3)));
      const x = sinTensor([b, 3, 8], 0.2);
      const context = sinTensor([b, t, 6], 1.1, 1.2);
      check(
        w,
        { x, context },
        (i) => w.m.apply(i.x as tf.Tensor3D, { context: i.context as tf.Tensor3D, bias: padding }),
        (p, i) => perSample(i.get('x')!, (rows, s) => attention(rows, p, 'm', 2, sampleRows(i.get('context')!, s), (_, kj) => maskBias(masks[s]![kj]!))),
      );
      tf.dispose([x, context, maskT, padding, causal, both]);
      w.dispose();
    }
  });

  it('TransformerBlock (pre-LN), without a mask and with causal + key-padding bias', () => {
    const t = 4;
    for (const b of BATCHES) {
      const masks = MASK_ROWS.slice(0, b);
      const maskT = tf.tensor2d(masks);
      const bias = tf.add(keyPaddingBias(maskT), causalBias(t));
      for (const masked of [false, true]) {
        const w = wrap(new TransformerBlock({ dim: 8, heads: 2, mlpRatio: 2, activation: 'gelu', depth: 2 }, new Rng(4)));
        const x = sinTensor([b, t, 8], 0.5);
        check(
          w,
          { x },
          (i) => w.m.apply(i.x as tf.Tensor3D, masked ? bias : undefined),
          (p, i) => perSample(i.get('x')!, (rows, s) =>
            transformerBlock(rows, p, 'm', 2, 'gelu', masked ? (qi, kj) => (kj > qi ? -1e9 : 0) + maskBias(masks[s]![kj]!) : undefined)),
        );
        x.dispose();
        w.dispose();
      }
      tf.dispose([maskT, bias]);
    }
  });

  it('TokenEmbedding, gradient with respect to the table (repeated ids accumulate)', () => {
    for (const b of BATCHES) {
      const w = wrap(new TokenEmbedding(5, 4, new Rng(5)));
      const idRows = [[1, 3, 1], [0, 4, 4], [2, 2, 2]].slice(0, b);
      const ids = tf.tensor2d(idRows, [b, 3], 'int32');
      check(w, {}, () => w.m.apply(ids), (p) => {
        const table = p.get('m.weight')!.data;
        return idRows.flat().flatMap((id) => Array.from(table.subarray(id * 4, id * 4 + 4)));
      });
      ids.dispose();
      w.dispose();
    }
  });

  it('LearnedPositions, with respect to the table and the input (T shorter than maxLength)', () => {
    for (const b of BATCHES) {
      const w = wrap(new LearnedPositions(5, 4, new Rng(6)));
      const x = sinTensor([b, 3, 4], 0.4);
      check(w, { x }, (i) => w.m.apply(i.x as tf.Tensor3D), (p, i) => {
        const table = p.get('m.weight')!.data;
        return perSample(i.get('x')!, (rows) => rows.map((row, tt) => row.map((v, d) => v + table[tt * 4 + d]!)));
      });
      x.dispose();
      w.dispose();
    }
  });

  it('PatchEmbedding, with respect to the projection and the image', () => {
    const [p, h, wd, c, dim] = [2, 4, 6, 2, 4];
    for (const b of BATCHES) {
      const w = wrap(new PatchEmbedding(p, c, dim, new Rng(7)));
      const images = sinTensor([b, h, wd, c], 0.6);
      check(w, { images }, (i) => w.m.apply(i.images as tf.Tensor4D), (params, i) => {
        const img = i.get('images')!.data;
        const out: number[] = [];
        for (let s = 0; s < b; s++) {
          const patches: Mat = [];
          for (let gy = 0; gy < h / p; gy++)
            for (let gx = 0; gx < wd / p; gx++) {
              const vec: number[] = []; // row-major within the patch, channels last
              for (let r = 0; r < p; r++)
                for (let cc = 0; cc < p; cc++)
                  for (let ch = 0; ch < c; ch++) vec.push(img[((s * h + gy * p + r) * wd + gx * p + cc) * c + ch]!);
              patches.push(vec);
            }
          out.push(...linear(patches, params, 'm.proj').flat());
        }
        return out;
      });
      images.dispose();
      w.dispose();
    }
  });

  it('leaves no tensors behind', () => {
    const w = wrap(new TransformerBlock({ dim: 8, heads: 2, mlpRatio: 2, activation: 'gelu', depth: 1 }, new Rng(8)));
    const x = sinTensor([2, 3, 8]);
    const run = () => check(w, { x }, (i) => w.m.apply(i.x as tf.Tensor3D), (p, i) => perSample(i.get('x')!, (rows) => transformerBlock(rows, p, 'm', 2, 'gelu')));
    run(); // warm-up
    const before = tf.memory().numTensors;
    run();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    w.dispose();
  });
});
