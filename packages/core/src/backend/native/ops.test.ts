import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '../../train/register-gradients.js';
import { expectNoLeak, expectParity, runAndDispose } from '../wasm-kernels/test-parity.js';
import type { OpCase } from '../wasm-kernels/training-op-cases.js';
import { registerNativeKernels, setNativeKernels } from './index.js';
import { addon, countCalls, expectNativeMatchesWasm, skipNative, skipReason } from './test-native.js';

// Shapes above the native size thresholds (16,384 elements for elementwise and reductions),
// odd on every axis, plus batch-1 and broadcast variants: each case runs forward and backward
// on the native path and is compared with the cpu backend and with wasm without the addon.
const BIG: number[] = [129, 131];
const BATCH1: number[] = [1, 127, 130];
const positive: [number, number] = [0.5, 2];

type Fn = (...xs: tf.Tensor[]) => tf.Tensor;
const op = (name: string, shapes: number[][], fn: Fn, range?: [number, number]): OpCase => ({ name, shapes, fn, ...(range ? { range } : {}) });

const UNARY: Array<[string, Fn, [number, number]?]> = [
  ['tanh', (x) => tf.tanh(x!)],
  ['sigmoid', (x) => tf.sigmoid(x!)],
  ['exp', (x) => tf.exp(x!)],
  ['sqrt', (x) => tf.sqrt(x!), positive],
  ['square', (x) => tf.square(x!)],
  ['relu', (x) => tf.relu(x!)],
  ['abs', (x) => tf.abs(x!)],
];

const BINARY: Array<[string, Fn, [number, number]?]> = [
  ['add', (a, b) => tf.add(a!, b!)],
  ['mul', (a, b) => tf.mul(a!, b!)],
  ['sub', (a, b) => tf.sub(a!, b!)],
  ['div', (a, b) => tf.div(a!, b!), positive],
  ['maximum', (a, b) => tf.maximum(a!, b!)],
  ['minimum', (a, b) => tf.minimum(a!, b!)],
];

