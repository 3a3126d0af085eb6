import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { deterministicInit } from '../testing/deterministic-init.js';
import { ConcatMlpConfigSchema, ConcatMlpFusion } from './concat-mlp.js';
import { ACT64, linear, mapMat, sampleRows, type Array64, type Params64 } from './test-float64-reference.js';
import { gradientCheck } from './test-gradient-check.js';
import { expectNoLeak, sinTensor } from './test-support.js';

const config = ConcatMlpConfigSchema.parse({ kind: 'concat-mlp', dims: { text: 4, image: 6 }, hidden: 8, outputDim: 5 });

function reference(p: Params64, x: ReadonlyMap<string, Array64>): number[] {
  const b = x.get('image')!.shape[0]!;
  const out: number[] = [];
  for (let i = 0; i < b; i++) {
    const cat = [[...sampleRows(x.get('image')!, i)[0]!, ...sampleRows(x.get('text')!, i)[0]!]]; // sorted: image, text
    out.push(...linear(mapMat(linear(cat, p, 'fc1'), ACT64.gelu!), p, 'fc2')[0]!);
  }
  return out;
}

describe('ConcatMlpFusion', () => {
  it('maps { image, text } to [B, outputDim] at batch 1 and 2, whatever the key order', () => {
    const fusion = new ConcatMlpFusion(config, new Rng(0));
    for (const b of [1, 2]) {
      const image = sinTensor([b, 6]), text = sinTensor([b, 4], 1);
      const y1 = fusion.apply({ image, text }), y2 = fusion.apply({ text, image });
      expect(y1.shape).toEqual([b, 5]);
      expect(Array.from(y2.dataSync())).toEqual(Array.from(y1.dataSync()));
      tf.dispose([image, text, y1, y2]);
    }
    fusion.dispose();
  });

  it('matches the float64 reference, forward and gradients (finite differences), at batch 1 and 3', () => {
    const fusion = new ConcatMlpFusion(config, new Rng(0));
    deterministicInit(fusion);
    for (const b of [1, 3]) {
      const inputs = { image: sinTensor([b, 6], 0.2), text: sinTensor([b, 4], 1.1) };
      const r = gradientCheck(fusion, inputs, (x) => fusion.apply(x), reference);
      expect(r.forward, 'forward').toBeLessThan(1e-5);
      expect(r.gradient, r.worst).toBeLessThan(1e-3);
      tf.dispose(Object.values(inputs));
    }
    fusion.dispose();
  });

  it('names the missing, unexpected or mis-shaped modality', () => {
    const fusion = new ConcatMlpFusion(config, new Rng(0));
    const image = tf.zeros([2, 6]), text = tf.zeros([2, 4]);
    expect(() => fusion.apply({ image })).toThrow(/missing modality 'text' \(expected: image, text; got: image\)/);
    expect(() => fusion.apply({ image, text, audio: text })).toThrow(/unexpected modality 'audio'/);
    expect(() => fusion.apply({ image: tf.zeros([2, 3, 6]), text })).toThrow(/modality 'image' must be \[B, 6\], got \[2, 3, 6\]/);
    expect(() => fusion.apply({ image, text: tf.zeros([3, 4]) })).toThrow(/modality 'text' has batch 3 but 'image' has 2/);
    expect(() => ConcatMlpConfigSchema.parse({ ...config, hiden: 3 })).toThrow(/hiden/);
    expectNoLeak(() => tf.dispose(fusion.apply({ image, text })));
    fusion.dispose();
  });
});
