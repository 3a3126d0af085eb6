import { mkdir, mkdtemp, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertAllClose } from '../../testing/all-close.js';
import { AdamW } from '../../train/adamw.js';
import { Sgd } from '../../train/sgd.js';
import { expectLeakFree, mseTo, sinInput } from '../test-utils.js';
import { fileModelIO } from './file-io.js';
import { LayersModelTower, loadLayersTower } from './layers-tower.js';
import { lockExceptLast } from './lock.js';
import { tfjs } from './tfjs.js';

let dir: string;
let original: LayersModel;

/** dense(3 -> 4, tanh) -> dense(4 -> 4, tanh) -> dense(4 -> 2): three layers with weights. */
function tinyModel(): LayersModel {
  const { sequential, layers } = tfjs();
  return sequential({
    layers: [
      layers.dense({ name: 'd1', units: 4, inputShape: [3], activation: 'tanh' }),
      layers.dense({ name: 'd2', units: 4, activation: 'tanh' }),
      layers.dense({ name: 'd3', units: 2 }),
    ],
  });
}

/** A copy of the saved model folder, with model.json edited or a file damaged, in a fresh subfolder. */
async function variant(name: string, edit?: (json: Record<string, unknown>) => void): Promise<string> {
  const sub = join(dir, name);
  const json = JSON.parse(await readFile(join(dir, 'model', 'model.json'), 'utf8')) as Record<string, unknown>;
  edit?.(json);
  await mkdir(sub, { recursive: true });
  await writeFile(join(sub, 'model.json'), JSON.stringify(json));
  await writeFile(join(sub, 'weights.bin'), await readFile(join(dir, 'model', 'weights.bin')));
  return sub;
}

const snapshot = (tower: LayersModelTower): Map<string, Float32Array> =>
  new Map([...tower.namedVariables()].map(([n, v]) => [n, v.dataSync() as Float32Array]));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modalab-pretrained-'));
  original = tinyModel();
  await original.save(fileModelIO(join(dir, 'model', 'model.json')));
});