describe.skipIf(skipNative)(`native elementwise, reduction, transpose, split and concat kernels${skipNative ? `: skipped, ${skipReason}` : ''}`, () => {
  beforeAll(() => {
    expect(registerNativeKernels({ env: {} }).active).toBe(true);
  });
  afterAll(() => setNativeKernels(false));

  it.each(UNARY)('%s: forward and gradient match cpu and wasm, natively, at [129,131] and batch 1', async (name, fn, range) => {
    for (const shape of [BIG, BATCH1]) {
      const c = op(`${name} [${shape}]`, [shape], fn, range);
      expect(countCalls('unary', () => runAndDispose(c)), c.name).toBeGreaterThan(0);
      await expectParity(c);
      expectNativeMatchesWasm(c);
    }
  });

  it.each(BINARY)('%s: same shapes, a broadcast row, a broadcast column and a scalar, forward and gradients', async (name, fn, range) => {
    // tfjs's own Maximum/Minimum gradients fail on broadcast operands (on cpu too): same shapes only.
    const broadcasts = name === 'maximum' || name === 'minimum' ? [] : [[BIG, [131]], [BIG, [129, 1]], [[1], BIG], [[131], BIG], [BATCH1, [1, 1, 130]]];
    for (const shapes of [[BIG, BIG], ...broadcasts]) {
      const c = op(`${name} [${shapes[0]}] [${shapes[1]}]`, shapes, fn, range);
      await expectParity(c);
      expectNativeMatchesWasm(c);
    }
    const same = op(`${name} same`, [BIG, BIG], fn, range);
    expect(countCalls('binary', () => runAndDispose(same))).toBeGreaterThan(0);
  });

  it('binary ops: a broadcast first operand runs natively (reversed), a two-sided broadcast and short rows stay on wasm', () => {
    const row = tf.randomNormal([131]), big = tf.randomNormal(BIG), col = tf.randomNormal([129, 1]);
    const narrow = tf.randomNormal([4000, 8]), narrowRow = tf.randomNormal([8]);
    for (const fn of [tf.add, tf.mul, tf.sub, tf.div]) {
      expect(countCalls('binary', () => fn(row, big).dispose()), fn.name).toBe(1);
      expect(countCalls('binary', () => fn(col, row).dispose()), `${fn.name} [129,1] [131]`).toBe(0);
      expect(countCalls('binary', () => fn(narrow, narrowRow).dispose()), `${fn.name} rows of 8`).toBe(0);
    }
    tf.dispose([row, big, col, narrow, narrowRow]);
  });

  it('keeps int32 and small tensors on wasm', () => {
    const ints = tf.ones([200, 100], 'int32'), small = tf.ones([10, 10]);
    expect(countCalls('binary', () => tf.add(ints, ints).dispose())).toBe(0);
    expect(countCalls('unary', () => tf.tanh(small).dispose())).toBe(0);
    expect(countCalls('reduce', () => tf.sum(ints).dispose())).toBe(0);
    tf.dispose([ints, small]);
  });

  it.each([
    ['sum', (x: tf.Tensor, axis: number | number[], keep: boolean) => tf.sum(x, axis, keep)],
    ['mean', (x: tf.Tensor, axis: number | number[], keep: boolean) => tf.mean(x, axis, keep)],
    ['max', (x: tf.Tensor, axis: number | number[], keep: boolean) => tf.max(x, axis, keep)],
    ['min', (x: tf.Tensor, axis: number | number[], keep: boolean) => tf.min(x, axis, keep)],
  ] as const)('%s over rows, columns, all, a middle axis, with and without keepDims', async (name, fn) => {
    const cases: Array<[number[], number | number[], boolean]> = [[BIG, 0, false], [BIG, 1, true], [BIG, [0, 1], false], [[7, 65, 41], 1, true], [BATCH1, -1, false]];
    for (const [shape, axis, keep] of cases) {
      const c = op(`${name} [${shape}] axis ${axis} keep ${keep}`, [shape], (x) => fn(x!, axis, keep));
      expect(countCalls('reduce', () => runAndDispose(c)), c.name).toBeGreaterThan(0);
      await expectParity(c);
      expectNativeMatchesWasm(c);
    }
  });

  it.each([
    [[2, 33, 4, 32], [0, 2, 1, 3]],
    [[2, 4, 33, 32], [0, 2, 1, 3]],
    [[129, 131], [1, 0]],
    [[7, 65, 41], [2, 0, 1]],
    [[1, 65, 1, 130], [3, 1, 0, 2]],
    [[16, 2, 8, 2, 24], [0, 2, 1, 3, 4]],
  ])('transpose [%s] by %s: forward and gradient', async (shape, perm) => {
    const c = op(`transpose [${shape}] [${perm}]`, [shape], (x) => tf.transpose(x!, perm));
    expect(countCalls('transpose', () => runAndDispose(c))).toBeGreaterThan(0);
    await expectParity(c);
    expectNativeMatchesWasm(c);
  });

  it('transposes int32 and bool tensors too', () => {
    const x = tf.tidy(() => tf.reshape(tf.range(0, 6 * 70 * 13, 1, 'int32'), [6, 70, 13]));
    const b = tf.tidy(() => tf.greater(tf.randomNormal([90, 70]), 0));
    const run = () => tf.tidy(() => [tf.transpose(x, [2, 0, 1]).arraySync(), tf.transpose(b, [1, 0]).arraySync()]);
    let native: unknown;
    expect(countCalls('transpose', () => (native = run()))).toBe(2);
    setNativeKernels(false);
    const wasm = run();
    setNativeKernels(true);
    expect(native).toEqual(wasm);
    tf.dispose([x, b]);
  });

  it('splits and concatenates along the last, first and a middle axis, forward and gradients', async () => {
    const cases: OpCase[] = [
      op('split [130,384] in 3 (attention qkv)', [[130, 384]], (x) => tf.concat(tf.split(x!, 3, -1).map((p, i) => tf.mul(p, i + 1)), 0)),
      op('split [130,384] sizes [100,200,84]', [[130, 384]], (x) => tf.concat(tf.split(x!, [100, 200, 84], 1).map((p, i) => tf.mul(p, i + 1)), 1)),
      op('split [5,130,41] axis 1', [[5, 130, 41]], (x) => tf.concat(tf.split(x!, [64, 66], 1).reverse(), 1)),
      op('concat [64,1,128] [64,64,128] axis 1 (cls token)', [[64, 1, 128], [64, 64, 128]], (a, b) => tf.concat([a!, b!], 1)),
    ];
    for (const c of cases) {
      expect(countCalls('copyRows', () => runAndDispose(c)), c.name).toBeGreaterThan(0);
      await expectParity(c);
      expectNativeMatchesWasm(c);
    }
    const ints = tf.tidy(() => tf.split(tf.reshape(tf.range(0, 130 * 60, 1, 'int32'), [130, 60]), 3, 1).map((t) => t.arraySync()));
    expect((ints[1] as number[][])[2]![0]).toBe(2 * 60 + 20);
  });

  it('Identity and same-dtype Cast share the data: no copy, and the original can be disposed first', () => {
    const backend = tf.engine().backend;
    const x = tf.randomNormal([300, 100]);
    const before = backend.numDataIds();
    const y = tf.clone(x);
    const z = tf.cast(x, 'float32');
    expect(backend.numDataIds()).toBe(before);
    const expected = Array.from(x.dataSync());
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual(expected);
    y.dispose();
    expect(Array.from(z.dataSync())).toEqual(expected);
    z.dispose();
    expect(backend.numDataIds()).toBe(before - 1);
    const ints = tf.tidy(() => Array.from(tf.cast(tf.tensor1d([1.7, -2.2]), 'int32').dataSync()));
    expect(ints).toEqual([1, -2]);
  });

  it('splits large tensors over a team of two threads with the same results (forward and gradient)', () => {
    const threads = addon().info().threads;
    addon().setThreads(2);
    try {
      const LARGE = [520, 300]; // above the 131,072 elements where the kernels start sharing work
      const cases: OpCase[] = [
        op('tanh', [LARGE], (x) => tf.tanh(x!)),
        op('mul same', [LARGE, LARGE], (a, b) => tf.mul(a!, b!)),
        op('add row', [LARGE, [300]], (a, b) => tf.add(a!, b!)),
        op('div column', [LARGE, [520, 1]], (a, b) => tf.div(a!, b!), positive),
        op('sum rows', [LARGE], (x) => tf.sum(x!, 0)),
        op('mean columns', [LARGE], (x) => tf.mean(x!, 1, true)),
        op('max all', [LARGE], (x) => tf.max(x!)),
        op('sum all', [[1, 2, 131_073]], (x) => tf.sum(x!)),
        op('transpose heads', [[8, 65, 4, 80]], (x) => tf.transpose(x!, [0, 2, 1, 3])),
        op('transpose 2D', [LARGE], (x) => tf.transpose(x!)),
        op('split/concat', [[520, 384]], (x) => tf.concat(tf.split(x!, 3, 1).map((p, i) => tf.mul(p, i + 1)), 0)),
      ];
      for (const c of cases) expectNativeMatchesWasm(c);
    } finally {
      addon().setThreads(threads);
    }
  });

  it('leaves no tensors or backend data behind', () => {
    expectNoLeak(() => runAndDispose(op('gelu-like', [BIG], (x) => tf.mul(tf.mul(0.5, x!), tf.add(1, tf.tanh(tf.mul(x!, tf.add(1, tf.square(x!)))))))));
    expectNoLeak(() => runAndDispose(op('layer norm', [[130, 128]], (x) => tf.div(tf.sub(x!, tf.mean(x!, -1, true)), tf.sqrt(tf.add(tf.moments(x!, -1, true).variance, 1e-5))))));
    expectNoLeak(() => runAndDispose(op('heads', [[2, 33, 4, 32]], (x) => tf.transpose(tf.concat(tf.split(x!, 2, -1), -1), [0, 2, 1, 3]))));
  });
});
