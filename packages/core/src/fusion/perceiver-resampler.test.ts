import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { assertAllClose } from '../testing/all-close.js';
import { deterministicInit } from '../testing/deterministic-init.js';
import { addMat, attention, layerNorm, linear, maskBias, mlp, param, sampleRows, transformerBlock, type Array64, type Params64 } from './test-float64-reference.js';
import { gradientCheck } from './test-gradient-check.js';
import { PerceiverResampler, PerceiverResamplerConfigSchema } from './perceiver-resampler.js';
import { expectNoLeak, sinTensor } from './test-support.js';

const config = PerceiverResamplerConfigSchema.parse({
  kind: 'perceiver-resampler', dims: { video: 5, audio: 3 }, dim: 8, latents: 3, heads: 2, depth: 2, selfLayers: 1, mlpRatio: 2,
});
const ORDER = ['audio', 'video'];

const reference = (masks: Record<string, number[][]>) => (p: Params64, x: ReadonlyMap<string, Array64>): number[] => {
  const out: number[] = [];
  const dim = 8, l = 3;
  for (let b = 0; b < x.get('video')!.shape[0]!; b++) {
    const ctx = ORDER.flatMap((m) => {
      const e = param(p, `modalityEmbedding.${m}`);
      return linear(sampleRows(x.get(m)!, b), p, `proj.${m}`).map((r) => r.map((v, d) => v + e[d]!));
    });
    const keyMask = [...ORDER.flatMap((m) => masks[m]?.[b] ?? new Array<number>(sampleRows(x.get(m)!, b).length).fill(1)), ...new Array<number>(l).fill(1)];
    const lat0 = param(p, 'latents');
    let h = Array.from({ length: l }, (_, i) => Array.from(lat0.subarray(i * dim, (i + 1) * dim)));
    for (let k = 0; k < 2; k++) {
      const pre = `layers.${k}`;
      const lat = layerNorm(h, p, `${pre}.lnLatents`);
      const keys = [...layerNorm(ctx, p, `${pre}.lnContext`), ...lat];
      h = addMat(h, attention(lat, p, `${pre}.attn`, 2, keys, (_, j) => maskBias(keyMask[j]!)));
      h = addMat(h, mlp(layerNorm(h, p, `${pre}.lnMlp`), p, `${pre}.mlp`, 'gelu'));
      h = transformerBlock(h, p, `${pre}.self.0`, 2, 'gelu');
    }
    out.push(...layerNorm(h, p, 'lnOut').flat());
  }
  return out;
};

describe('PerceiverResampler', () => {
  it('returns [B, latents, dim] for any number of inputs and lengths, at batch 1 and 2', () => {
    for (const dims of [{ video: 5 }, { video: 5, audio: 3 }, { video: 5, audio: 3, text: 4 }]) {
      const resampler = new PerceiverResampler(PerceiverResamplerConfigSchema.parse({ ...config, dims }), new Rng(0));
      for (const b of [1, 2]) {
        for (const t of [1, 6]) {
          const inputs = Object.fromEntries(Object.entries(dims).map(([m, d], i) => [m, sinTensor([b, t + i, d], i)]));
          const y = resampler.apply(inputs);
          expect(y.shape).toEqual([b, 3, 8]);
          tf.dispose([y, ...Object.values(inputs)]);
        }
      }
      resampler.dispose();
    }
  });

  it('matches the float64 reference with padding masks, forward and gradients, at batch 1 and 3', () => {
    const resampler = new PerceiverResampler(config, new Rng(0));
    deterministicInit(resampler);
    const videoMask = [[1, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0]];
    for (const b of [1, 3]) {
      // audio is an embedding [B, 3]: a one-token sequence, unmasked.
      const inputs = { video: sinTensor([b, 4, 5], 0.4), audio: sinTensor([b, 3], 1.3) };
      const m = { video: videoMask.slice(0, b) };
      const mask = tf.tensor2d(m.video);
      const r = gradientCheck(resampler, inputs, (x) => resampler.apply(x, { video: mask }), reference(m), { maxEntriesPerParameter: 12 });
      // Five LayerNorms deep in float32: 1e-5 is measured on wasm (9.6e-6), so leave other backends headroom.
      expect(r.forward, 'forward').toBeLessThan(5e-5);
      expect(r.gradient, r.worst).toBeLessThan(1e-3);
      tf.dispose([mask, ...Object.values(inputs)]);
    }
    resampler.dispose();
  });

  it('padded tokens have no influence, even when a whole sample is padding', () => {
    const resampler = new PerceiverResampler(config, new Rng(3));
    deterministicInit(resampler);
    const video = sinTensor([2, 4, 5]), audio = sinTensor([2, 2, 3], 1);
    const masks = { video: tf.tensor2d([[1, 1, 0, 0], [0, 0, 0, 0]]), audio: tf.tensor2d([[1, 0], [0, 0]]) };
    const a = resampler.apply({ video, audio }, masks);
    const noisy = (x: tf.Tensor, m: tf.Tensor, phase: number) => tf.add(x, tf.mul(sinTensor(x.shape, phase, 7), tf.expandDims(tf.sub(1, m), 2)));
    const b = resampler.apply({ video: noisy(video, masks.video, 2), audio: noisy(audio, masks.audio, 3) }, masks);
    assertAllClose(b.dataSync(), a.dataSync(), { atol: 1e-6 });
    // A fully padded sample sees only the latents, so it equals the output for no real input at all.
    const first = resampler.apply({ video: sinTensor([1, 4, 5], 9), audio: sinTensor([1, 2, 3], 8) }, { video: tf.zeros([1, 4]), audio: tf.zeros([1, 2]) });
    assertAllClose(tf.slice(a, [1, 0, 0], [1, 3, 8]).dataSync(), first.dataSync(), { atol: 1e-6 });
    resampler.dispose();
  });

  it('validates config and inputs by name, and does not leak', () => {
    expect(() => PerceiverResamplerConfigSchema.parse({ ...config, heads: 3 })).toThrow(/divisible by heads/);
    expect(() => PerceiverResamplerConfigSchema.parse({ ...config, latent: 3 })).toThrow(/latent/);
    const resampler = new PerceiverResampler(config, new Rng(0));
    const video = tf.zeros([2, 4, 5]), audio = tf.zeros([2, 2, 3]);
    expect(() => resampler.apply({ video })).toThrow(/PerceiverResampler: missing modality 'audio'/);
    expect(() => resampler.apply({ video, audio: tf.zeros([2, 2, 4]) })).toThrow(/modality 'audio' must be \[B, 3\] or \[B, T, 3\], got \[2, 2, 4\]/);
    expect(() => resampler.apply({ video, audio }, { video: tf.ones([2, 5]) })).toThrow(/mask of 'video' must be \[2, 4\]/);
    const mask = tf.ones([2, 4]);
    expectNoLeak(() => tf.dispose(resampler.apply({ video, audio }, { video: mask })));
    resampler.dispose();
  });
});
