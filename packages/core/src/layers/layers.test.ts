import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { assertAllClose } from '../testing/all-close.js';
import { gelu, geluTanh, quickGelu } from './activations.js';
import { causalBias, keyPaddingBias, MultiHeadAttention } from './attention.js';
import { PatchEmbedding } from './embeddings.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';
import { TransformerBlock } from './transformer-block.js';

function leakFree(fn: () => void): void {
  fn(); // warm-up: kernels may cache constants on first use
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) fn();
  expect(tf.memory().numTensors).toBe(before);
}

describe('Linear', () => {
  it('maps [..., in] to [..., out] at batch 1 and 2', () => {
    const lin = new Linear({ inFeatures: 3, outFeatures: 5 }, new Rng(0));
    for (const shape of [[1, 3], [2, 3], [2, 4, 3]]) {
      const y = lin.apply(tf.ones(shape));
      expect(y.shape).toEqual([...shape.slice(0, -1), 5]);
      y.dispose();
    }
    const input = tf.ones([2, 3]);
    leakFree(() => tf.dispose(lin.apply(input)));
    lin.dispose();
  });
  it('computes x W + b', () => {
    const lin = new Linear({ inFeatures: 2, outFeatures: 1 }, new Rng(0));
    lin.weight.assign(tf.tensor2d([[2], [3]]));
    lin.bias!.assign(tf.tensor1d([1]));
    expect(Array.from(lin.apply(tf.tensor2d([[1, 1], [0, 2]])).dataSync())).toEqual([6, 7]);
    lin.dispose();
  });
  it('names the expected width in its error', () => {
    const lin = new Linear({ inFeatures: 4, outFeatures: 2 }, new Rng(0));
    expect(() => lin.apply(tf.zeros([2, 3]))).toThrow(/expected last axis 4, got shape \[2, 3\]/);
    expect(() => new Linear({ inFeatures: 0, outFeatures: 2 }, new Rng(0))).toThrow(/inFeatures must be a positive integer/);
    lin.dispose();
  });
});

describe('LayerNorm', () => {
  it('matches a float64 reference, forward and gradient by finite differences', () => {
    const ln = new LayerNorm(4);
    ln.gamma.assign(tf.tensor1d([1, 2, 0.5, -1]));
    ln.beta.assign(tf.tensor1d([0, 1, 0, 0.5]));
    const x = [[0.3, -1.2, 2.0, 0.7], [1, 1, 1, 1.5]];
    const g = [1, 2, 0.5, -1], b = [0, 1, 0, 0.5];
    const ref = (row: number[]) => {
      const m = row.reduce((s, v) => s + v, 0) / row.length;
      const v = row.reduce((s, u) => s + (u - m) ** 2, 0) / row.length;
      return row.map((u, i) => ((u - m) / Math.sqrt(v + 1e-5)) * g[i]! + b[i]!);
    };
    assertAllClose(ln.apply(tf.tensor2d(x)).dataSync(), x.flatMap(ref), { atol: 1e-5, rtol: 1e-5 });
    // d/dx of sum(w * LN(x)) with fixed weights w.
    const w = [0.1, -0.4, 0.9, 0.3];
    const f = (row: number[]) => ref(row).reduce((s, y, i) => s + y * w[i]!, 0);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(ln.apply(t), tf.tensor1d(w))))(tf.tensor2d(x));
    const h = 1e-6;
    const numeric = x.flatMap((row) => row.map((_, i) => {
      const p = [...row], m = [...row];
      p[i]! += h; m[i]! -= h;
      return (f(p) - f(m)) / (2 * h);
    }));
    assertAllClose(grad.dataSync(), numeric, { atol: 1e-4, rtol: 1e-3 });
    const input = tf.ones([2, 4]);
    leakFree(() => tf.dispose(ln.apply(input)));
    ln.dispose();
  });
});

describe('activations', () => {
  it('agree with their formulas and with each other near zero', () => {
    const xs = [-3, -1, -0.1, 0, 0.5, 2];
    const erf = (z: number) => {
      // Abramowitz-Stegun 7.1.26 is too coarse; integrate exp(-t^2) by Simpson instead.
      const n = 2000, hh = z / n;
      let s = 0;
      for (let i = 0; i <= n; i++) s += (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * Math.exp(-((i * hh) ** 2));
      return ((2 / Math.sqrt(Math.PI)) * s * hh) / 3;
    };
    const t = tf.tensor1d(xs);
    assertAllClose(gelu(t).dataSync(), xs.map((x) => 0.5 * x * (1 + erf(x / Math.SQRT2))), { atol: 1e-4, rtol: 1e-4 }, 'gelu');
    assertAllClose(geluTanh(t).dataSync(), xs.map((x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))), { atol: 1e-5 }, 'gelu-tanh');
    assertAllClose(quickGelu(t).dataSync(), xs.map((x) => x / (1 + Math.exp(-1.702 * x))), { atol: 1e-5 }, 'quick-gelu');
    t.dispose();
  });
});

