import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { DualEncoder } from '../models/dual-encoder.js';
import { Rng, tinyText } from '../models/test-support.js';
import { VisionTransformer } from '../encoders/vit.js';
import { assertAllClose } from '../testing/all-close.js';
import { AdamW } from './adamw.js';
import { Ema } from './ema.js';
import { freeze, lockTower, unfreeze } from './freeze.js';

function model() {
  const rng = new Rng(0);
  const image = new VisionTransformer({ kind: 'vit', imageSize: 8, patchSize: 4, channels: 3, width: 8, depth: 3, heads: 2, mlpRatio: 2, activation: 'quick-gelu', pool: 'cls' }, rng.fork());
  return new DualEncoder({ encoders: { image, text: tinyText(rng.fork()) }, embedDim: 8 }, rng.fork());
}

const trainable = (m: DualEncoder) => [...m.namedVariables()].filter(([, v]) => v.trainable).map(([n]) => n);

describe('freeze and lockTower', () => {
  it('freezes by name pattern, and the optimizer then leaves those parameters alone', () => {
    const m = model();
    const frozen = freeze(m, /^text\./);
    expect(frozen.length).toBeGreaterThan(0);
    expect(trainable(m).some((n) => n.startsWith('text.'))).toBe(false);
    const before = m.text.variables().map((v) => Array.from(v.dataSync()));
    const opt = new AdamW(m.namedVariables());
    const x = tf.zeros([2, 8, 8, 3]) as tf.Tensor4D;
    const text = { ids: tf.tensor2d([[1, 2, 0, 0, 0], [3, 4, 5, 0, 0]], [2, 5], 'int32'), mask: tf.tensor2d([[1, 1, 0, 0, 0], [1, 1, 1, 0, 0]], [2, 5]) };
    tf.dispose(Object.values(opt.step(() => m.loss({ image: tf.add(x, tf.randomUniform(x.shape, 0, 1, 'float32', 1)) as tf.Tensor4D, text }).loss, 1e-2)));
    m.text.variables().forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(before[i]));
    expect(unfreeze(m, (n) => n.startsWith('text.'))).toEqual(frozen);
    expect(() => freeze(m, /^audio\./)).toThrow(/no parameter matches \/\^audio\\.\/; names look like image.cls, image.patch.proj.weight/);
  });

  it('locks a tower LiT-style, leaving the last k blocks and the final norm trainable', () => {
    const m = model();
    lockTower(m, 'image', { unlockedBlocks: 1 });
    const open = trainable(m).filter((n) => n.startsWith('image.'));
    expect(open.every((n) => n.startsWith('image.blocks.2.') || n.startsWith('image.lnPost.'))).toBe(true);
    expect(open.some((n) => n.startsWith('image.lnPost.'))).toBe(true);
    expect(trainable(m)).toContain('imageProjection.weight');
    const all = model();
    lockTower(all, 'image');
    expect(trainable(all).filter((n) => n.startsWith('image.'))).toEqual([]);
    expect(() => lockTower(all, 'image', { unlockedBlocks: 4 })).toThrow(/unlockedBlocks 4 exceeds the 3 blocks under 'image.'/);
    expect(() => lockTower(all, 'audio')).toThrow(/no parameter under 'audio.'; top-level parts: image, text, imageProjection, textProjection, loss/);
  });
});

describe('Ema', () => {
  it('averages parameters with its decay, swaps for evaluation, saves and restores', () => {
    const w = tf.variable(tf.tensor1d([0, 0]), true);
    const ema = new Ema(new Map([['w', w]]), 0.5);
    for (const value of [[2, 4], [4, 8]]) {
      w.assign(tf.tensor1d(value));
      ema.update();
    }
    // shadow: 0 -> 0.5*0 + 0.5*[2,4] = [1,2] -> 0.5*[1,2] + 0.5*[4,8] = [2.5,5]
    assertAllClose(ema.stateTensors()['ema.w']!.dataSync(), [2.5, 5]);
    ema.swap();
    assertAllClose(w.dataSync(), [2.5, 5]);
    ema.swap();
    assertAllClose(w.dataSync(), [4, 8]);
    const before = tf.memory().numTensors;
    ema.update();
    ema.swap();
    ema.swap();
    expect(tf.memory().numTensors).toBe(before);
    const other = new Ema(new Map([['w', w]]), 0.5);
    other.loadState(ema.stateTensors());
    assertAllClose(other.stateTensors()['ema.w']!.dataSync(), ema.stateTensors()['ema.w']!.dataSync());
    expect(() => other.loadState({})).toThrow(/missing 'ema.w'/);
    expect(() => new Ema(new Map(), 1)).toThrow(/decay must be in \[0, 1\), got 1/);
    tf.dispose([w]);
    ema.dispose();
    other.dispose();
  });
});
