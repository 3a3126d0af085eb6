import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { assertAllClose } from '../testing/all-close.js';
import { deterministicInit } from '../testing/deterministic-init.js';
import { linear, sampleRows, type Array64, type Params64 } from './test-float64-reference.js';
import { GatedFusion, GatedFusionConfigSchema } from './gated.js';
import { gradientCheck } from './test-gradient-check.js';
import { expectNoLeak, sinTensor } from './test-support.js';

const config = GatedFusionConfigSchema.parse({ kind: 'gated', dims: { text: 4, image: 6, audio: 3 }, outputDim: 5 });
const ORDER = ['audio', 'image', 'text'];

function reference(p: Params64, x: ReadonlyMap<string, Array64>): number[] {
  const out: number[] = [];
  for (let b = 0; b < x.get('text')!.shape[0]!; b++) {
    const rows = ORDER.map((m) => sampleRows(x.get(m)!, b));
    const logits = linear([rows.flatMap((r) => r[0]!)], p, 'gate')[0]!; // [M * D], modality-major
    const h = ORDER.map((m, i) => linear(rows[i]!, p, `proj.${m}`)[0]!.map(Math.tanh));
    for (let d = 0; d < 5; d++) {
      const e = ORDER.map((_, i) => Math.exp(logits[i * 5 + d]!));
      const z = e.reduce((a, c) => a + c, 0);
      out.push(ORDER.reduce((s, _, i) => s + (e[i]! / z) * h[i]![d]!, 0));
    }
  }
  return out;
}

describe('GatedFusion', () => {
  it('returns [B, outputDim] at batch 1 and 2, with gates summing to 1 over modalities', () => {
    const fusion = new GatedFusion(config, new Rng(1));
    for (const b of [1, 2]) {
      const inputs = { text: sinTensor([b, 4]), image: sinTensor([b, 6], 1), audio: sinTensor([b, 3], 2) };
      const y = fusion.apply(inputs);
      expect(y.shape).toEqual([b, 5]);
      const z = fusion.gates(inputs);
      expect(z.shape).toEqual([b, 3, 5]);
      assertAllClose(tf.sum(z, 1).dataSync(), new Array(b * 5).fill(1), { atol: 1e-6 });
      tf.dispose([y, z, ...Object.values(inputs)]);
    }
    fusion.dispose();
  });

  it('matches the float64 reference, forward and gradients (finite differences), at batch 1 and 3', () => {
    const fusion = new GatedFusion(config, new Rng(1));
    deterministicInit(fusion);
    for (const b of [1, 3]) {
      const inputs = { text: sinTensor([b, 4], 0.3), image: sinTensor([b, 6], 1.7), audio: sinTensor([b, 3], 2.9) };
      const r = gradientCheck(fusion, inputs, (x) => fusion.apply(x), reference);
      expect(r.forward, 'forward').toBeLessThan(1e-5);
      expect(r.gradient, r.worst).toBeLessThan(1e-3);
      tf.dispose(Object.values(inputs));
    }
    fusion.dispose();
  });

  it('names the missing or mis-shaped modality, and does not leak', () => {
    const fusion = new GatedFusion(config, new Rng(1));
    const text = tf.zeros([2, 4]), image = tf.zeros([2, 6]), audio = tf.zeros([2, 3]);
    expect(() => fusion.apply({ text, image })).toThrow(/GatedFusion: missing modality 'audio'/);
    expect(() => fusion.apply({ text, image, audio: tf.zeros([2, 4]) })).toThrow(/modality 'audio' must be \[B, 3\], got \[2, 4\]/);
    expect(() => GatedFusionConfigSchema.parse({ kind: 'gated', dims: {}, outputDim: 2 })).toThrow(/at least one modality/);
    expect(() => GatedFusionConfigSchema.parse({ kind: 'gated', dims: { 'image.rgb': 3 }, outputDim: 2 })).toThrow(/modality name/);
    expectNoLeak(() => tf.dispose(fusion.apply({ text, image, audio })));
    fusion.dispose();
  });
});
