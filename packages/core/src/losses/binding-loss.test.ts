import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { assertAllClose } from '../testing/all-close.js';
import { bindingLoss, BindingLoss, bindingPairs, type BindingLossOptions } from './binding-loss.js';
import {
  bindingRef,
  expectGradientClose,
  expectNoLeak,
  FIXTURE_TOL,
  loadFixture,
  matrixOf,
  numericGradient,
  scalarOf,
  unitRows,
  type Matrix,
} from './test-reference.js';

const NAMES = ['audio', 'image', 'text'] as const;

function tensors(m: Record<string, Matrix>): Record<string, tf.Tensor2D> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, tf.tensor2d(v)]));
}

describe('bindingLoss', () => {
  it('visits pairs in sorted order whatever the key order: all pairs, or anchor with each other', () => {
    const x = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(bindingPairs({ text: x, audio: x, image: x })).toEqual([['audio', 'image'], ['audio', 'text'], ['image', 'text']]);
    expect(bindingPairs({ video: x, text: x, image: x, audio: undefined }, 'image')).toEqual([['image', 'text'], ['image', 'video']]);
    x.dispose();
  });

  it('matches float64 PyTorch (fixtures/binding.json): total, each pair and d/d(every modality)', () => {
    const doc = loadFixture('binding.json');
    for (const c of doc.cases) {
      const anchor = c.params['anchor'];
      const opts: BindingLossOptions = { reduction: c.params['reduction'] as 'mean' | 'sum', ...(typeof anchor === 'string' ? { anchor } : {}) };
      const scale = scalarOf(c.params, 'scale');
      const emb = tensors(Object.fromEntries(NAMES.map((n) => [n, matrixOf(c.inputs, n)])));
      const out = bindingLoss(emb, scale, opts);
      const expectedKeys = Object.keys(c.outputs).filter((k) => k !== 'loss');
      expect(Object.keys(out.pairs)).toEqual(expectedKeys);
      assertAllClose(out.loss.dataSync(), [scalarOf(c.outputs, 'loss')], FIXTURE_TOL, `${c.name}: loss`);
      for (const k of expectedKeys) assertAllClose(out.pairs[k]!.dataSync(), [scalarOf(c.outputs, k)], FIXTURE_TOL, `${c.name}: ${k}`);
      const inputs = NAMES.map((n) => emb[n]!);
      const grads = tf.grads((a: tf.Tensor, i: tf.Tensor, t: tf.Tensor) => bindingLoss({ image: i as tf.Tensor2D, text: t as tf.Tensor2D, audio: a as tf.Tensor2D }, scale, opts).loss)(inputs);
      NAMES.forEach((n, k) => assertAllClose(grads[k]!.dataSync(), matrixOf(c.grads, n).flat(), FIXTURE_TOL, `${c.name}: d/d${n}`));
      tf.dispose([...inputs, ...grads, out.loss, ...Object.values(out.pairs)]);
    }
  });

  it('has gradients matching central differences of the float64 reference (batch 1 and 3)', () => {
    const rng = new Rng(10);
    for (const b of [1, 3]) {
      for (const opts of [{ reduction: 'mean' }, { anchor: 'image', reduction: 'sum' }] as BindingLossOptions[]) {
        const m: Record<string, Matrix> = { audio: unitRows(rng, b, 4), image: unitRows(rng, b, 4), text: unitRows(rng, b, 4) };
        const scale = 6;
        const grads = tf.grads((a: tf.Tensor, i: tf.Tensor, t: tf.Tensor) => bindingLoss({ audio: a as tf.Tensor2D, image: i as tf.Tensor2D, text: t as tf.Tensor2D }, scale, opts).loss)(
          NAMES.map((n) => tf.tensor2d(m[n]!)),
        );
        NAMES.forEach((n, k) => {
          const f = (x: Matrix) => bindingRef({ ...m, [n]: x }, scale, opts.anchor, opts.reduction);
          expectGradientClose(grads[k]!, numericGradient(f, m[n]!), `B=${b} ${JSON.stringify(opts)} d/d${n}`);
        });
        tf.dispose(grads);
      }
    }
  });

  it('equals ln(B) for identical embeddings and stays finite at logits of +-1e4', () => {
    const x = tf.div(tf.ones([3, 4]), 2) as tf.Tensor2D;
    const same = bindingLoss({ image: x, text: x, audio: x }, 10);
    assertAllClose(same.loss.dataSync(), [Math.log(3)], { atol: 1e-5, rtol: 1e-5 }, 'identical');
    const a = tf.tensor2d([[1, 0], [0, 1]]), b = tf.tensor2d([[0, 1], [1, 0]]);
    const far = bindingLoss({ image: a, text: b }, 1e4);
    assertAllClose(far.loss.dataSync(), [1e4], { atol: 1e-2, rtol: 1e-5 }, 'logits 1e4');
    tf.dispose([x, a, b, same.loss, far.loss, ...Object.values(same.pairs), ...Object.values(far.pairs)]);
  });

  it('names the missing anchor, a mis-shaped modality, and too few modalities', () => {
    const x = tf.zeros([2, 3]) as tf.Tensor2D, wide = tf.zeros([2, 4]) as tf.Tensor2D, flat = tf.zeros([6]) as unknown as tf.Tensor2D;
    expect(() => bindingLoss({ text: x, audio: x, image: undefined }, 1, { anchor: 'image' })).toThrow(/anchor modality 'image' is missing; present: audio, text/);
    expect(() => bindingLoss({ image: x, text: wide }, 1)).toThrow(/modality 'text' must be \[B, E\] = \[2, 3\] like 'image', got \[2, 4\]/);
    expect(() => bindingLoss({ image: x, audio: flat }, 1)).toThrow(/modality 'audio' must be \[B, E\]/);
    expect(() => bindingLoss({ image: x, text: undefined }, 1)).toThrow(/at least two modalities present, got image/);
    expect(() => bindingLoss({}, 1)).toThrow(/at least two modalities present, got none/);
    expect(() => bindingLoss({ image: x, text: x }, 1, { reduction: 'max' as 'sum' })).toThrow(/reduction must be 'mean' or 'sum', got 'max'/);
    tf.dispose([x, wide, flat]);
  });

  it('leaks no tensors (function and class)', () => {
    const emb = { audio: tf.randomNormal([4, 8]) as tf.Tensor2D, image: tf.randomNormal([4, 8]) as tf.Tensor2D, text: tf.randomNormal([4, 8]) as tf.Tensor2D };
    const module = new BindingLoss({ anchor: 'image' });
    expectNoLeak(() => bindingLoss(emb, 10) as unknown as tf.TensorContainer);
    expectNoLeak(() => module.apply(emb) as unknown as tf.TensorContainer);
    module.dispose();
    tf.dispose(Object.values(emb));
  });
});

describe('BindingLoss', () => {
  it('owns one temperature shared by all pairs, which receives a gradient', () => {
    const rng = new Rng(11);
    const emb = tensors({ audio: unitRows(rng, 3, 4), image: unitRows(rng, 3, 4), text: unitRows(rng, 3, 4) });
    const module = new BindingLoss({}, { init: 10 });
    expect([...module.namedVariables().keys()]).toEqual(['logitScale.logScale']);
    const { value, grads } = tf.variableGrads(() => module.apply(emb).loss, module.trainableVariables());
    const g = grads[module.logitScale.logScale.name]!.dataSync()[0]!;
    expect(Number.isFinite(g) && g !== 0).toBe(true);
    const direct = bindingLoss(emb, 10);
    assertAllClose(value.dataSync(), direct.loss.dataSync(), { atol: 1e-5, rtol: 1e-5 }, 'class = function');
    tf.dispose([value, direct.loss, ...Object.values(direct.pairs), ...Object.values(grads), ...Object.values(emb)]);
    module.dispose();
  });
});
