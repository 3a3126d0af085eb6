import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { deterministicInit } from '../testing/deterministic-init.js';
import { DeepSetConfigSchema, DeepSetFusion } from './deep-set.js';
import { ACT64, linear, mapMat, sampleRows, type Array64, type Params64 } from './test-float64-reference.js';
import { gradientCheck } from './test-gradient-check.js';
import { expectNoLeak, sinTensor } from './test-support.js';

const base = { kind: 'deep-set', dims: { text: 4, image: 6, audio: 3 }, dim: 6, hidden: 7, outputDim: 5, activation: 'gelu' } as const;
const ORDER = ['audio', 'image', 'text'];
const POOL: Record<string, (xs: number[]) => number> = {
  sum: (xs) => xs.reduce((a, b) => a + b, 0),
  mean: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
  max: (xs) => Math.max(...xs),
};

const reference = (pooling: string) => (p: Params64, x: ReadonlyMap<string, Array64>): number[] => {
  const out: number[] = [];
  for (let b = 0; b < x.get('text')!.shape[0]!; b++) {
    const set = ORDER.map((m) => mapMat(linear(sampleRows(x.get(m)!, b), p, `phi.${m}`), ACT64.gelu!)[0]!);
    const pooled = set[0]!.map((_, d) => POOL[pooling]!(set.map((s) => s[d]!)));
    out.push(...linear(mapMat(linear([pooled], p, 'rho1'), ACT64.gelu!), p, 'rho2')[0]!);
  }
  return out;
};

describe('DeepSetFusion', () => {
  for (const pooling of ['sum', 'mean', 'max'] as const) {
    it(`${pooling} pooling matches the float64 reference, forward and gradients, at batch 1 and 3`, () => {
      const fusion = new DeepSetFusion(DeepSetConfigSchema.parse({ ...base, pooling }), new Rng(2));
      deterministicInit(fusion);
      for (const b of [1, 3]) {
        const inputs = { text: sinTensor([b, 4], 0.3), image: sinTensor([b, 6], 1.7), audio: sinTensor([b, 3], 2.9) };
        const r = gradientCheck(fusion, inputs, (x) => fusion.apply(x), reference(pooling));
        expect(r.forward, 'forward').toBeLessThan(1e-5);
        expect(r.gradient, r.worst).toBeLessThan(1e-3);
        tf.dispose(Object.values(inputs));
      }
      fusion.dispose();
    });
  }

  it('is invariant to which modality comes first in the record; shapes at batch 1 and 2; errors; no leak', () => {
    const fusion = new DeepSetFusion(DeepSetConfigSchema.parse(base), new Rng(2));
    for (const b of [1, 2]) {
      const text = sinTensor([b, 4]), image = sinTensor([b, 6], 1), audio = sinTensor([b, 3], 2);
      const y1 = fusion.apply({ text, image, audio }), y2 = fusion.apply({ audio, image, text });
      expect(y1.shape).toEqual([b, 5]);
      expect(Array.from(y2.dataSync())).toEqual(Array.from(y1.dataSync()));
      tf.dispose([text, image, audio, y1, y2]);
    }
    const text = tf.zeros([2, 4]), image = tf.zeros([2, 6]);
    expect(() => fusion.apply({ text, image })).toThrow(/DeepSetFusion: missing modality 'audio'/);
    expect(() => DeepSetConfigSchema.parse({ ...base, pooling: 'median' })).toThrow(/pooling/);
    const audio = tf.zeros([2, 3]);
    expectNoLeak(() => tf.dispose(fusion.apply({ text, image, audio })));
    fusion.dispose();
  });
});