afterAll(async () => {
  original.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('LayersModelTower', () => {
  it('loads model.json + weights.bin from a folder and reproduces the original outputs at batch 1 and 2', async () => {
    const tower = await loadLayersTower(join(dir, 'model'));
    expect(tower.outputDim).toBe(2);
    expect([...tower.namedVariables().keys()]).toEqual(['d1.kernel', 'd1.bias', 'd2.kernel', 'd2.bias', 'd3.kernel', 'd3.bias']);
    for (const b of [1, 2]) {
      const x = sinInput([b, 3]);
      const y = tower.apply(x);
      const ref = original.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([b, 2]);
      assertAllClose(y.dataSync(), ref.dataSync(), { atol: 1e-6, rtol: 1e-6 }, 'tower vs original');
      tf.dispose([x, y, ref]);
    }
    tower.dispose();
  });

  it('is frozen by default: no trainable variables for an optimizer', async () => {
    const tower = await loadLayersTower(join(dir, 'model', 'model.json'));
    expect(tower.trainableVariables()).toEqual([]);
    expect(tower.variables()).toHaveLength(6);
    expect(new AdamW(tower.namedVariables()).decayedParameters()).toEqual([]);
    tower.dispose();
  });

  it('lockExceptLast(1) unlocks exactly the last layer, and an AdamW step changes only its weights', async () => {
    const tower = await loadLayersTower(join(dir, 'model'));
    const frozen = lockExceptLast(tower, 1);
    expect(frozen).toEqual(['d1.kernel', 'd1.bias', 'd2.kernel', 'd2.bias']);
    expect([...tower.namedVariables()].filter(([, v]) => v.trainable).map(([n]) => n)).toEqual(['d3.kernel', 'd3.bias']);
    const before = snapshot(tower);
    const x = sinInput([4, 3]);
    const target = sinInput([4, 2], 0.9);
    const opt = new AdamW(tower.namedVariables(), { weightDecay: 0 });
    const { loss, gradNorm } = opt.step(() => tf.tidy(() => mseTo(tower.apply(x), target)), 0.1);
    tf.dispose([loss, gradNorm]);
    const after = snapshot(tower);
    for (const [name, v] of before) {
      const changed = v.some((e, i) => e !== after.get(name)![i]);
      expect([name, changed]).toEqual([name, name.startsWith('d3.')]);
    }
    opt.dispose();
    tf.dispose([x, target]);
    tower.dispose();
  });

  it('relocks: the unlockedBlocks option, then lockExceptLast(3), (0), (1); an SGD step then moves only the last layer', async () => {
    const tower = await loadLayersTower(join(dir, 'model'), { unlockedBlocks: 2 });
    expect(tower.trainableVariables()).toHaveLength(4);
    expect(lockExceptLast(tower, 3)).toEqual([]);
    expect(lockExceptLast(tower, 0)).toHaveLength(6);
    expect(lockExceptLast(tower, 1)).toHaveLength(4);
    const before = snapshot(tower);
    const x = sinInput([2, 3]);
    const sgd = new Sgd(tower.namedVariables(), { momentum: 0.9 });
    const out = sgd.step(() => tf.tidy(() => tf.mean(tower.apply(x))), 0.5);
    tf.dispose([out.loss, out.gradNorm]);
    const after = snapshot(tower);
    for (const [name, v] of before) {
      const changed = v.some((e, i) => e !== after.get(name)![i]);
      expect([name, changed]).toEqual([name, name.startsWith('d3.')]);
    }
    expect(() => lockExceptLast(tower, 4)).toThrow(/n 4 exceeds the 3 layers with weights \(d1, d2, d3\)/);
    expect(() => lockExceptLast(tower, -1)).toThrow(/integer >= 0, got -1/);
    sgd.dispose();
    x.dispose();
    tower.dispose();
  });

  it('pools [B, T, D] outputs by mean only when asked, and checks the input shape', async () => {
    const { sequential, layers } = tfjs();
    const seq = sequential({ layers: [layers.dense({ name: 's1', units: 5, inputShape: [4, 3] })] }); // [B, 4, 3] -> [B, 4, 5]
    await seq.save(fileModelIO(join(dir, 'seq', 'model.json')));
    await expect(loadLayersTower(join(dir, 'seq'))).rejects.toThrow(/model\.json: LayersModelTower: the model outputs \[null, 4, 5\], not \[B, D\]; pass pool: 'mean'/);
    const tower = await loadLayersTower(join(dir, 'seq'), { pool: 'mean' });
    expect(tower.outputDim).toBe(5);
    const x = sinInput([2, 4, 3]);
    const y = tower.apply(x);
    const ref = tf.mean(seq.predict(x) as tf.Tensor, 1);
    assertAllClose(y.dataSync(), ref.dataSync(), { atol: 1e-6, rtol: 1e-6 }, 'mean-pooled tower');
    expect(() => tower.apply(tf.zeros([2, 4, 7]))).toThrow(/expected input \[B, 4, 3\], got \[2, 4, 7\]/);
    tf.dispose([x, y, ref]);
    seq.dispose();
    tower.dispose();
  });

  it('does not leak: apply, and load + dispose', async () => {
    const tower = await loadLayersTower(join(dir, 'model'), { unlockedBlocks: 1 });
    const x = sinInput([2, 3]);
    expectLeakFree(() => tf.dispose(tower.apply(x)));
    x.dispose();
    tower.dispose();
    const before = tf.memory().numTensors;
    (await loadLayersTower(join(dir, 'model'))).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('fileModelIO', () => {
  it('names a missing model.json, a missing weight file and a truncated one', async () => {
    await expect(loadLayersTower(join(dir, 'nowhere'))).rejects.toThrow(/Cannot load TensorFlow\.js model .*nowhere: no such file or folder/);
    const missing = await variant('missing');
    await unlink(join(missing, 'weights.bin'));
    await expect(loadLayersTower(missing)).rejects.toThrow(/missing[/\\]model\.json: weight file .*missing[/\\]weights\.bin listed in weightsManifest is missing/);
    const short = await variant('short');
    await truncate(join(short, 'weights.bin'), 20);
    await expect(loadLayersTower(short)).rejects.toThrow(/weight file .*short[/\\]weights\.bin has 20 bytes but weightsManifest\[0\] declares 184 .*truncated, corrupted or from another model/);
  });

  it('refuses weight paths that leave the model folder, and a model.json that is not JSON', async () => {
    const up = await variant('escape', (json) => {
      (json['weightsManifest'] as { paths: string[] }[])[0]!.paths = ['../model/weights.bin'];
    });
    await expect(loadLayersTower(up)).rejects.toThrow(/weight path '\.\.\/model\/weights\.bin' escapes the model folder/);
    const abs = await variant('absolute', (json) => {
      (json['weightsManifest'] as { paths: string[] }[])[0]!.paths = [join(dir, 'model', 'weights.bin')];
    });
    await expect(loadLayersTower(abs)).rejects.toThrow(/escapes the model folder/);
    const bad = await variant('bad-json');
    await writeFile(join(bad, 'model.json'), '{"modelTopology": ');
    await expect(loadLayersTower(bad)).rejects.toThrow(/bad-json[/\\]model\.json: not valid JSON/);
  });
});
