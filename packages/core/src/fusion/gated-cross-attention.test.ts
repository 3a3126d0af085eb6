import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { assertAllClose } from '../testing/all-close.js';
import { deterministicInit } from '../testing/deterministic-init.js';
import { addMat, attention, layerNorm, mapMat, maskBias, mlp, param, sampleRows, type Array64, type Params64 } from './test-float64-reference.js';
import { GatedCrossAttention, GatedCrossAttentionConfigSchema } from './gated-cross-attention.js';
import { gradientCheck } from './test-gradient-check.js';
import { expectNoLeak, sinTensor } from './test-support.js';

const config = GatedCrossAttentionConfigSchema.parse({
  kind: 'gated-cross-attention', query: 'text', context: 'image', dims: { text: 8, image: 5 }, heads: 2, mlpRatio: 2,
});

const reference = (mask?: number[][]) => (p: Params64, x: ReadonlyMap<string, Array64>): number[] => {
  const out: number[] = [];
  const ga = Math.tanh(param(p, 'attnGate')[0]!), gm = Math.tanh(param(p, 'mlpGate')[0]!);
  for (let b = 0; b < x.get('text')!.shape[0]!; b++) {
    const q = sampleRows(x.get('text')!, b);
    const attended = attention(layerNorm(q, p, 'lnAttn'), p, 'attn', 2, sampleRows(x.get('image')!, b), (_, j) => (mask ? maskBias(mask[b]![j]!) : 0));
    const h = addMat(q, mapMat(attended, (v) => ga * v));
    out.push(...addMat(h, mapMat(mlp(layerNorm(h, p, 'lnMlp'), p, 'mlp', 'gelu'), (v) => gm * v)).flat());
  }
  return out;
};

describe('GatedCrossAttention', () => {
  it('is exactly the identity at init (tanh(0) gates), at batch 1 and 2, for tokens and embeddings', () => {
    const block = new GatedCrossAttention(config, new Rng(0));
    for (const b of [1, 2]) {
      for (const text of [sinTensor([b, 3, 8]), sinTensor([b, 8])]) {
        const y = block.apply({ text, image: sinTensor([b, 4, 5], 1) });
        expect(y.shape).toEqual(text.shape);
        assertAllClose(y.dataSync(), text.dataSync(), { atol: 0, rtol: 0 });
        tf.dispose([y, text]);
      }
    }
    block.dispose();
  });

  it('matches the float64 reference with open gates and a padding mask, forward and gradients, at batch 1 and 3', () => {
    const block = new GatedCrossAttention(config, new Rng(0));
    deterministicInit(block); // gates become nonzero, so every branch carries gradient
    expect(block.attnGate.dataSync()[0]).not.toBe(0);
    const maskRows = [[1, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0]];
    for (const b of [1, 3]) {
      const inputs = { text: sinTensor([b, 3, 8], 0.4), image: sinTensor([b, 4, 5], 1.3) };
      const m = maskRows.slice(0, b);
      const mask = tf.tensor2d(m);
      const r = gradientCheck(block, inputs, (x) => block.apply(x, { image: mask }), reference(m));
      expect(r.forward, 'forward').toBeLessThan(1e-5);
      expect(r.gradient, r.worst).toBeLessThan(1e-3);
      tf.dispose([mask, ...Object.values(inputs)]);
    }
    block.dispose();
  });

  it('at init only the gates receive gradient, so training opens them first', () => {
    const block = new GatedCrossAttention(config, new Rng(0));
    const text = sinTensor([2, 3, 8]), image = sinTensor([2, 4, 5], 1);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(block.apply({ text, image }))) as tf.Scalar, block.variables());
    const norm = (name: string) => tf.sum(tf.abs(grads[block.namedVariables().get(name)!.name]!)).dataSync()[0]!;
    expect(norm('attnGate')).toBeGreaterThan(1e-3);
    expect(norm('attn.q.weight')).toBe(0);
    tf.dispose([value, text, image, ...Object.values(grads)]);
    block.dispose();
  });

  it('padded context tokens have no influence; errors name the modality; no leak', () => {
    const block = new GatedCrossAttention(config, new Rng(5));
    deterministicInit(block);
    const text = sinTensor([2, 3, 8]), image = sinTensor([2, 4, 5], 1);
    const mask = tf.tensor2d([[1, 1, 0, 0], [1, 1, 1, 0]]);
    const noise = tf.mul(sinTensor([2, 4, 5], 2, 5), tf.reshape(tf.sub(1, mask), [2, 4, 1]));
    assertAllClose(block.apply({ text, image: tf.add(image, noise) }, { image: mask }).dataSync(), block.apply({ text, image }, { image: mask }).dataSync(), { atol: 1e-6 });
    expect(() => block.apply({ image })).toThrow(/GatedCrossAttention: missing modality 'text'/);
    expect(() => block.apply({ text: tf.zeros([2, 3, 7]), image })).toThrow(/modality 'text' must be \[B, 8\] or \[B, T, 8\]/);
    expect(() => GatedCrossAttentionConfigSchema.parse({ ...config, heads: 3 })).toThrow(/divisible by heads/);
    expectNoLeak(() => tf.dispose(block.apply({ text, image }, { image: mask })));
    block.dispose();
  });
});
