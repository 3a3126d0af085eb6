import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { createFusion, FUSION_KINDS, FusionConfigSchema, type FusionConfig } from './registry.js';
import { sinTensor } from './test-support.js';

const configs: FusionConfig[] = [
  { kind: 'concat-mlp', dims: { image: 6, text: 4 }, hidden: 8, outputDim: 5 },
  { kind: 'gated', dims: { image: 6, text: 4 }, outputDim: 5 },
  { kind: 'deep-set', dims: { image: 6, text: 4 }, dim: 8, hidden: 8, outputDim: 5 },
  { kind: 'cross-attention', query: 'text', context: 'image', dims: { image: 6, text: 4 }, dim: 8, heads: 2 },
  { kind: 'perceiver-resampler', dims: { image: 6, text: 4 }, dim: 8, latents: 2, heads: 2, depth: 1 },
  { kind: 'gated-cross-attention', query: 'text', context: 'image', dims: { image: 6, text: 4 }, heads: 2 },
].map((c) => FusionConfigSchema.parse(c));

describe('createFusion', () => {
  it('builds every registered kind from its parsed config, and each trains (gradients reach all parameters)', () => {
    expect(configs.map((c) => c.kind).sort()).toEqual([...FUSION_KINDS].sort());
    const pooled = ['concat-mlp', 'gated', 'deep-set'];
    for (const config of configs) {
      const fusion = createFusion(config, new Rng(0));
      const seq = !pooled.includes(config.kind);
      const inputs = { image: sinTensor(seq ? [2, 3, 6] : [2, 6]), text: sinTensor(seq ? [2, 2, 4] : [2, 4], 1) };
      const y = fusion.apply(inputs);
      expect(y.shape[y.rank - 1], config.kind).toBe(fusion.outputDim);
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(fusion.apply(inputs))) as tf.Scalar, fusion.variables());
      // Gated cross-attention starts as the identity, so only its gates get gradient at init.
      const zero = fusion.variables().filter((v) => tf.max(tf.abs(grads[v.name]!)).dataSync()[0] === 0).length;
      if (config.kind !== 'gated-cross-attention') expect(zero, config.kind).toBe(0);
      tf.dispose([y, value, ...Object.values(grads), ...Object.values(inputs)]);
      fusion.dispose();
    }
  });

  it('lists the registered kinds on a miss, and the schema rejects unknown keys with their path', () => {
    expect(() => createFusion({ kind: 'concat' } as unknown as FusionConfig, new Rng(0))).toThrow(
      /Unknown fusion 'concat'. Registered: concat-mlp, gated, deep-set, cross-attention, perceiver-resampler, gated-cross-attention/,
    );
    expect(() => FusionConfigSchema.parse({ kind: 'gated', dims: { image: 6 }, outputDim: 5, gate: 'sigmoid' })).toThrow(/gate/);
  });
});
