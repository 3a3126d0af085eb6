import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { assertAllClose } from '../testing/all-close.js';
import { deterministicInit } from '../testing/deterministic-init.js';
import { CrossAttentionFusion, CrossAttentionFusionConfigSchema } from './cross-attention.js';
import { addMat, attention, layerNorm, linear, maskBias, mlp, sampleRows, type Array64, type Params64 } from './test-float64-reference.js';
import { gradientCheck } from './test-gradient-check.js';
import { expectNoLeak, sinTensor } from './test-support.js';

const config = CrossAttentionFusionConfigSchema.parse({
  kind: 'cross-attention', query: 'text', context: 'image', dims: { text: 6, image: 5 }, dim: 8, heads: 2, mlpRatio: 2,
});

const reference = (mask?: number[][]) => (p: Params64, x: ReadonlyMap<string, Array64>): number[] => {
  const out: number[] = [];
  for (let b = 0; b < x.get('text')!.shape[0]!; b++) {
    const q = linear(sampleRows(x.get('text')!, b), p, 'queryProj');
    const ctx = layerNorm(sampleRows(x.get('image')!, b), p, 'lnContext');
    const h = addMat(q, attention(layerNorm(q, p, 'lnQuery'), p, 'attn', 2, ctx, (_, j) => (mask ? maskBias(mask[b]![j]!) : 0)));
    out.push(...layerNorm(addMat(h, mlp(layerNorm(h, p, 'lnMlp'), p, 'mlp', 'gelu')), p, 'lnOut').flat());
  }
  return out;
};

describe('CrossAttentionFusion', () => {
  it('maps query tokens [B, Tq, Dq] to [B, Tq, dim] and an embedding query [B, Dq] to [B, dim], at batch 1 and 2', () => {
    const fusion = new CrossAttentionFusion(config, new Rng(0));
    for (const b of [1, 2]) {
      const ys = [
        fusion.apply({ text: sinTensor([b, 3, 6]), image: sinTensor([b, 4, 5], 1) }),
        fusion.apply({ text: sinTensor([b, 6]), image: sinTensor([b, 4, 5], 1) }),
        fusion.apply({ text: sinTensor([b, 6]), image: sinTensor([b, 5], 1) }),
      ];
      expect(ys.map((y) => y.shape)).toEqual([[b, 3, 8], [b, 8], [b, 8]]);
      tf.dispose(ys);
    }
    fusion.dispose();
  });

  it('matches the float64 reference with a padding mask, forward and gradients, at batch 1 and 3', () => {
    const fusion = new CrossAttentionFusion(config, new Rng(0));
    deterministicInit(fusion);
    const maskRows = [[1, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0]];
    for (const b of [1, 3]) {
      const inputs = { text: sinTensor([b, 3, 6], 0.4), image: sinTensor([b, 4, 5], 1.3) };
      const m = maskRows.slice(0, b);
      const mask = tf.tensor2d(m);
      const r = gradientCheck(fusion, inputs, (x) => fusion.apply(x, { image: mask }), reference(m));
      expect(r.forward, 'forward').toBeLessThan(1e-5);
      expect(r.gradient, r.worst).toBeLessThan(1e-3);
      tf.dispose([mask, ...Object.values(inputs)]);
    }
    fusion.dispose();
  });

  it('each sample attends only to its own context, and padded context tokens have no influence', () => {
    // The seed's version squeezed the batch into one attention call; here sample 0 must not see sample 1.
    const fusion = new CrossAttentionFusion(config, new Rng(4));
    const text = sinTensor([2, 3, 6]);
    const image = sinTensor([2, 4, 5], 1);
    const mask = tf.tensor2d([[1, 1, 0, 0], [1, 1, 1, 1]]);
    const noise = tf.mul(sinTensor([2, 4, 5], 2, 5), tf.reshape(tf.sub(1, mask), [2, 4, 1])); // only padded tokens of sample 0
    const other = tf.concat([tf.slice(image, [0, 0, 0], [1, 4, 5]), sinTensor([1, 4, 5], 3)], 0); // sample 1 replaced
    const a = fusion.apply({ text, image }, { image: mask });
    const b = fusion.apply({ text, image: tf.add(image, noise) }, { image: mask });
    const c = fusion.apply({ text, image: other }, { image: mask });
    assertAllClose(b.dataSync(), a.dataSync(), { atol: 1e-6 });
    assertAllClose(tf.slice(c, [0, 0, 0], [1, 3, 8]).dataSync(), tf.slice(a, [0, 0, 0], [1, 3, 8]).dataSync(), { atol: 1e-6 });
    expect(tf.max(tf.abs(tf.sub(c, a))).dataSync()[0]).toBeGreaterThan(1e-3);
    fusion.dispose();
  });

  it('validates its config and inputs by name, and does not leak', () => {
    expect(() => CrossAttentionFusionConfigSchema.parse({ ...config, context: 'text' })).toThrow(/different modalities/);
    expect(() => CrossAttentionFusionConfigSchema.parse({ ...config, dims: { text: 6, audio: 5 } })).toThrow(/exactly the query and context/);
    expect(() => CrossAttentionFusionConfigSchema.parse({ ...config, heads: 3 })).toThrow(/divisible by heads/);
    const fusion = new CrossAttentionFusion(config, new Rng(0));
    const text = tf.zeros([2, 3, 6]), image = tf.zeros([2, 4, 5]);
    expect(() => fusion.apply({ text })).toThrow(/CrossAttentionFusion: missing modality 'image'/);
    expect(() => fusion.apply({ text, image: tf.zeros([2, 4, 6]) })).toThrow(/modality 'image' must be \[B, 5\] or \[B, T, 5\], got \[2, 4, 6\]/);
    expect(() => fusion.apply({ text, image }, { image: tf.ones([2, 3]) })).toThrow(/mask of 'image' must be \[2, 4\], got \[2, 3\]/);
    expect(() => fusion.apply({ text, image }, { audio: tf.ones([2, 3]) })).toThrow(/mask given for unknown modality 'audio'/);
    const mask = tf.ones([2, 4]);
    expectNoLeak(() => tf.dispose(fusion.apply({ text, image }, { image: mask })));
    fusion.dispose();
  });
});
