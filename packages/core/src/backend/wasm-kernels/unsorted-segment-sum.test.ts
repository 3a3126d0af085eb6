import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { seededInts } from './seeded.js';
import '../../train/register-gradients.js';
import { expectNoLeak, expectParity, runAndDispose } from './test-parity.js';
import type { OpCase } from './training-op-cases.js';

const ids = (n: number, segments: number, seed: number) => tf.tensor1d(seededInts(n, seed, segments), 'int32');

const segmentCase = (xShape: number[], segments: number): OpCase => ({
  name: `unsortedSegmentSum x [${xShape}] into ${segments}`,
  shapes: [xShape],
  fn: (x) => tf.unsortedSegmentSum(x!, ids(xShape[0]!, segments, 5), segments),
});

const gatherCase = (vocab: number, dim: number, idsShape: number[]): OpCase => ({
  name: `gather [${vocab},${dim}] by [${idsShape}]`,
  shapes: [[vocab, dim]],
  fn: (e) => tf.gather(e!, tf.tensor(seededInts(idsShape.reduce((a, b) => a * b, 1), 9, vocab), idsShape, 'int32')),
});

describe('UnsortedSegmentSum on wasm', () => {

  it.each([
    [[6, 3], 4], [[7], 3], [[1, 5], 1], [[5, 2, 3], 7], [[9, 1], 2],
  ] as [number[], number][])('x %j into %i segments: forward and gradient match cpu', async (shape, segments) => {
    await expectParity(segmentCase(shape, segments));
  });

  it.each([
    [11, 6, [3, 5]], [11, 6, [1]], [1, 4, [2, 3]], [50, 8, [4, 17]], [7, 1, [9]],
  ] as [number, number, number[]][])('gather (embedding) [%i,%i] by ids %j: gradient matches cpu', async (vocab, dim, idsShape) => {
    await expectParity(gatherCase(vocab, dim, idsShape));
  });

  it('sums int32 values', () => {
    const out = tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4], 'int32'), tf.tensor1d([1, 0, 1, 1], 'int32'), 3);
    expect(out.dtype).toBe('int32');
    expect(Array.from(out.dataSync())).toEqual([2, 8, 0]);
  });

  it('drops ids outside [0, numSegments), as TensorFlow does', () => {
    const out = tf.engine().runKernel(tf.UnsortedSegmentSum, { x: tf.tensor2d([[1, 1], [2, 2], [4, 4]]), segmentIds: tf.tensor1d([-1, 2, 5], 'int32') }, { numSegments: 3 }) as tf.Tensor;
    expect(Array.from(out.dataSync())).toEqual([0, 0, 0, 0, 2, 2]);
  });

  it('rejects a bool x, naming the dtypes it takes', () => {
    const run = () => tf.engine().runKernel(tf.UnsortedSegmentSum, { x: tf.tensor1d([true, false], 'bool'), segmentIds: tf.tensor1d([0, 1], 'int32') }, { numSegments: 2 });
    expect(run).toThrow(/x must be float32 or int32, got bool/);
  });

  it('leaves no tensors behind, forward and backward', () => {
    expectNoLeak(() => runAndDispose(segmentCase([6, 3], 4)));
    expectNoLeak(() => runAndDispose(gatherCase(11, 6, [3, 5])));
  });
});
