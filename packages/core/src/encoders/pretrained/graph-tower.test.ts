import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertAllClose } from '../../testing/all-close.js';
import { expectLeakFree, sinInput } from '../test-utils.js';
import { GraphModelTower, loadGraphTower } from './graph-tower.js';
import { lockExceptLast } from './lock.js';

let dir: string;

// y = x @ W + b with W [3, 2] and b [2]: the smallest converted-graph shape (what
// tensorflowjs_converter emits for a Keras Dense layer), written by hand.
const W = [0.5, -1, 0.25, 2, -0.75, 0.125]; // row-major [3, 2]
const B = [0.1, -0.2];
const dims = (...sizes: number[]) => ({ dim: sizes.map((s) => ({ size: String(s) })) });
const float = { type: 'DT_FLOAT' };

function graphJson(weightPath: string, withSignature: boolean): object {
  return {
    format: 'graph-model',
    generatedBy: 'hand-written for modalab tests',
    convertedBy: null,
    modelTopology: {
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: float, shape: { shape: dims(-1, 3) } } },
        { name: 'W', op: 'Const', attr: { dtype: float, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(3, 2) } } } },
        { name: 'b', op: 'Const', attr: { dtype: float, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(2) } } } },
        { name: 'mm', op: 'MatMul', input: ['x', 'W'], attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } } },
        { name: 'y', op: 'BiasAdd', input: ['mm', 'b'], attr: { T: float, data_format: { s: Buffer.from('NHWC').toString('base64') } } },
      ],
      library: {},
      versions: {},
    },
    ...(withSignature
      ? {
          signature: {
            inputs: { 'x:0': { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: dims(-1, 3) } },
            outputs: { 'y:0': { name: 'y:0', dtype: 'DT_FLOAT', tensorShape: dims(-1, 2) } },
          },
        }
      : {}),
    weightsManifest: [
      {
        paths: [weightPath],
        weights: [
          { name: 'W', shape: [3, 2], dtype: 'float32' },
          { name: 'b', shape: [2], dtype: 'float32' },
        ],
      },
    ],
  };
}

async function writeGraph(name: string, opts: { weightPath?: string; withSignature?: boolean; weights?: Float32Array } = {}): Promise<string> {
  const sub = join(dir, name);
  await mkdir(sub, { recursive: true });
  await writeFile(join(sub, 'model.json'), JSON.stringify(graphJson(opts.weightPath ?? 'group1-shard1of1.bin', opts.withSignature ?? true)));
  const weights = opts.weights ?? Float32Array.from([...W, ...B]);
  await writeFile(join(sub, 'group1-shard1of1.bin'), new Uint8Array(weights.buffer));
  return sub;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modalab-graph-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('GraphModelTower', () => {
  it('runs a hand-written MatMul + BiasAdd graph: x @ W + b at batch 1 and 2', async () => {
    const tower = await loadGraphTower(await writeGraph('ok'));
    expect(tower.outputDim).toBe(2);
    for (const b of [1, 2]) {
      const x = sinInput([b, 3]);
      const y = tower.apply(x);
      const ref = tf.add(tf.matMul(x, tf.tensor2d(W, [3, 2])), tf.tensor1d(B));
      expect(y.shape).toEqual([b, 2]);
      assertAllClose(y.dataSync(), ref.dataSync(), { atol: 1e-6, rtol: 1e-6 }, 'graph tower vs x @ W + b');
      tf.dispose([x, y, ref]);
    }
    expect(() => tower.apply(tf.zeros([2, 4]))).toThrow(/GraphModelTower: expected input \[B, 3\], got \[2, 4\]/);
    tower.dispose();
  });

  it('is always frozen: no variables, lockExceptLast(0) is a no-op and unlocking says why it cannot', async () => {
    const tower = await loadGraphTower(join(await writeGraph('frozen'), 'model.json'));
    expect(tower.trainableVariables()).toEqual([]);
    expect(lockExceptLast(tower, 0)).toEqual([]);
    expect(() => lockExceptLast(tower, 1)).toThrow(/holds its weights as graph constants and cannot unlock 1 blocks; load a layers model/);
    tower.dispose();
  });

  it('passes gradients through to its input (a frozen tower still lets what feeds it learn)', async () => {
    const tower = await loadGraphTower(await writeGraph('grad'));
    const x = sinInput([2, 3]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tower.apply(v)))(x);
    // d sum(x W + b) / dx = row sums of W for every item
    assertAllClose(g.dataSync(), [-0.5, 2.25, -0.625, -0.5, 2.25, -0.625], { atol: 1e-6, rtol: 1e-6 }, 'input gradient');
    tf.dispose([x, g]);
    tower.dispose();
  });

  it('asks for outputDim when the graph does not declare its output shape', async () => {
    const sub = await writeGraph('nosig', { withSignature: false });
    await expect(loadGraphTower(sub)).rejects.toThrow(/output shape is unknown; pass outputDim/);
    const tower = await loadGraphTower(sub, { outputDim: 2 });
    const y = tower.apply(sinInput([1, 3]));
    expect(y.shape).toEqual([1, 2]);
    y.dispose();
    tower.dispose();
  });

  it('names a truncated weight file and a weight path escaping the folder', async () => {
    const short = await writeGraph('short', { weights: Float32Array.from(W) });
    await expect(loadGraphTower(short)).rejects.toThrow(/short[/\\]group1-shard1of1\.bin has 24 bytes but weightsManifest\[0\] declares 32 \(W \[3, 2\] float32; b \[2\] float32\)/);
    const escape = await writeGraph('escape', { weightPath: '../ok/group1-shard1of1.bin' });
    await expect(loadGraphTower(escape)).rejects.toThrow(/weight path '\.\.\/ok\/group1-shard1of1\.bin' escapes the model folder/);
  });

  it('does not leak: apply, and load + dispose', async () => {
    const sub = await writeGraph('leak');
    const tower: GraphModelTower = await loadGraphTower(sub);
    const x = sinInput([2, 3]);
    expectLeakFree(() => tf.dispose(tower.apply(x)));
    x.dispose();
    tower.dispose();
    const before = tf.memory().numTensors;
    (await loadGraphTower(sub)).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
