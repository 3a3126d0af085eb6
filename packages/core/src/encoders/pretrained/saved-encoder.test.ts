import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../../checkpoint/checkpoint.js';
import { Rng } from '../../random/rng.js';
import { AdamW } from '../../train/adamw.js';
import type { Encoder } from '../encoder.js';
import { createEncoder } from '../registry.js';
import { expectLeakFree, mseTo, sinInput } from '../test-utils.js';
import { VitConfigSchema } from '../vit.js';
import { lockExceptLast } from './lock.js';
import { loadEncoder, saveEncoder, SAVED_ENCODER_KIND } from './saved-encoder.js';

const tiny = VitConfigSchema.parse({ kind: 'vit', imageSize: 8, patchSize: 4, width: 8, depth: 2, heads: 2 });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modalab-encoder-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('saveEncoder / loadEncoder', () => {
  it('round-trips a tiny ViT: identical embeddings at batch 1 and 2, frozen by default', async () => {
    const vit = createEncoder(tiny, new Rng(7)) as Encoder<tf.Tensor4D>;
    const file = join(dir, 'vit.ckpt');
    await saveEncoder(file, vit, tiny);
    const loaded = await loadEncoder<tf.Tensor4D>(file);
    expect(loaded.outputDim).toBe(8);
    expect(loaded.trainableVariables()).toEqual([]);
    for (const b of [1, 2]) {
      const x = sinInput([b, 8, 8, 3]) as tf.Tensor4D;
      const [y, ref] = [loaded.apply(x), vit.apply(x)];
      expect(y.shape).toEqual([b, 8]);
      expect(Array.from(y.dataSync())).toEqual(Array.from(ref.dataSync()));
      tf.dispose([x, y, ref]);
    }
    vit.dispose();
    loaded.dispose();
  });

  it("unlockedBlocks: 1 leaves the last block and the final norm trainable (LiT); 'all' leaves everything", async () => {
    const vit = createEncoder(tiny, new Rng(1));
    const file = join(dir, 'vit-lit.ckpt');
    await saveEncoder(file, vit, tiny);
    const lit = await loadEncoder<tf.Tensor4D>(file, { unlockedBlocks: 1 });
    const trainable = [...lit.namedVariables()].filter(([, v]) => v.trainable).map(([n]) => n);
    expect(trainable.length).toBeGreaterThan(0);
    expect(trainable.every((n) => n.startsWith('blocks.1.') || n.startsWith('lnPost.'))).toBe(true);
    expect(trainable).toContain('lnPost.weight');
    const all = await loadEncoder(file, { unlockedBlocks: 'all' });
    expect(all.trainableVariables()).toHaveLength(all.variables().length);
    expect(lockExceptLast(all, 0)).toHaveLength(all.variables().length);
    expect(() => lockExceptLast(all, 3)).toThrow(/unlockedBlocks 3 exceeds the 2 blocks/);

    // An AdamW step on the LiT tower moves only its unlocked parameters.
    const before = new Map([...lit.namedVariables()].map(([n, v]) => [n, v.dataSync().slice()]));
    const x = sinInput([2, 8, 8, 3]) as tf.Tensor4D;
    const target = sinInput([2, 8], 0.9);
    const opt = new AdamW(lit.namedVariables(), { weightDecay: 0 });
    const out = opt.step(() => tf.tidy(() => mseTo(lit.apply(x), target)), 0.01);
    tf.dispose([out.loss, out.gradNorm, x, target]);
    for (const [n, v] of lit.namedVariables()) {
      const changed = v.dataSync().some((e, i) => e !== before.get(n)![i]);
      expect([n, changed]).toEqual([n, trainable.includes(n)]);
    }
    opt.dispose();
    [vit, lit, all].forEach((m) => m.dispose());
  });

  it('names the file and the missing or mis-shaped parameter', async () => {
    const vit = createEncoder(tiny, new Rng(2));
    const tensors = Object.fromEntries(vit.namedVariables());
    const meta = { kind: SAVED_ENCODER_KIND, encoder: tiny };

    const { ['lnPost.weight']: _dropped, ...rest } = tensors;
    const missing = join(dir, 'missing.ckpt');
    await saveCheckpoint(missing, { tensors: rest, meta });
    await expect(loadEncoder(missing)).rejects.toThrow(/Cannot load checkpoint .*missing\.ckpt: parameter 'lnPost\.weight' of the vit encoder is missing/);

    const wrong = tf.zeros([9]);
    const misShaped = join(dir, 'mis-shaped.ckpt');
    await saveCheckpoint(misShaped, { tensors: { ...tensors, 'lnPost.weight': wrong }, meta });
    await expect(loadEncoder(misShaped)).rejects.toThrow(/mis-shaped\.ckpt: parameter 'lnPost\.weight' has shape \[9\] but the vit encoder expects \[8\]/);

    const extra = join(dir, 'extra.ckpt');
    await saveCheckpoint(extra, { tensors: { ...tensors, stray: wrong }, meta });
    await expect(loadEncoder(extra)).rejects.toThrow(/extra\.ckpt: tensors 'stray' are not parameters of the vit encoder/);

    const notEncoder = join(dir, 'trainer.ckpt');
    await saveCheckpoint(notEncoder, { tensors, meta: { step: 3 } });
    await expect(loadEncoder(notEncoder)).rejects.toThrow(/trainer\.ckpt: meta\.kind is undefined, expected 'modalab-encoder' \(save it with saveEncoder\)/);

    await expect(loadEncoder(join(dir, 'absent.ckpt'))).rejects.toThrow(/absent\.ckpt: no such file/);
    await expect(saveEncoder(join(dir, 'bad.ckpt'), vit, { ...tiny, depth: 0 })).rejects.toThrow(/bad\.ckpt\): config is not a registered encoder config/);
    wrong.dispose();
    vit.dispose();
  });

  it('does not leak: failed loads dispose what they built, and load + dispose returns every tensor', async () => {
    const vit = createEncoder(tiny, new Rng(3));
    const file = join(dir, 'leak.ckpt');
    await saveEncoder(file, vit, tiny);
    const misShaped = join(dir, 'leak-bad.ckpt');
    const wrong = tf.zeros([9]);
    await saveCheckpoint(misShaped, { tensors: { ...Object.fromEntries(vit.namedVariables()), 'lnPost.bias': wrong }, meta: { kind: SAVED_ENCODER_KIND, encoder: tiny } });
    wrong.dispose();
    (await loadEncoder(file)).dispose();
    const before = tf.memory().numTensors;
    (await loadEncoder(file)).dispose();
    await expect(loadEncoder(misShaped)).rejects.toThrow(/lnPost\.bias/);
    expect(tf.memory().numTensors).toBe(before);
    const loaded = await loadEncoder<tf.Tensor4D>(file);
    const x = sinInput([2, 8, 8, 3]) as tf.Tensor4D;
    expectLeakFree(() => tf.dispose(loaded.apply(x)));
    tf.dispose(x);
    loaded.dispose();
    vit.dispose();
  });
});
