import * as tf from '@tensorflow/tfjs-core';
import { describe, it } from 'vitest';
import { expectMatchesTorch, fixtureTensor, loadFixture } from '../layers/test-torch-fixture.js';
import { Rng } from '../random/rng.js';
import { deterministicInit } from '../testing/deterministic-init.js';
import { CrossAttentionFusion, CrossAttentionFusionConfigSchema } from './cross-attention.js';
import { GatedCrossAttention, GatedCrossAttentionConfigSchema } from './gated-cross-attention.js';
import { PerceiverResampler, PerceiverResamplerConfigSchema } from './perceiver-resampler.js';

// Golden outputs and gradients from PyTorch in float64 (tools/reference/fusion.py); we run in float32.
const fixture = loadFixture(new URL('./fixtures/fusion-torch.json', import.meta.url));
const tol = { atol: 1e-5, rtol: 1e-4 };

describe(`fusion parity with PyTorch ${fixture.torch} (${fixture.script})`, () => {
  it('CrossAttentionFusion with a context padding mask', () => {
    const c = fixture.cases.crossAttention!;
    const fusion = new CrossAttentionFusion(
      CrossAttentionFusionConfigSchema.parse({ kind: 'cross-attention', query: 'text', context: 'image', dims: { text: 6, image: 5 }, dim: 8, heads: 2, mlpRatio: 2 }),
      new Rng(0),
    );
    deterministicInit(fusion, fixture.scale);
    const image = fixtureTensor(c.masks!.image!);
    expectMatchesTorch(fusion, c, (x) => fusion.apply(x, { image }), tol);
    tf.dispose(image);
    fusion.dispose();
  });

  it('GatedCrossAttention with open gates and a context padding mask', () => {
    const c = fixture.cases.gatedCrossAttention!;
    const block = new GatedCrossAttention(
      GatedCrossAttentionConfigSchema.parse({ kind: 'gated-cross-attention', query: 'text', context: 'image', dims: { text: 8, image: 5 }, heads: 2, mlpRatio: 2 }),
      new Rng(0),
    );
    deterministicInit(block, fixture.scale);
    const image = fixtureTensor(c.masks!.image!);
    expectMatchesTorch(block, c, (x) => block.apply(x, { image }), tol);
    tf.dispose(image);
    block.dispose();
  });

  it('PerceiverResampler over a padded token sequence and an embedding', () => {
    const c = fixture.cases.perceiverResampler!;
    const resampler = new PerceiverResampler(
      PerceiverResamplerConfigSchema.parse({ kind: 'perceiver-resampler', dims: { video: 5, audio: 3 }, dim: 8, latents: 3, heads: 2, depth: 2, selfLayers: 1, mlpRatio: 2 }),
      new Rng(0),
    );
    deterministicInit(resampler, fixture.scale);
    const video = fixtureTensor(c.masks!.video!);
    expectMatchesTorch(resampler, c, (x) => resampler.apply(x, { video }), tol);
    tf.dispose(video);
    resampler.dispose();
  });
});