describe('MultiHeadAttention', () => {
  const rng = new Rng(3);
  it('keeps shapes at batch 1 and 2, for self- and cross-attention', () => {
    const self = new MultiHeadAttention({ dim: 8, heads: 2 }, rng);
    const cross = new MultiHeadAttention({ dim: 8, heads: 2, contextDim: 6 }, rng);
    for (const b of [1, 2]) {
      const x = tf.randomNormal([b, 5, 8]) as tf.Tensor3D;
      const ctx = tf.randomNormal([b, 3, 6]) as tf.Tensor3D;
      expect(self.apply(x).shape).toEqual([b, 5, 8]);
      expect(cross.apply(x, { context: ctx }).shape).toEqual([b, 5, 8]);
    }
    const x = tf.randomNormal([2, 5, 8]) as tf.Tensor3D;
    leakFree(() => tf.dispose(self.apply(x)));
    expect(() => self.apply(x, { context: x })).toThrow(/built for self-attention/);
    expect(() => cross.apply(x)).toThrow(/no context given/);
    expect(() => new MultiHeadAttention({ dim: 8, heads: 3 }, rng)).toThrow(/divisible by heads/);
  });

  it('with a causal mask, position t ignores every later position', () => {
    const attn = new MultiHeadAttention({ dim: 8, heads: 2 }, rng);
    const x = tf.randomNormal([1, 6, 8]) as tf.Tensor3D;
    const changed = tf.concat([tf.slice(x, [0, 0, 0], [1, 3, 8]), tf.randomNormal([1, 3, 8])], 1) as tf.Tensor3D;
    const bias = causalBias(6);
    const a = attn.apply(x, { bias }), b = attn.apply(changed, { bias });
    assertAllClose(tf.slice(a, [0, 0, 0], [1, 3, 8]).dataSync(), tf.slice(b, [0, 0, 0], [1, 3, 8]).dataSync(), { atol: 1e-5 });
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeGreaterThan(1e-3); // later positions do change
  });

  it('with a key-padding mask, padded positions have no influence', () => {
    const attn = new MultiHeadAttention({ dim: 8, heads: 4 }, rng);
    const mask = tf.tensor2d([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]);
    const x = tf.randomNormal([2, 5, 8]) as tf.Tensor3D;
    const noise = tf.mul(tf.randomNormal([2, 5, 8]), tf.reshape(tf.sub(1, mask), [2, 5, 1]));
    const bias = keyPaddingBias(mask as tf.Tensor2D);
    const a = attn.apply(x, { bias }), b = attn.apply(tf.add(x, noise) as tf.Tensor3D, { bias });
    // Real positions of row 0 and all of row 1 must be unchanged.
    assertAllClose(tf.slice(a, [0, 0, 0], [1, 3, 8]).dataSync(), tf.slice(b, [0, 0, 0], [1, 3, 8]).dataSync(), { atol: 1e-5 });
    assertAllClose(tf.slice(a, [1, 0, 0], [1, 5, 8]).dataSync(), tf.slice(b, [1, 0, 0], [1, 5, 8]).dataSync(), { atol: 1e-5 });
  });
});

describe('PatchEmbedding', () => {
  it('equals projecting each p x p patch, flattened row-major with channels last', () => {
    const pe = new PatchEmbedding(2, 3, 4, new Rng(5));
    const img = tf.randomUniform([2, 4, 6, 3]) as tf.Tensor4D;
    const out = pe.apply(img); // [2, 6, 4]
    const px = img.arraySync();
    const w = pe.proj.weight.arraySync() as number[][];
    const bias = pe.proj.bias!.dataSync();
    const expected: number[] = [];
    for (let b = 0; b < 2; b++)
      for (let gy = 0; gy < 2; gy++)
        for (let gx = 0; gx < 3; gx++) {
          const vec: number[] = [];
          for (let r = 0; r < 2; r++) for (let c = 0; c < 2; c++) for (let ch = 0; ch < 3; ch++) vec.push(px[b]![gy * 2 + r]![gx * 2 + c]![ch]!);
          for (let o = 0; o < 4; o++) expected.push(vec.reduce((s, v, i) => s + v * w[i]![o]!, bias[o]!));
        }
    expect(out.shape).toEqual([2, 6, 4]);
    assertAllClose(out.dataSync(), expected, { atol: 1e-5, rtol: 1e-5 });
    expect(() => pe.apply(tf.zeros([1, 5, 4, 3]) as tf.Tensor4D)).toThrow(/divisible by 2/);
    leakFree(() => tf.dispose(pe.apply(img)));
  });
});

describe('TransformerBlock', () => {
  it('trains: gradients reach every parameter', () => {
    const block = new TransformerBlock({ dim: 8, heads: 2, mlpRatio: 2, activation: 'quick-gelu', depth: 2 }, new Rng(9));
    const x = tf.randomNormal([2, 3, 8]) as tf.Tensor3D;
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(block.apply(x))) as tf.Scalar, block.variables());
    for (const v of block.variables()) {
      const g = grads[v.name]!;
      expect(g.shape).toEqual(v.shape);
      expect(tf.sum(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
    }
    tf.dispose([value, ...Object.values(grads)]);
    expect([...block.namedVariables().keys()]).toContain('attn.qkv.weight');
    leakFree(() => tf.dispose(block.apply(x)));
  });
});

describe('Module', () => {
  it('holds exactly one tensor per parameter, and frees them all on dispose', () => {
    const before = tf.memory().numTensors;
    const block = new TransformerBlock({ dim: 8, heads: 2, mlpRatio: 2, activation: 'quick-gelu', depth: 1 }, new Rng(1));
    expect(tf.memory().numTensors - before).toBe(block.variables().length);
    block.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
