import * as tf from '@tensorflow/tfjs-core';
import { describe, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { deterministicInit } from '../testing/deterministic-init.js';
import { gelu, geluTanh } from './activations.js';
import { causalBias, keyPaddingBias, MultiHeadAttention } from './attention.js';
import { LayerNorm } from './layer-norm.js';
import { expectMatchesTorch, fixtureTensor, loadFixture } from './test-torch-fixture.js';

// Golden outputs and gradients from PyTorch in float64 (tools/reference/layers.py); we run in float32.
const fixture = loadFixture(new URL('./fixtures/layers-torch.json', import.meta.url));
const tol = { atol: 1e-5, rtol: 1e-4 };
const cases = fixture.cases;

describe(`layer parity with PyTorch ${fixture.torch} (${fixture.script})`, () => {
  it('LayerNorm matches torch.nn.LayerNorm, output and gradients', () => {
    const ln = new LayerNorm(8);
    deterministicInit(ln, fixture.scale);
    expectMatchesTorch(ln, cases.layerNorm!, ({ x }) => ln.apply(x!), tol);
    ln.dispose();
  });

  it('gelu and geluTanh match nn.GELU() and nn.GELU(approximate="tanh")', () => {
    expectMatchesTorch(undefined, cases.gelu!, ({ x }) => gelu(x!), tol);
    expectMatchesTorch(undefined, cases.geluTanh!, ({ x }) => geluTanh(x!), tol);
  });

  it('self-attention with key-padding and causal masks matches nn.MultiheadAttention', () => {
    const c = cases.selfAttentionPaddingCausal!;
    const attn = new MultiHeadAttention({ dim: 8, heads: 2 }, new Rng(0));
    deterministicInit(attn, fixture.scale);
    const mask = fixtureTensor(c.masks!.x!) as tf.Tensor2D;
    const bias = tf.add(keyPaddingBias(mask), causalBias(mask.shape[1]));
    expectMatchesTorch(attn, c, ({ x }) => attn.apply(x as tf.Tensor3D, { bias }), tol);
    tf.dispose([mask, bias]);
    attn.dispose();
  });

  it('cross-attention (contextDim != dim) with a key-padding mask matches nn.MultiheadAttention(kdim, vdim)', () => {
    const c = cases.crossAttentionPadding!;
    const attn = new MultiHeadAttention({ dim: 8, heads: 2, contextDim: 6 }, new Rng(0));
    deterministicInit(attn, fixture.scale);
    const bias = keyPaddingBias(fixtureTensor(c.masks!.context!) as tf.Tensor2D);
    expectMatchesTorch(attn, c, ({ x, context }) => attn.apply(x as tf.Tensor3D, { context: context as tf.Tensor3D, bias }), tol);
    tf.dispose(bias);
    attn.dispose();
  });
});
